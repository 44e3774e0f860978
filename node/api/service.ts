import {
  type Address,
  type CommitteeInfo,
  type DecidedBlock,
  type Hex32,
  type JobPayouts,
  type JobPreview,
  type JobRecord,
  type JobStage,
  type NodeStatus,
  type PoolInfo,
  type PoolSnapshotView,
  type SealedResult,
  TcfError,
  type ThresholdRelease,
  type VaultAnnouncement,
  type VaultBudget,
  type VaultPublication,
  type VaultSummary,
} from '../../protocol/index.ts'

export type { ChainInfo, NodeStatus, VaultSummary } from '../../protocol/index.ts'

/** What the API needs from the node; the daemon implements it. */
export interface NodeService {
  status(): Promise<NodeStatus>
  /** Whether a verified signer is known here (a validator, a vault owner) and so rate-limited apart from its IP. */
  hasStanding(signer: Address): boolean
  /** `signer` has signed the upload; only a vault's owner may store its blobs, within a quota */
  putBlob(id: Hex32, bytes: Uint8Array, upload: { signer: Address; vaultId?: Hex32 }): Promise<void>
  /** `signer` has signed the manifest it is about to register: it may upload the blobs it names meanwhile */
  announceVault(manifest: unknown, signer: Address): Promise<VaultAnnouncement>
  /** `reader` signed the request (if it did): result bundles go only to validators and the vault's owner */
  getBlob(id: Hex32, reader?: Address): Promise<Uint8Array | undefined>
  /** `signer` has signed the request; only the vault's on-chain owner may publish it */
  publishVault(manifest: unknown, signer: Address): Promise<VaultPublication>
  vaults(): Promise<VaultSummary[]>
  vault(vaultId: Hex32): Promise<unknown | undefined>
  /** the vault's privacy budget: epsilon total, spent and remaining at the node's height */
  budget(vaultId: Hex32): Promise<VaultBudget | undefined>
  /** what a spec would cost and how accurate it would be, before paying: per output epsilon, noise and 95% error */
  preview(vaultId: Hex32, spec: unknown): Promise<JobPreview>
  submitJob(signed: unknown): Promise<{ jobId: Hex32 }>
  job(jobId: Hex32): Promise<JobRecord | undefined>
  jobs(filter: { vault?: Hex32; stage?: JobStage }): Promise<JobRecord[]>
  block(height: number): Promise<DecidedBlock | undefined>
  submitRelease(sealed: unknown): Promise<{ jobId: Hex32 }>
  sealed(jobId: Hex32): Promise<SealedResult | undefined>
  /** an epoch's committee key and DKG progress (the current epoch when none is named) */
  committee(epoch?: number): Promise<CommitteeInfo | undefined>
  /** the member releases of a committee-vault job held here (none for an owner-mode job) */
  thresholdReleases(jobId: Hex32): Promise<{ releases: ThresholdRelease[] }>
  /** a pool job's payouts tree and bundle hash; undefined for a job that is not an evaluated pool job here */
  payouts(jobId: Hex32): Promise<JobPayouts | undefined>
  /** a contributor's signed claim and its bytes, for the pool `poolId` */
  submitContribution(poolId: Hex32, upload: unknown): Promise<{ contributionId: Hex32; blobId: Hex32 }>
  /** a curator's signed ban of a contributor key */
  banContributor(poolId: Hex32, ban: unknown): Promise<{ poolId: Hex32; contributor: Address }>
  pool(poolId: Hex32): Promise<PoolInfo | undefined>
  poolSnapshot(poolId: Hex32, height: number): Promise<PoolSnapshotView | undefined>
}

/** A refusal the caller can act on: stable code, message, and the status to answer with. */
export class ApiError extends TcfError {
  override name = 'ApiError'
  readonly code: string
  readonly status: number
  readonly details: Record<string, unknown> | undefined

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message)
    this.status = status
    this.code = code
    this.details = details
  }
}
