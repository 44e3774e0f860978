import type { Address, Block, CommitCertificate, Hex32 } from '../../protocol/index.ts'
import type {
  CircuitCost,
  OutputValue,
  Policy,
  PrivacyPreview,
  QualityScore,
  Withheld,
} from '../../sandbox/index.ts'
import type { JobRecord, JobStage } from '../storage/job-record.ts'

export type { JobRecord, JobStage }

/** GET /v1/status */
export interface NodeStatus {
  readonly version: string
  readonly address: Address
  readonly peerId: string
  readonly peers: readonly { readonly peerId: string; readonly score: number }[]
  readonly height: number
  readonly round: number
  readonly epoch: number
  readonly validators: readonly { readonly address: Address; readonly power: number }[]
  readonly gossip: Readonly<Record<string, unknown>>
  readonly chain?: ChainInfo
}

export interface ChainInfo {
  readonly chainId: number
  readonly rpcUrl: string
  readonly addresses: {
    readonly validatorRegistry: Address
    readonly vaultRegistry: Address
    readonly jobMarket: Address
    readonly anchor: Address
  }
}

/** One entry of GET /v1/vaults */
export interface VaultSummary {
  readonly vaultId: Hex32
  readonly recordCount: number
  readonly profile: string
  readonly policy: Policy
  readonly columns: readonly string[]
  readonly receivedAt: string
}

/** GET /v1/blocks/:height: a decided block and its commit certificate */
export interface DecidedBlock {
  readonly blockHash: Hex32
  readonly block: Block
  readonly certificate: CommitCertificate
}

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

/** GET /v1/vaults/:id/budget: a vault's privacy budget as the ledger holds it at `height` */
export interface VaultBudget {
  readonly vaultId: Hex32
  readonly height: number
  readonly unit: string
  readonly epsilon: number
  readonly maxEpsilonPerJob: number
  readonly spent: number
  readonly remaining: number
  /** admitted jobs that spent from it */
  readonly jobs: number
}

/** POST /v1/vaults/:id/preview: what a spec costs and how accurate it is, before paying */
export interface JobPreview {
  readonly vaultId: Hex32
  readonly circuitId: Hex32
  readonly cost: CircuitCost
  readonly privacy: PrivacyPreview
  readonly budget: VaultBudget
  /** whether the budget left admits it now */
  readonly admissible: boolean
}
