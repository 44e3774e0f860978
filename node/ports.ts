import {
  type Address,
  type AttestationBatch,
  attestationBatchCodec,
  type ContributionUpload,
  contributionUploadCodec,
  type DkgGossip,
  type DuplicateVoteEvidence,
  dkgGossipCodec,
  type Hex32,
  type MessageCodec,
  type PoolBan,
  type ProposalMessage,
  poolBanCodec,
  proposalMessageCodec,
  type SealedResult,
  type SignedJobRequest,
  type StatusMessage,
  sealedResultCodec,
  signedJobRequestCodec,
  statusMessageCodec,
  type ThresholdRelease,
  thresholdReleaseCodec,
  type VoteMessage,
  voteMessageCodec,
} from '../protocol/index.ts'
import type { AnchorRequest } from './chain/index.ts'
import type { ChainFacts, ChainNeeds } from './jobs/chain-facts.ts'

/** The gossip topics of a tcf network and what each carries. Only ids and signatures: ciphertexts move as blobs. */
export interface TopicMessages {
  readonly jobs: SignedJobRequest
  readonly proposals: ProposalMessage
  readonly votes: VoteMessage
  /** each validator's attestations ready at once, one message: per-message cost dominates their own */
  readonly attestations: AttestationBatch
  readonly status: StatusMessage
  /** an owner's release with the result sealed to the buyer (small: rounded aggregates) */
  readonly releases: SealedResult
  /** the epoch committee's DKG (threshold mode): signed messages, their shares as blobs */
  readonly dkg: DkgGossip
  /** a committee member's release of a job: signed score shares and shares sealed to the buyer */
  readonly shares: ThresholdRelease
  /** a contribution to a pool with its bytes (~131 KB at ckks-8192): they are checked before any block names them */
  readonly contributions: ContributionUpload
  /** a pool curator's signed ban of a contributor key */
  readonly poolbans: PoolBan
}
export type TopicName = keyof TopicMessages

export const TOPIC_CODECS: { readonly [K in TopicName]: MessageCodec<TopicMessages[K]> } = {
  jobs: signedJobRequestCodec,
  proposals: proposalMessageCodec,
  votes: voteMessageCodec,
  attestations: attestationBatchCodec,
  status: statusMessageCodec,
  releases: sealedResultCodec,
  dkg: dkgGossipCodec,
  shares: thresholdReleaseCodec,
  contributions: contributionUploadCodec,
  poolbans: poolBanCodec,
}

export type GossipVerdict = 'accept' | 'reject' | 'ignore'

/** Messages seen per topic: what validation concluded, and what this node published. */
export interface GossipCounters {
  readonly accepted: number
  readonly rejected: number
  readonly ignored: number
  readonly published: number
}

/** The node's side of one topic: judge a decoded message, then take an accepted one. */
export interface GossipHandler<T> {
  validate(message: T): GossipVerdict | Promise<GossipVerdict>
  deliver(message: T): void
}

/** What the node needs of the p2p network. */
export interface NodeNetwork {
  readonly peerId: string
  /** connected peers with their gossip score at this node */
  peers(): ReadonlyArray<{ readonly peerId: string; readonly score: number }>
  gossipCounters(): Readonly<Record<string, GossipCounters>>
  /** blob bytes served to and fetched from peers since start */
  blobBytes(): { readonly served: number; readonly fetched: number }
  publish<K extends TopicName>(topic: K, message: TopicMessages[K]): Promise<void>
  /** peers known to be subscribed to a topic (a message published now reaches them) */
  topicPeers(topic: TopicName): readonly string[]
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
  readonly status: 'none' | 'open' | 'paid' | 'refunded' | 'rejected'
  readonly amount: bigint
}

/** What the node needs of the chain. */
export interface NodeChain {
  currentEpoch(): Promise<number>
  validatorSet(epoch: number): Promise<ReadonlyArray<{ readonly address: Address; readonly stake: bigint }>>
  vault(vaultId: Hex32): Promise<ChainVault | undefined>
  job(jobId: Hex32): Promise<ChainJob | undefined>
  /** Hands a decided block with outcomes to the anchoring policy; `onAnchored` reports its tx. */
  anchor(decided: AnchorRequest): void
  /** The chain's latest block number. */
  latestBlock(): Promise<number>
  /** Vaults registered or given new terms in chain blocks `fromBlock`..`toBlock` (node/vault-warmer.ts). */
  vaultsChanged(fromBlock: number, toBlock: number): Promise<Hex32[]>
  /** Escrows and vaults at a block number, for the block rules (node/jobs/chain-facts.ts). */
  factsAt(number: number, needs: ChainNeeds): Promise<ChainFacts>
  /** Escrows at the latest block, vaults and time at a recent one: admission's view (node/chain/chain-state.ts). */
  admissionFacts(needs: ChainNeeds): Promise<ChainFacts>
  /** ValidatorRegistry.currentEpoch at a block number. */
  epochAt(number: number): Promise<number>
  /** Submits equivocation evidence; true if this call slashed, false if the stake was already gone. */
  slashDuplicateVote(evidence: DuplicateVoteEvidence): Promise<boolean>
}
