import type { Address, CollectiveKey, Hex32 } from '../../protocol/index.ts'
import type { OutputValue, QualityScore, Withheld } from '../../sandbox/index.ts'

// The node's answers are the API contract's wire types (protocol/api); the SDK re-exports them.
export type {
  ChainInfo,
  DecidedBlock,
  JobPreview,
  JobRecord,
  JobStage,
  NodeStatus,
  VaultBudget,
  VaultSummary,
} from '../../protocol/index.ts'

export interface PublishProgress {
  readonly blobsDone: number
  readonly blobsTotal: number
  readonly bytesDone: number
  readonly bytesTotal: number
}

export interface PublishedVault {
  readonly vaultId: Hex32
  readonly manifestHash: Hex32
  /** whether this call registered (or updated) the vault on chain, with the transaction */
  readonly registeredTx: Hex32 | undefined
  readonly blobs: number
  readonly bytes: number
}

/** A released result, verified against its release and the network's record, then unsealed. */
export interface JobResult {
  readonly jobId: Hex32
  readonly vaultId: Hex32
  readonly resultHash: Hex32
  readonly outputs: Readonly<Record<string, OutputValue | Withheld>>
  readonly quality: QualityScore
  /** the signed score as blocks carry it (fixed point, QUALITY_SCALE) */
  readonly qualityScoreFixed: number
  readonly owner: Address
  readonly heights: {
    readonly admitted: number | undefined
    readonly certified: number
    readonly released: number | undefined
  }
  readonly anchorTx: { readonly height: number; readonly txHash: Hex32 } | undefined
}

/** An epoch's committee key as the SDK hands it out: checked against the Anchor's registered hash. */
export interface CommitteeKey {
  readonly epoch: number
  readonly keyHash: Hex32
  /** the key record: instance, profile, qualified dealers, the SEAL objects by blob id */
  readonly key: CollectiveKey
  /** the epoch's set in set order */
  readonly members: readonly Address[]
  /** shares needed to open: 2f + 1 */
  readonly threshold: number
  /** the collective SEAL PublicKey bytes (uncompressed), hash-checked against key.publicKey */
  readonly publicKey: Uint8Array
}
