// The node's HTTP API contract: routes, wire types, request signing, the error body.

export { type DecidedBlock, decidedBlockSchema } from './blocks.ts'
export {
  type CommitteeInfo,
  committeeInfoSchema,
  DKG_STATUSES,
  type DkgStatus,
  dkgStatusSchema,
} from './committee.ts'
export { type ApiErrorBody, apiErrorBodySchema } from './errors.ts'
export {
  JOB_STAGES,
  type JobRecord,
  type JobStage,
  jobRecordFields,
  jobRecordSchema,
  jobStageSchema,
  withJobIdCheck,
} from './jobRecord.ts'
export { type JobPayouts, jobPayoutsSchema } from './payouts.ts'
export {
  contributionAcceptedSchema,
  type PoolInfo,
  type PoolSnapshotRecord,
  type PoolSnapshotView,
  poolInfoSchema,
  poolSnapshotSchema,
  poolSnapshotViewSchema,
} from './pools.ts'
export {
  type BodyOf,
  type BodySpec,
  type HttpMethod,
  type ParamSpec,
  type ParamsOf,
  pathOf,
  type QueryOf,
  type ResponseOf,
  type ResponseSpec,
  type Route,
  type Signing,
  urlOf,
} from './route.ts'
export { ROUTES, type RouteName, type Routes } from './routes.ts'
export { type Settlement, settlementSchema } from './settlement.ts'
export {
  MAX_CLOCK_SKEW_MS,
  requestDigestMessage,
  SIGNATURE_HEADERS,
  type SignatureCheck,
  signRequest,
  verifyRequest,
} from './signing.ts'
export {
  type ChainInfo,
  chainInfoSchema,
  type GossipCounters,
  gossipCountersSchema,
  type NodeStatus,
  nodeStatusSchema,
} from './status.ts'
export {
  circuitCostSchema,
  type JobPreview,
  jobPreviewSchema,
  privacyPreviewSchema,
  type VaultAnnouncement,
  type VaultBudget,
  type VaultPublication,
  type VaultSummary,
  vaultAnnouncementSchema,
  vaultBudgetSchema,
  vaultPublicationSchema,
  vaultSummarySchema,
} from './vaults.ts'
