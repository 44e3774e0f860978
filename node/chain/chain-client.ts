import { isCallException, type JsonRpcProvider, Network, Wallet } from 'ethers'
import type { Logger } from 'pino'
import {
  type Address,
  type BlockHeader,
  CertificateSignerError,
  type CommitCertificate,
  type CommitteeKeyCall,
  type ContractAddresses,
  connectAnchor,
  connectJobMarket,
  connectValidatorRegistry,
  connectVaultRegistry,
  type DuplicateVoteEvidence,
  type EscrowClosing,
  type Hex32,
  headerHash,
  type JobStatus,
  marketOutcomeArg,
  needsAnchoring,
  type OutcomeProof,
  outcomeProofArg,
  precommitBitmap,
  slashDuplicateVoteArgs,
  unpackMember,
  type ValidatorSetMember,
  ZERO_HASH,
} from '../../protocol/index.ts'
import { NodeRpcProvider } from '../sdk/node-rpc-provider.ts'
import { ChainError } from './errors.ts'
import { DEFAULT_RETRY, type RetryPolicy, withRetry } from './retry.ts'
import { TxSender } from './tx-sender.ts'

export interface ChainClientInit {
  readonly rpcUrl: string
  readonly addresses: ContractAddresses
  /** The validator's key: it signs the anchor transactions. Never logged. */
  readonly privateKey: Hex32
  readonly logger?: Logger
  /** Receipt polling interval; default 500 ms. */
  readonly pollMs?: number
  /** Re-send a transaction with higher fees when not mined after this long; default 15 s. */
  readonly stuckAfterMs?: number
  /** Give up on a transaction after this long; default 120 s. */
  readonly txTimeoutMs?: number
  /** How transient RPC failures are retried. */
  readonly retry?: RetryPolicy
  /** How long start() waits for the RPC endpoint to answer; default 30 s. */
  readonly startTimeoutMs?: number
}

export interface ValidatorSet {
  readonly epoch: number
  readonly members: readonly ValidatorSetMember[]
  /** Packed `stake << 160 | address` words in set order, as Anchor.anchor takes them. */
  readonly words: readonly bigint[]
  readonly totalStake: bigint
}

export interface VaultOnChain {
  readonly registered: boolean
  readonly active: boolean
  readonly owner: Address
  readonly manifestHash: Hex32
  readonly policyHash: Hex32
  readonly price: bigint
}

export interface JobOnChain {
  /** Escrow was opened (whatever happened to it since). */
  readonly opened: boolean
  readonly status: JobStatus
  readonly buyer: Address
  readonly vaultId: Hex32
  readonly escrow: bigint
  readonly expiresAt: bigint
}

/** A decided block as the Anchor contract takes it: its header and the certificate that decided it. */
export interface AnchorRequest {
  readonly header: BlockHeader
  /** The commit certificate of the block: its round and precommits are what the Anchor verifies. */
  readonly certificate: CommitCertificate
}

export type AnchorOutcome =
  | {
      readonly status: 'anchored'
      readonly txHash: Hex32
      readonly gasUsed: bigint
      readonly blockNumber: number
    }
  | { readonly status: 'already-anchored' }

export type SlashOutcome =
  | { readonly status: 'slashed'; readonly txHash: Hex32 }
  /** Someone (maybe this node, before a restart) proved it first: the stake is already gone. */
  | { readonly status: 'already-slashed' }

export interface AnchorTx {
  readonly txHash: Hex32
  readonly blockNumber: number
  /** The anchored record's epoch and signers bitmap: what an outcome proof of this height must name. */
  readonly epoch: number
  readonly signers: bigint
}

/** A proven outcome of one job: a release pays its escrow out, a failure refunds it. */
export type ProvenOutcome =
  | { readonly kind: 'released'; readonly resultHash: Hex32; readonly qualityScore: number }
  | { readonly kind: 'failed' }

export interface SettleRequest {
  readonly jobId: Hex32
  readonly outcome: ProvenOutcome
  readonly proof: OutcomeProof
}

export type SettleOutcome =
  | {
      readonly status: 'settled'
      readonly txHash: Hex32
      readonly blockNumber: number
      /** The closing this transaction recorded, from its receipt (settleJobs); absent from settleJob. */
      readonly closing?: EscrowClosing
    }
  /** The escrow was not open (closed by someone else first, or never opened). */
  | { readonly status: 'not-open' }

export interface ChainClient {
  /** The validator's address (its transaction sender). */
  readonly address: Address
  /** Waits for the RPC endpoint (retrying) and learns the chain id. */
  start(): Promise<void>
  stop(): Promise<void>
  currentEpoch(): Promise<number>
  /** Cached once the epoch has started: a started epoch's set never changes. */
  validatorSet(epoch: number): Promise<ValidatorSet>
  vault(vaultId: Hex32): Promise<VaultOnChain>
  job(jobId: Hex32): Promise<JobOnChain>
  isAnchored(height: number): Promise<boolean>
  /** The transaction that anchored a height, found from the Anchored event; undefined if none. */
  anchorTx(height: number): Promise<AnchorTx | undefined>
  /**
   * The chain block the Anchor contract was deployed in: no Anchored event is older, so event scans
   * start there. Found once by bisecting on the contract's code (0 where old state is pruned).
   */
  anchorDeployBlock(): Promise<number>
  /**
   * Anchors a decided block. Idempotent: a height already anchored (by anyone, before or during the
   * call) gives `already-anchored`, not an error.
   */
  anchorBlock(request: AnchorRequest): Promise<AnchorOutcome>
  /**
   * Submits duplicate-vote evidence to ValidatorRegistry.slashDuplicateVote. Idempotent: an
   * equivocator already slashed (a lost race included) gives `already-slashed`, not an error.
   */
  slashDuplicateVote(evidence: DuplicateVoteEvidence): Promise<SlashOutcome>
  /**
   * Closes a job's escrow with a proof of its anchored outcome: JobMarket.settle for a release,
   * refundFailed for a failure. Idempotent: an escrow that is not open gives `not-open`.
   */
  settleJob(request: SettleRequest): Promise<SettleOutcome>
  /**
   * Settles several outcomes in one JobMarket.settleMany transaction, one answer per request in
   * its order: `settled` with the closing read from the receipt for each escrow the transaction
   * closed, `not-open` for the others (closed first by someone else). One refused outcome (an
   * invalid proof) reverts the whole transaction: REVERTED, and nothing is closed.
   */
  settleJobs(requests: readonly SettleRequest[]): Promise<SettleOutcome[]>
  /** The JobPaid or JobRefunded event that closed a job's escrow, searched from `fromBlock`. */
  escrowClosing(jobId: Hex32, fromBlock: number): Promise<EscrowClosing | undefined>
  /** Vaults registered or given new terms in chain blocks `fromBlock`..`toBlock`, in order, each once. */
  vaultsChanged(fromBlock: number, toBlock: number): Promise<Hex32[]>
  /** Anchor.committeeKeys(epoch): the registered collective key hash, undefined when none. */
  committeeKeyHash(epoch: number): Promise<Hex32 | undefined>
  /**
   * Anchor.registerCommitteeKey with members' CommitteeKey signatures. Idempotent: an epoch whose
   * key someone registered first gives `already-registered`.
   */
  registerCommitteeKey(call: CommitteeKeyCall): Promise<'registered' | 'already-registered'>
}

interface Started {
  readonly provider: JsonRpcProvider
  readonly sender: TxSender
  readonly registry: ReturnType<typeof connectValidatorRegistry>
  readonly vaults: ReturnType<typeof connectVaultRegistry>
  readonly market: ReturnType<typeof connectJobMarket>
  readonly anchor: ReturnType<typeof connectAnchor>
}

const ZERO_ADDRESS = `0x${'0'.repeat(40)}`

export function createChainClient(init: ChainClientInit): ChainClient {
  const wallet = new Wallet(init.privateKey)
  const address = wallet.address.toLowerCase() as Address
  const log = init.logger?.child({ module: 'chain', validator: address })
  const retry = init.retry ?? DEFAULT_RETRY
  const pollMs = init.pollMs ?? 500
  const validatorSets = new Map<number, ValidatorSet>()
  let started: Started | undefined

  let deployBlock: Promise<number> | undefined

  /** Bisects for the first block with the Anchor's code: a few reads once, instead of scans from block 0. */
  const findAnchorDeployBlock = async (): Promise<number> => {
    const { provider } = state()
    const codeAt = (block: number) =>
      read('Anchor code', () => provider.getCode(init.addresses.anchor, block))
    let lo = 0
    let hi = await read('block number', () => provider.getBlockNumber())
    try {
      while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2)
        if ((await codeAt(mid)) === '0x') lo = mid + 1
        else hi = mid
      }
      return lo
    } catch (e) {
      // A node that pruned old state cannot answer for old blocks: scan everything, as a last resort.
      log?.warn({ err: e }, 'cannot find the Anchor deployment block; event scans start at block 0')
      return 0
    }
  }
  const anchorDeployBlock = (): Promise<number> => {
    deployBlock ??= findAnchorDeployBlock().catch((e: unknown) => {
      deployBlock = undefined // an unreachable RPC is no answer: ask again next time
      throw e
    })
    return deployBlock
  }

  const state = (): Started => {
    if (started === undefined) throw new ChainError('NOT_STARTED', 'chain client is not started')
    return started
  }
  const read = <T>(what: string, call: (s: Started) => Promise<T>) =>
    withRetry(what, () => call(state()), retry)

  const isAnchored = async (height: number) =>
    (await read('commitment', (s) => s.anchor.commitment(height))) !== ZERO_HASH

  const currentEpoch = () => read('current epoch', (s) => s.registry.currentEpoch())
  const committeeKeyHash = async (epoch: number): Promise<Hex32 | undefined> => {
    const h = (await read('committee key', (s) =>
      s.anchor.contract.getFunction('committeeKeys')(epoch),
    )) as Hex32
    return h === ZERO_HASH ? undefined : h
  }

  const validatorSet = async (epoch: number): Promise<ValidatorSet> => {
    const cached = validatorSets.get(epoch)
    if (cached !== undefined) return cached
    const words = await read('epoch set', (s) => s.registry.epochSetWords(epoch))
    const members = words.map(unpackMember)
    const set = { epoch, words, members, totalStake: members.reduce((sum, m) => sum + m.stake, 0n) }
    // A future epoch reads as empty and may still change; only a started epoch's set is final.
    if (words.length > 0 && epoch <= (await currentEpoch())) validatorSets.set(epoch, set)
    return set
  }

  return {
    address,

    async start() {
      if (started !== undefined) return
      const chainId = await waitForChainId(init.rpcUrl, init.startTimeoutMs ?? 30_000)
      const provider = new NodeRpcProvider(init.rpcUrl, Network.from(chainId), {
        staticNetwork: Network.from(chainId),
        pollingInterval: pollMs,
        // ethers caches identical calls for 250 ms: a nonce or a commitment read must be fresh.
        cacheTimeout: -1,
      })
      const signer = wallet.connect(provider)
      const sender = new TxSender(
        signer,
        provider,
        chainId,
        {
          pollMs,
          stuckAfterMs: init.stuckAfterMs ?? 15_000,
          timeoutMs: init.txTimeoutMs ?? 120_000,
          bumpPercent: 20n,
          retry,
        },
        log,
      )
      started = {
        provider,
        sender,
        registry: connectValidatorRegistry(init.addresses.validatorRegistry, provider),
        vaults: connectVaultRegistry(init.addresses.vaultRegistry, provider),
        market: connectJobMarket(init.addresses.jobMarket, provider),
        anchor: connectAnchor(init.addresses.anchor, provider),
      }
      log?.info({ rpcUrl: init.rpcUrl, chainId: String(chainId) }, 'chain client started')
    },

    async stop() {
      started?.provider.destroy()
      started = undefined
    },

    currentEpoch,
    validatorSet,

    async vault(vaultId) {
      const v = await read('vault', (s) => s.vaults.vault(vaultId))
      return { registered: v.owner !== ZERO_ADDRESS, ...v }
    },

    async job(jobId) {
      const j = await read('job', (s) => s.market.job(jobId))
      return { opened: j.status !== 'none', ...j }
    },

    isAnchored,

    anchorDeployBlock,

    async anchorTx(height) {
      const from = await anchorDeployBlock()
      const logs = await read('Anchored logs', (s) => {
        const filter = s.anchor.contract.filters.Anchored
        if (filter === undefined) throw new ChainError('ABI_MISMATCH', 'Anchor ABI has no Anchored event')
        return s.anchor.contract.queryFilter(filter(height), from)
      })
      const first = logs[0]
      if (first === undefined) return undefined
      const args = state().anchor.contract.interface.parseLog(first)?.args
      return {
        txHash: first.transactionHash as Hex32,
        blockNumber: first.blockNumber,
        epoch: Number(args?.epoch ?? 0),
        signers: BigInt(args?.signers ?? 0),
      }
    },

    async anchorBlock({ header, certificate }) {
      const height = header.height
      if (!needsAnchoring(header)) {
        throw new ChainError('NOTHING_TO_ANCHOR', `block ${height} has no outcomes (zero results root)`)
      }
      if (
        certificate.height !== height ||
        certificate.epoch !== header.epoch ||
        certificate.blockHash !== headerHash(header)
      ) {
        throw new ChainError('CERTIFICATE_MISMATCH', `certificate is not for block ${height}'s header`)
      }
      // A read is free and a losing transaction is not: check before building anything.
      if (await isAnchored(height)) return { status: 'already-anchored' }
      const s = state()
      const set = await validatorSet(header.epoch)
      const bitmap = signerBitmap(set.words, certificate.precommits)
      const data = s.anchor.contract.interface.encodeFunctionData('anchor', [
        { ...header },
        certificate.round,
        [...set.words],
        bitmap.signers,
        bitmap.signatures,
      ])
      const sent = await submit({
        what: `Anchor.anchor(${height})`,
        to: init.addresses.anchor,
        data,
        iface: s.anchor.contract.interface,
        lostRace: 'HeightAlreadyAnchored',
        done: () => isAnchored(height),
      })
      if (sent === undefined) return { status: 'already-anchored' }
      log?.info({ height, txHash: sent.hash, gasUsed: String(sent.gasUsed) }, 'block anchored')
      return {
        status: 'anchored',
        txHash: sent.hash as Hex32,
        gasUsed: sent.gasUsed,
        blockNumber: sent.blockNumber,
      }
    },

    async slashDuplicateVote(evidence) {
      const s = state()
      const equivocator = evidence.first.vote.validator
      const slashed = async () =>
        (await read('validator stake', (st) => st.registry.validator(equivocator))).stake === 0n
      if (await slashed()) return { status: 'already-slashed' }
      const sent = await submit({
        what: `slashDuplicateVote(${equivocator})`,
        to: init.addresses.validatorRegistry,
        data: s.registry.contract.interface.encodeFunctionData(
          'slashDuplicateVote',
          slashDuplicateVoteArgs(evidence),
        ),
        iface: s.registry.contract.interface,
        lostRace: 'NothingToSlash',
        done: slashed,
      })
      if (sent === undefined) return { status: 'already-slashed' }
      log?.info({ equivocator, txHash: sent.hash }, 'equivocator slashed')
      return { status: 'slashed', txHash: sent.hash as Hex32 }
    },

    async settleJob({ jobId, outcome, proof }) {
      const s = state()
      const notOpen = async () => (await read('job', (st) => st.market.job(jobId))).status !== 'open'
      if (await notOpen()) return { status: 'not-open' }
      const iface = s.market.contract.interface
      const data =
        outcome.kind === 'released'
          ? iface.encodeFunctionData('settle', [
              jobId,
              outcome.resultHash,
              outcome.qualityScore,
              outcomeProofArg(proof),
            ])
          : iface.encodeFunctionData('refundFailed', [jobId, outcomeProofArg(proof)])
      const method = outcome.kind === 'released' ? 'settle' : 'refundFailed'
      const sent = await submit({
        what: `JobMarket.${method}(${jobId})`,
        to: init.addresses.jobMarket,
        data,
        iface,
        lostRace: 'JobNotOpen',
        done: notOpen,
      })
      if (sent === undefined) return { status: 'not-open' }
      log?.info({ jobId, method, txHash: sent.hash, gasUsed: String(sent.gasUsed) }, 'escrow closed')
      return { status: 'settled', txHash: sent.hash as Hex32, blockNumber: sent.blockNumber }
    },

    async settleJobs(requests) {
      const s = state()
      const openNow = async () =>
        Promise.all(
          requests.map(async (r) => (await read('job', (st) => st.market.job(r.jobId))).status === 'open'),
        )
      const wasOpen = await openNow()
      const toClose = requests.filter((_, i) => wasOpen[i])
      if (toClose.length === 0) return requests.map(() => ({ status: 'not-open' }) as const)
      const iface = s.market.contract.interface
      const data = iface.encodeFunctionData('settleMany', [
        toClose.map((r) => marketOutcomeArg({ jobId: r.jobId, proof: r.proof, ...r.outcome })),
      ])
      const sent = await submit({
        what: `JobMarket.settleMany(${toClose.length} jobs)`,
        to: init.addresses.jobMarket,
        data,
        iface,
        // settleMany skips a job closed first by someone else: it reverts on a refused proof only.
        lostRace: 'JobNotOpen',
        done: async () => (await openNow()).every((o) => !o),
      })
      if (sent === undefined) return requests.map(() => ({ status: 'not-open' }) as const)
      const closed = s.market.closingsIn(sent)
      log?.info(
        { jobs: toClose.length, closed: closed.size, txHash: sent.hash, gasUsed: String(sent.gasUsed) },
        'escrows closed',
      )
      return requests.map((r) => {
        const closing = closed.get(r.jobId.toLowerCase() as Hex32)
        return closing === undefined
          ? ({ status: 'not-open' } as const)
          : { status: 'settled', txHash: sent.hash as Hex32, blockNumber: sent.blockNumber, closing }
      })
    },

    escrowClosing: (jobId, fromBlock) => read('escrow closing', (s) => s.market.closing(jobId, fromBlock)),

    async vaultsChanged(fromBlock, toBlock) {
      const logs = await read('vault logs', async (s) => {
        const { VaultRegistered, VaultUpdated } = s.vaults.contract.filters
        if (VaultRegistered === undefined || VaultUpdated === undefined)
          throw new ChainError('ABI_MISMATCH', 'VaultRegistry ABI has no VaultRegistered/VaultUpdated event')
        const found = await Promise.all([
          s.vaults.contract.queryFilter(VaultRegistered(), fromBlock, toBlock),
          s.vaults.contract.queryFilter(VaultUpdated(), fromBlock, toBlock),
        ])
        return found.flat().sort((a, b) => a.blockNumber - b.blockNumber || a.index - b.index)
      })
      return [...new Set(logs.map((log) => log.topics[1] as Hex32))]
    },

    committeeKeyHash,

    async registerCommitteeKey(call) {
      if ((await committeeKeyHash(call.epoch)) !== undefined) return 'already-registered'
      const s = state()
      const bitmap = signerBitmap(call.validatorSet, call.signatures)
      const iface = s.anchor.contract.interface
      const sent = await submit({
        what: `Anchor.registerCommitteeKey(${call.epoch})`,
        to: init.addresses.anchor,
        data: iface.encodeFunctionData('registerCommitteeKey', [
          call.epoch,
          call.keyHash,
          [...call.validatorSet],
          bitmap.signers,
          bitmap.signatures,
        ]),
        iface,
        lostRace: 'CommitteeKeyAlreadyRegistered',
        done: async () => (await committeeKeyHash(call.epoch)) !== undefined,
      })
      if (sent === undefined) return 'already-registered'
      log?.info({ epoch: call.epoch, keyHash: call.keyHash, txHash: sent.hash }, 'committee key registered')
      return 'registered'
    },
  }

  /**
   * Estimates, sends and waits for one transaction. Undefined when it lost a race that `done`
   * confirms (the revert named `lostRace`, or a failed send after which `done` holds): the work was
   * done by someone else, which is not a failure.
   */
  async function submit(tx: {
    what: string
    to: string
    data: string
    iface: { parseError(data: string): { name: string } | null }
    lostRace: string
    done: () => Promise<boolean>
  }): Promise<Awaited<ReturnType<TxSender['send']>> | undefined> {
    const s = state()
    let gas: bigint
    try {
      gas = await withRetry(
        `estimate ${tx.what}`,
        () => s.provider.estimateGas({ from: address, to: tx.to, data: tx.data }),
        retry,
      )
    } catch (error) {
      const reason = revertReason(error, tx.iface)
      if (reason === tx.lostRace) return undefined
      if (reason !== undefined) {
        throw new ChainError('REVERTED', `${tx.what} reverts: ${reason}`, { reason, cause: error })
      }
      throw error
    }
    // Headroom over the estimate: the estimate is exact now, but storage may be warm by then.
    let receipt: Awaited<ReturnType<TxSender['send']>>
    try {
      receipt = await s.sender.send({ to: tx.to, data: tx.data, gasLimit: (gas * 6n) / 5n })
    } catch (error) {
      // Some nodes refuse a send that reverts instead of mining it as failed;
      // either way, losing the race to another validator's transaction is not a failure.
      if (await tx.done().catch(() => false)) return undefined
      throw error
    }
    if (receipt.status === 1) return receipt
    // Reverted on chain: another validator's transaction for the same work was mined first.
    if (await tx.done()) return undefined
    throw new ChainError('REVERTED', `${tx.what} reverted in ${receipt.hash}`, { reason: 'unknown' })
  }
}

/** The signers bitmap and compact signatures the Anchor takes; a signer outside the set is SIGNER_NOT_IN_SET. */
function signerBitmap(...args: Parameters<typeof precommitBitmap>): ReturnType<typeof precommitBitmap> {
  try {
    return precommitBitmap(...args)
  } catch (error) {
    if (error instanceof CertificateSignerError) throw new ChainError('SIGNER_NOT_IN_SET', error.message)
    throw error
  }
}

/** The custom error name of a reverted call, or undefined when the failure is not a revert. */
function revertReason(
  error: unknown,
  iface: { parseError(data: string): { name: string } | null },
): string | undefined {
  if (!isCallException(error)) return undefined
  // Reverts during gas estimation carry raw data only; decode the custom error from the ABI.
  const decoded = error.data ? iface.parseError(error.data) : null
  return decoded?.name ?? error.revert?.name ?? error.reason ?? 'unknown'
}

/** Asks the endpoint for its chain id until it answers: the node may start before its chain. */
async function waitForChainId(rpcUrl: string, timeoutMs: number): Promise<bigint> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const response = await fetch(rpcUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
        signal: AbortSignal.timeout(Math.max(1, Math.min(5_000, deadline - Date.now()))),
      })
      const body = (await response.json()) as { result?: unknown }
      if (typeof body.result === 'string') return BigInt(body.result)
      last = new ChainError('RPC_UNAVAILABLE', `unexpected answer ${JSON.stringify(body)}`)
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new ChainError('RPC_UNAVAILABLE', `${rpcUrl} did not answer eth_chainId within ${timeoutMs} ms`, {
    cause: last,
  })
}
