import { z } from 'zod'
import { addressSchema } from '../hex.ts'
import { epochSchema, heightSchema, roundSchema, uintSchema } from '../messages/primitives.ts'

// As the operator configured them: checksummed or not.
const contractSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'expected a contract address')

/** The chain as clients reach it: enough for an SDK to register vaults and open escrows. */
export const chainInfoSchema = z.strictObject({
  chainId: z.int().positive(),
  rpcUrl: z.string().min(1),
  addresses: z.strictObject({
    validatorRegistry: contractSchema,
    vaultRegistry: contractSchema,
    jobMarket: contractSchema,
    anchor: contractSchema,
  }),
})
export type ChainInfo = z.infer<typeof chainInfoSchema>

/** Messages of one gossip topic this node judged, and published itself, since start. */
export const gossipCountersSchema = z.strictObject({
  accepted: uintSchema,
  rejected: uintSchema,
  ignored: uintSchema,
  published: uintSchema,
})
export type GossipCounters = z.infer<typeof gossipCountersSchema>

/** GET /v1/status: who the node is, where consensus stands, and the chain it runs against. */
export const nodeStatusSchema = z.strictObject({
  version: z.string(),
  address: addressSchema,
  /** empty while the node has no peer-to-peer network */
  peerId: z.string(),
  peers: z.array(z.strictObject({ peerId: z.string(), score: z.number() })).readonly(),
  gossip: z.record(z.string(), gossipCountersSchema),
  /** the last decided height; 0 before the first block */
  height: z.union([z.literal(0), heightSchema]),
  round: roundSchema,
  epoch: epochSchema,
  validators: z.array(z.strictObject({ address: addressSchema, power: z.int().positive() })).readonly(),
  chain: chainInfoSchema,
})
export type NodeStatus = z.infer<typeof nodeStatusSchema>
