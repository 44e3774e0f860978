export { type ApiInit, ApiServer } from './server.ts'
export {
  ApiError,
  type ChainInfo,
  type NodeService,
  type NodeStatus,
  type VaultSummary,
} from './service.ts'
export {
  MAX_CLOCK_SKEW_MS,
  requestDigestMessage,
  SIGNATURE_HEADERS,
  type SignatureCheck,
  signRequest,
  verifyRequest,
} from './signed-request.ts'
