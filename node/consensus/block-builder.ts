import type { Logger } from 'pino'
import {
  type Address,
  type Block,
  blockCodec,
  type Hex32,
  jobIdOf,
  type PoolBan,
  type Release,
  type SignedContribution,
  type SignedJobRequest,
} from '../../protocol/index.ts'
import type { AttestationPool } from '../jobs/attestation-pool.ts'
import { type BlockFrame, buildBlock, type ScoredCandidate, validateBlock } from '../jobs/block.ts'
import { type ChainFacts, type ChainNeeds, noChainFacts } from '../jobs/chain-facts.ts'
import { type RuleSources, ruleContext } from '../jobs/rule-context.ts'
import type { JobTrace } from '../jobs/trace.ts'
import type { NodeChain } from '../ports.ts'
import { ConsensusAppError } from './errors.ts'

/** How long a validator waits for the chain to make a proposed block's chain number final before voting nil. */
const CHAIN_FINALITY_WAIT_MS = 4000
/** A validator one chain block behind the proposer catches up within a poll or two of a local RPC. */
const CHAIN_POLL_MS = 100

export interface BlockBuilderDeps {
  readonly rules: RuleSources
  readonly chain: Pick<NodeChain, 'latestBlock' | 'factsAt'>
  /** Blocks read the chain this many blocks below its latest, where it no longer reorganises. */
  readonly finalityDepth: number
  readonly epoch: () => number
  readonly proposer: Address
  /** requests waiting for a block */
  readonly pending: () => SignedJobRequest[]
  /** owners' releases waiting for a block */
  readonly releases: () => Release[]
  readonly attestations: AttestationPool
  /** loads the manifests of vaults the block admits jobs of (content-addressed: a fetch can fail, never differ) */
  readonly loadManifest: (vaultId: Hex32) => Promise<unknown>
  /** threshold releases whose t shares are all here (none without threshold mode) */
  readonly scored?: () => ScoredCandidate[]
  /** loads what the threshold rules read (committee keys, primes) before a block is built or judged */
  readonly prepareThreshold?: () => Promise<void>
  /** contribution claims waiting for a block, their bytes checked (none without pools) */
  readonly contributions?: () => SignedContribution[]
  readonly poolBans?: () => PoolBan[]
  /** loads the pools a block names and checks its contributions' bytes (fetched from peers if need be) */
  readonly preparePools?: (block: Block) => Promise<void>
  readonly logger: Logger
  readonly trace?: JobTrace
}

/** The consensus app's side of a block: what this node proposes, and whether it votes for another's. */
export class BlockBuilder {
  readonly #deps: BlockBuilderDeps

  constructor(deps: BlockBuilderDeps) {
    this.#deps = deps
  }

  /**
   * The proposer reads the chain `finalityDepth` blocks below its latest, never below the parent's
   * number. If it cannot read the chain it proposes at the parent's number with no facts, so its
   * block admits and releases nothing rather than being judged on facts no one else has.
   */
  async build(height: number): Promise<Block> {
    const { chain, finalityDepth } = this.#deps
    const frame = this.#frame(height)
    const pending = this.#deps.pending()
    const releases = this.#deps.releases()
    await this.#prepareThreshold(height)
    let facts: ChainFacts
    try {
      const latest = await chain.latestBlock()
      const number = Math.max(frame.chainBlock, latest - finalityDepth)
      facts = await chain.factsAt(number, this.#needs(pending, releases))
    } catch (e) {
      this.#deps.logger.warn({ err: e, height }, 'chain unreadable: proposing without admissions or releases')
      facts = noChainFacts(frame.chainBlock)
    }
    // Checked once here, frozen: the proposal's encoding, the commit and the store take it as it is.
    const built = buildBlock(ruleContext(this.#deps.rules, height, facts), frame, this.#deps.proposer, {
      pending,
      attestations: this.#deps.attestations,
      releases,
      scored: this.#deps.scored?.() ?? [],
      contributions: this.#deps.contributions?.() ?? [],
      poolBans: this.#deps.poolBans?.() ?? [],
    })
    const block = blockCodec.check(built)
    for (const r of block.admitted) this.#deps.trace?.(jobIdOf(r.request), 'proposed', { height })
    return block
  }

  async #prepareThreshold(height: number): Promise<void> {
    try {
      await this.#deps.prepareThreshold?.()
    } catch (e) {
      // Without them every threshold release is refused here: not voting for one is safe.
      this.#deps.logger.warn({ err: e, height }, 'threshold keys not loaded')
    }
  }

  async validate(height: number, block: Block): Promise<boolean> {
    await Promise.all(
      block.admitted.map((r) => this.#deps.loadManifest(r.request.vaultId).catch(() => undefined)),
    )
    if (block.scored) await this.#prepareThreshold(height)
    if (block.contributions || block.poolBans) {
      // Unchecked bytes are refused by the rules (BYTES_UNAVAILABLE): failing here only means a nil vote.
      await this.#deps
        .preparePools?.(block)
        .catch((err: unknown) => this.#deps.logger.warn({ err, height }, 'pool contributions not checked'))
    }
    const frame = this.#frame(height)
    let facts: ChainFacts
    const judging = performance.now()
    try {
      facts = await this.#factsFor(block, frame)
      // What the devnet bench sums as the chain wait of each height (most of it is finality).
      this.#deps.logger.info(
        { height, chainBlock: block.chainBlock, chainMs: Math.round(performance.now() - judging) },
        'block chain read',
      )
    } catch (e) {
      // Not a verdict on the block: another validator may read it fine. Not voting for it is safe either way.
      this.#deps.logger.warn(
        { height, chainBlock: block.chainBlock, err: e instanceof Error ? e.message : String(e) },
        'cannot read the chain at the block number: not voting for the block',
      )
      return false
    }
    const verdict = validateBlock(ruleContext(this.#deps.rules, height, facts), frame, block)
    if (!verdict.ok)
      this.#deps.logger.warn({ height, code: verdict.code, reason: verdict.message }, 'block refused')
    return verdict.ok
  }

  #frame(height: number): BlockFrame {
    const { ledger } = this.#deps.rules
    return { height, epoch: this.#deps.epoch(), parentHash: ledger.headHash, chainBlock: ledger.chainBlock }
  }

  /** What the rules read from the chain for these admissions and releases. */
  #needs(admitted: readonly SignedJobRequest[], released: readonly Release[]): ChainNeeds {
    const { ledger } = this.#deps.rules
    const releasedVaults = released.flatMap((r) => {
      const job = ledger.job(r.jobId)
      return job ? [job.request.request.vaultId] : []
    })
    return {
      jobs: admitted.map((r) => jobIdOf(r.request)),
      vaults: [...admitted.map((r) => r.request.vaultId), ...releasedVaults],
    }
  }

  /**
   * The chain facts a block is judged by, read at its own chain number once that number is final
   * here. A block that moves the number forward is held to finality even when it reads nothing:
   * an unreachable number would otherwise become every later block's lower bound.
   */
  async #factsFor(block: Block, frame: BlockFrame): Promise<ChainFacts> {
    const number = block.chainBlock
    if (number < frame.chainBlock) return noChainFacts(number)
    if (number > frame.chainBlock) await this.#awaitFinal(number)
    const needs = this.#needs(block.admitted, block.released)
    if (needs.jobs.length === 0 && needs.vaults.length === 0) return noChainFacts(number)
    return this.#deps.chain.factsAt(number, needs)
  }

  async #awaitFinal(number: number): Promise<void> {
    const { chain, finalityDepth } = this.#deps
    const deadline = Date.now() + CHAIN_FINALITY_WAIT_MS
    for (;;) {
      const latest = await chain.latestBlock()
      if (latest - finalityDepth >= number) return
      if (Date.now() > deadline) {
        throw new ConsensusAppError(
          'CHAIN_NOT_FINAL',
          `chain block ${number} is not ${finalityDepth} deep here (latest ${latest})`,
        )
      }
      await new Promise((resolve) => setTimeout(resolve, CHAIN_POLL_MS))
    }
  }
}
