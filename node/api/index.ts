export { type ApiInit, ApiServer } from './server.ts'
export {
  ApiError,
  type ChainInfo,
  type NodeService,
  type NodeStatus,
  type VaultSummary,
} from './service.ts'
