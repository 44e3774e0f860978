import type { Address, Block, BlockHeader, CommitCertificate, Hex32 } from '../protocol/index.ts'

/** The gossip topics of a tcf network. */
export const TOPICS = ['jobs', 'proposals', 'votes', 'attestations', 'status'] as const
export type TopicName = (typeof TOPICS)[number]

export type GossipVerdict = 'accept' | 'reject' | 'ignore'

/** What the node needs of the p2p network. */
export interface NodeNetwork {
  readonly peerId: string
  peerCount(): number
  publish(topic: TopicName, bytes: Uint8Array): Promise<void>
  /** Fetches blobs from peers, verified by hash; throws when one cannot be had. */
  fetchBlob(id: Hex32): Promise<Uint8Array>
}

export interface ChainVault {
  readonly owner: Address
  readonly active: boolean
  readonly manifestHash: Hex32
  readonly price: bigint
}

export interface ChainJob {
  readonly status: 'none' | 'open' | 'paid' | 'refunded'
  readonly amount: bigint
}

export interface DecidedBlock {
  readonly height: number
  readonly block: Block
  readonly header: BlockHeader
  readonly certificate: CommitCertificate
}

/** What the node needs of the chain. */
export interface NodeChain {
  currentEpoch(): Promise<number>
  validatorSet(epoch: number): Promise<ReadonlyArray<{ readonly address: Address; readonly stake: bigint }>>
  vault(vaultId: Hex32): Promise<ChainVault | undefined>
  job(jobId: Hex32): Promise<ChainJob | undefined>
  /** Hands a decided block with outcomes to the anchoring policy; `onAnchored` reports its tx. */
  anchor(decided: DecidedBlock): void
}
