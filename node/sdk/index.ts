// The public surface of the tcf SDK: `import { Client } from 'tcf'`.

export { JOB_STAGES } from '../../protocol/index.ts'
export {
  type CertifiedResult,
  type VerifiedBlock,
  verifyCertifiedJob,
  verifyCertifiedResult,
  verifyDecidedBlock,
} from './certificate.ts'
export type { ChainContext } from './chain.ts'
export {
  Client,
  type ClientOptions,
  type SubmitJobOptions,
  type SubmittedJob,
} from './client.ts'
export { type CommitteeKeyMaterial, committeeVaultKeys, fetchCommitteeKey } from './committee.ts'
export {
  type ContributeOptions,
  PoolContributor,
  type SubmittedContribution,
  submitContribution,
} from './contribute.ts'
export { ClientError, type ClientErrorCode } from './errors.ts'
export { decodePayload, encodePayload, type ResultPayload } from './payload.ts'
export {
  claimPayout,
  type PayoutClaimed,
  type PayoutSource,
  type PoolEarning,
  type PoolEarnings,
  poolEarnings,
} from './payouts.ts'
export { type CreatedPool, type CreatePoolOptions, createPool } from './pool.ts'
export { type PoolJobResult, poolResult } from './pool-result.ts'
export {
  generateSealingKey,
  isSealingPublicKey,
  SEALING_INFO,
  SEALING_SCHEME,
  type SealingKeyPair,
  seal,
  sealingPublicKeyOf,
  unseal,
} from './sealing.ts'
export {
  type EcdhBinding,
  libsecp256k1Sealing,
  nobleSealing,
  nodeSealing,
  type SealingEngine,
  sealingEngine,
  useSealingEngine,
} from './sealing-engine.ts'
export type { JobSettlement } from './settle.ts'
export {
  combineBuyerShares,
  openBuyerShares,
  type ThresholdJobResult,
  thresholdResult,
} from './threshold-result.ts'
export {
  fetchTransport,
  type HttpAnswer,
  type HttpRequest,
  type SdkTransport,
  sdkTransport,
  useSdkTransport,
} from './transport.ts'
export type {
  ChainInfo,
  CommitteeKey,
  DecidedBlock,
  JobPreview,
  JobRecord,
  JobResult,
  JobStage,
  NodeStatus,
  PublishedVault,
  PublishProgress,
  VaultBudget,
  VaultSummary,
} from './types.ts'
export { validatorSetAt } from './validators.ts'
export type { WaitOptions } from './wait.ts'
