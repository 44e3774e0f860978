export { type ApiInit, ApiServer } from './server.ts'
export { ApiError, type NodeService, type NodeStatus } from './service.ts'
