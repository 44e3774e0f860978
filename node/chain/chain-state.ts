import { isError } from 'ethers'
import {
  type ContractAddresses,
  connectValidatorRegistry,
  type Hex32,
  jobRecordOf,
} from '../../protocol/index.ts'
import {
  type ChainFacts,
  type ChainNeeds,
  chainFacts,
  type EscrowFact,
  type VaultFact,
} from '../jobs/chain-facts.ts'
import { NodeRpcProvider } from '../sdk/node-rpc-provider.ts'
import { ChainError } from './errors.ts'
import { type RetryPolicy, withRetry } from './retry.ts'
import { jobWords, ViewCall, vaultWords } from './view-call.ts'

export interface ChainStateInit {
  readonly rpcUrl: string
  readonly addresses: ContractAddresses
  /** Default: two quick attempts. Consensus waits on these reads; a slow answer is no answer. */
  readonly retry?: RetryPolicy
  /** Give up on one RPC call after this long; default 2 s. */
  readonly timeoutMs?: number
  /** Reads remembered, each keyed by (block number, what); default 20,000. */
  readonly cacheEntries?: number
  /** How long admission reuses a block number for vaults and chain time; default 1 s. */
  readonly recentMs?: number
}

const READ_RETRY: RetryPolicy = { attempts: 2, baseDelayMs: 100, maxDelayMs: 200 }

/**
 * Contract state at a given block number (ethers `blockTag`), for the rules
 * that read the chain. A read at a fixed number never changes once that
 * block is final, so every read is cached by (number, key); failures are
 * not cached. Read-only: it holds no key and sends nothing.
 */
export interface ChainState {
  /** The chain's latest block number. */
  latestBlock(): Promise<number>
  /** Escrows of `needs.jobs` and vaults of `needs.vaults` at `number`, with its timestamp. */
  factsAt(number: number, needs: ChainNeeds): Promise<ChainFacts>
  /**
   * What admission judges a request by, for one read per request: escrows at the latest block;
   * vaults and chain time at a block number read at most `recentMs` ago (facts.number), re-read at
   * the latest block when a vault there is unknown or inactive. Not for block rules: those read
   * every fact at one final number (factsAt).
   */
  admissionFacts(needs: ChainNeeds): Promise<ChainFacts>
  /** ValidatorRegistry.currentEpoch at `number`. */
  epochAt(number: number): Promise<number>
  stop(): void
}

const ZERO_ADDRESS = `0x${'0'.repeat(40)}`

/** The keys whose value was found, in order. */
const present = <T>(keys: readonly Hex32[], values: readonly (T | null)[]) =>
  new Map(keys.flatMap((k, i) => (values[i] ? [[k, values[i] as T] as const] : [])))

export function createChainState(init: ChainStateInit): ChainState {
  const retry = init.retry ?? READ_RETRY
  const recentMs = init.recentMs ?? 1000
  const timeoutMs = init.timeoutMs ?? 2000
  const limit = init.cacheEntries ?? 20_000
  // A fresh read every time: ethers would otherwise serve identical calls from a 250 ms cache.
  const provider = new NodeRpcProvider(init.rpcUrl, undefined, { staticNetwork: true, cacheTimeout: -1 })
  const jobs = new ViewCall(init.addresses.jobMarket, 'jobs(bytes32)')
  const vaults = new ViewCall(init.addresses.vaultRegistry, 'vaults(bytes32)')
  const isPool = new ViewCall(init.addresses.vaultRegistry, 'isPool(bytes32)')
  const registry = connectValidatorRegistry(init.addresses.validatorRegistry, provider).contract
  const cache = new Map<string, Promise<unknown>>()

  /** `read` retried on transient failures, each attempt bounded by timeoutMs. */
  const call = <T>(what: string, read: () => Promise<T>): Promise<T> =>
    withRetry(
      what,
      () => {
        let timer: NodeJS.Timeout | undefined
        const expired = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new ChainError('RPC_UNAVAILABLE', `${what}: no answer within ${timeoutMs} ms`)),
            timeoutMs,
          )
        })
        return Promise.race([read(), expired]).finally(() => clearTimeout(timer))
      },
      retry,
    )

  const cached = <T>(key: string, what: string, read: () => Promise<T>): Promise<T> => {
    const hit = cache.get(key)
    if (hit) return hit as Promise<T>
    const pending = call(what, read)
    cache.set(key, pending)
    pending.catch(() => cache.delete(key))
    // Oldest first: Map iteration follows insertion order.
    while (cache.size > limit) cache.delete(cache.keys().next().value as string)
    return pending
  }

  const timestampAt = (number: number) =>
    cached(`${number}:time`, `block ${number}`, async () => {
      const block = await provider.getBlock(number)
      if (!block) throw new ChainError('BLOCK_UNAVAILABLE', `the chain has no block ${number} yet`)
      return BigInt(block.timestamp)
    })

  const escrowRead = async (jobId: Hex32, number: number | 'latest'): Promise<EscrowFact | null> => {
    const job = jobRecordOf(jobWords(await jobs.words(provider, jobId, number, 6)))
    if (job.status === 'none') return null
    return {
      status: job.status,
      buyer: job.buyer,
      vaultId: job.vaultId,
      amount: job.escrow,
      expiresAt: job.expiresAt,
      minQuality: job.minQuality,
    }
  }

  const escrowAt = (number: number, jobId: Hex32) =>
    cached(`${number}:job:${jobId}`, `escrow ${jobId} at ${number}`, () => escrowRead(jobId, number))

  const latestBlock = () => call('latest block', () => provider.getBlockNumber())

  /**
   * A block number at most recentMs old. Every buyer transaction mines a block on a dev chain, so
   * reading vaults and time at the latest number missed the cache on nearly every request: four
   * calls of five per admission, on every validator.
   */
  let recent: { readonly number: Promise<number>; readonly at: number } | undefined
  const recentBlock = (): Promise<number> => {
    const now = Date.now()
    if (recent === undefined || now - recent.at > recentMs) {
      const number = latestBlock()
      const entry = { number, at: now }
      recent = entry
      number.catch(() => {
        if (recent === entry) recent = undefined
      })
    }
    return recent.number
  }

  const vaultAt = (number: number, vaultId: Hex32) =>
    cached(
      `${number}:vault:${vaultId}`,
      `vault ${vaultId} at ${number}`,
      async (): Promise<VaultFact | null> => {
        const [owner, active, , , price] = vaultWords(await vaults.words(provider, vaultId, number, 5))
        if (owner === ZERO_ADDRESS) return null
        // Whether settlement holds the owner share for a pool's contributors (VaultRegistry.markPool).
        const pool = (await isPool.words(provider, vaultId, number, 1)).bool(0)
        return { owner, active, price, pool }
      },
    )

  const factsAt = async (number: number, needs: ChainNeeds): Promise<ChainFacts> => {
    const jobs = [...new Set(needs.jobs)]
    const ids = [...new Set(needs.vaults)]
    const [timestamp, escrows, vaultFacts] = await Promise.all([
      timestampAt(number),
      Promise.all(jobs.map((id) => escrowAt(number, id))),
      Promise.all(ids.map((id) => vaultAt(number, id))),
    ])
    return chainFacts({
      number,
      timestamp,
      escrows: present(jobs, escrows),
      vaults: present(ids, vaultFacts),
    })
  }

  return {
    latestBlock,
    factsAt,

    async admissionFacts(needs) {
      const jobs = [...new Set(needs.jobs)]
      const vaults = [...new Set(needs.vaults)]
      const usable = (facts: ChainFacts) => vaults.every((id) => facts.vault(id)?.active)
      const [escrows, recentFacts] = await Promise.all([
        Promise.all(
          jobs.map((id) => call(`escrow ${id} at the latest block`, () => escrowRead(id, 'latest'))),
        ),
        recentBlock().then((number) => factsAt(number, { jobs: [], vaults })),
      ])
      let facts = recentFacts
      if (!usable(facts)) {
        // Registered or reactivated since: a refusal must rest on the latest state, not a recent one.
        const number = await latestBlock()
        recent = { number: Promise.resolve(number), at: Date.now() }
        facts = await factsAt(number, { jobs: [], vaults })
      }
      const known = vaults.map((id) => facts.vault(id) ?? null)
      return chainFacts({
        number: facts.number,
        timestamp: facts.timestamp,
        escrows: present(jobs, escrows),
        vaults: present(vaults, known),
      })
    },

    epochAt: (number) =>
      cached(`${number}:epoch`, `epoch at ${number}`, async () => {
        try {
          return Number(await registry.getFunction('currentEpoch').staticCall({ blockTag: number }))
        } catch (error) {
          // No registry code yet at that block: no epoch has started there.
          if (isError(error, 'BAD_DATA')) return 0
          throw error
        }
      }),

    stop: () => provider.destroy(),
  }
}
