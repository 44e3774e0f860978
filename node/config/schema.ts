import { z } from 'zod'
import { DEFAULT_ESCROW_TERMS } from '../jobs/chain-facts.ts'

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 20-byte hex address')
const timeout = z.strictObject({ base: z.int().positive(), delta: z.int().min(0) })

/**
 * The node's config file (`<home>/config.json`). Every field has a default
 * except the chain's addresses, which `tcf node init` asks for.
 */
export const NodeConfigSchema = z.strictObject({
  chain: z.strictObject({
    /** JSON-RPC endpoint of the EVM chain */
    rpcUrl: z.url().default('http://127.0.0.1:8545'),
    chainId: z.int().positive().default(31337),
    addresses: z.strictObject({
      validatorRegistry: address,
      vaultRegistry: address,
      jobMarket: address,
      anchor: address,
    }),
    /**
     * Blocks read chain state this many blocks below the chain's latest, where it no longer
     * reorganises. A protocol parameter: every validator must use the same value.
     */
    finalityDepth: z.int().min(0).max(1000).default(2),
  }),
  /**
   * How long an escrow must stay locked for a job to be admitted: (deadline - height) x
   * secondsPerHeight + settlementSeconds past the chain block's time. Protocol parameters: every
   * validator must use the same values.
   */
  admission: z
    .strictObject({
      secondsPerHeight: z.int().min(0).default(DEFAULT_ESCROW_TERMS.secondsPerHeight),
      settlementSeconds: z.int().min(0).default(DEFAULT_ESCROW_TERMS.settlementSeconds),
    })
    .prefault({}),
  p2p: z
    .strictObject({
      /** multiaddrs to listen on */
      listen: z.array(z.string()).default(['/ip4/127.0.0.1/tcp/7600']),
      /** peers to dial at start and redial when lost: the other validators */
      bootstrap: z.array(z.string()).default([]),
    })
    .prefault({}),
  api: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.int().min(0).max(65535).default(7700),
      /** the built web app the API serves beside it; web/dist of this checkout when absent */
      webRoot: z.string().min(1).optional(),
    })
    .prefault({}),
  consensus: z
    .strictObject({
      timeouts: z
        .strictObject({
          propose: timeout.default({ base: 3000, delta: 500 }),
          prevote: timeout.default({ base: 1000, delta: 500 }),
          precommit: timeout.default({ base: 1000, delta: 500 }),
        })
        .prefault({}),
      /** pause between a decision and the next height */
      blockIntervalMs: z.int().min(0).default(500),
    })
    .prefault({}),
  sandbox: z
    .strictObject({
      /** evaluation worker threads; 0 = every core */
      workers: z.int().min(0).default(0),
      /** wall-clock limit per job */
      deadlineMs: z.int().positive().default(600_000),
      /** SEAL heap cap per job */
      memoryCapMiB: z.int().positive().default(2048),
      /** estimated single-core cost above which this node takes (proposes, relays) no job; blocks are judged by the network limits */
      maxCostMs: z.int().positive().default(300_000),
    })
    .prefault({}),
  anchor: z
    .strictObject({
      /** how long other validators give the proposer to anchor a block before doing it themselves */
      takeoverDelayMs: z.int().min(0).default(5000),
    })
    .prefault({}),
  uploads: z
    .strictObject({
      /** bytes one vault owner may store on this node through the API */
      quotaMiB: z.int().positive().default(4096),
      /** how long an announced vault may stay unregistered on chain before its blobs are collected */
      pendingTtlSeconds: z.int().positive().default(3600),
      /** announced, unregistered vaults per owner at a time */
      maxPendingPerOwner: z.int().positive().default(4),
      /** bytes all unregistered announcements together may hold (registered owners are not held to it) */
      pendingPoolMiB: z.int().positive().default(8192),
      /** how often blobs of deactivated or abandoned vaults are collected; 0 = never */
      gcIntervalSeconds: z.int().min(0).default(600),
    })
    .prefault({}),
  threshold: z
    .strictObject({
      /** run the epoch committee's DKG (threshold mode) when this validator is in the set */
      dkg: z.boolean().default(true),
    })
    .prefault({}),
  log: z
    .strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info') })
    .prefault({}),
})
export type NodeConfig = z.infer<typeof NodeConfigSchema>
export type NodeConfigInput = z.input<typeof NodeConfigSchema>
