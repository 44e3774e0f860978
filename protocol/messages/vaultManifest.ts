import { z } from 'zod'
import { canonicalBytes } from '../canonicalJson.ts'
import { defineMessage } from '../codec.ts'
import { addressSchema, type Hex32, hex32Schema, keccak256, weiSchema } from '../hex.ts'
import { uintSchema, versionSchema } from './primitives.ts'

const nameSchema = z.string().min(1).max(128)

const schemaColumnSchema = z.strictObject({
  name: nameSchema,
  type: z.enum(['number', 'integer', 'boolean', 'categorical', 'bucketed']),
  nullable: z.boolean(),
  min: z.number().optional(),
  max: z.number().optional(),
  categories: z.array(z.string().max(128)).max(1024).optional(),
  /** bucketed columns: strictly increasing bucket edges */
  edges: z.array(z.number()).max(1024).optional(),
})

const encodedColumnSchema = z.strictObject({
  name: nameSchema,
  kind: z.enum(['value', 'mask', 'onehot']),
  source: nameSchema,
  category: z.string().max(128).optional(),
  /** value columns are stored as (v - center) / halfWidth */
  center: z.number().optional(),
  halfWidth: z.number().positive().optional(),
  chunks: z.array(hex32Schema).max(4096),
})

export const vaultManifestSchema = z.strictObject({
  version: versionSchema,
  vaultId: hex32Schema,
  profile: z.enum(['ckks-8192', 'ckks-16384']),
  schema: z.strictObject({ columns: z.array(schemaColumnSchema).min(1).max(256) }),
  recordCount: uintSchema,
  chunkCount: uintSchema,
  slotCount: z.int().min(1),
  keys: z.strictObject({
    publicKey: hex32Schema,
    relinKeys: hex32Schema,
    galoisKeys: hex32Schema,
    galoisSteps: z.array(z.int()).max(64),
  }),
  /**
   * Who can decrypt the vault. Absent: its owner (the seller's secret key, released by its agent).
   * `committee`: the validator committee of `epoch`, whose collective key hashes to `keyHash` (the
   * Anchor's committeeKeys(epoch)); `keys` then name the committee's public, relin and Galois blobs.
   * Absent rather than `owner` so that every vault made before the field keeps its id.
   */
  keyHolder: z
    .strictObject({
      mode: z.literal('committee'),
      epoch: z.int().min(0),
      keyHash: hex32Schema,
    })
    .optional(),
  /**
   * A pool (issue #14): a committee vault with no chunks of its own, filled by many contributors'
   * contributions admitted by consensus (docs/pools.md). Absent on every other vault, so their ids
   * are unchanged. The layout is sandbox/contribution's poolLayout of the manifest's profile and
   * schema with these monomials, maxRecords and scaleBits; layoutId names it, and contributions
   * carry it.
   */
  pool: z
    .strictObject({
      layoutId: hex32Schema,
      monomials: z.array(z.string().min(1).max(1024)).min(1).max(16384),
      scaleBits: z.int().min(1).max(60),
      /** the most records one contribution holds */
      maxRecords: z.int().min(1),
      /** a contributor's contributions admitted per window of `windowBlocks` heights, at most */
      bound: z.strictObject({ perWindow: z.int().min(1), windowBlocks: z.int().min(1) }),
      /** the least number of contributors a released number may describe */
      minContributors: z.int().min(1),
      /** who created the pool and may ban contributor keys; the vault's owner on chain */
      curator: addressSchema,
    })
    .optional(),
  /**
   * How many values a chunk ciphertext's slot holds. Absent: one (every vault made before the field
   * keeps its id). 2: two chunks per ciphertext, the second in the slots' imaginary parts, and a
   * column's chunk i is half i mod 2 of the ciphertext `chunks[i]` names (docs/sandbox.md). A value
   * this version does not know is refused, not misread.
   */
  valuesPerSlot: z.literal(2).optional(),
  columns: z.array(encodedColumnSchema).min(1).max(2048),
  policy: z.strictObject({
    allowedOps: z.array(z.string().min(1).max(64)).max(64),
    minAggregation: z.int().min(1),
    price: weiSchema,
    maxCost: z.number().min(0).optional(),
    /** differential-privacy budget; absent means the documented defaults (10 total, 1 per job, per record) */
    privacy: z
      .strictObject({
        epsilon: z.number().positive(),
        maxEpsilonPerJob: z.number().positive(),
        unit: z.enum(['record', 'contributor']),
      })
      .optional(),
  }),
  createdAt: z.iso.datetime(),
})

export type VaultManifest = z.infer<typeof vaultManifestSchema>

/** A vault is content-addressed: its id is keccak256 of the canonical manifest without the id. */
export function computeVaultId(manifest: Omit<VaultManifest, 'vaultId'> & { vaultId?: Hex32 }): Hex32 {
  const { vaultId: _ignored, ...content } = manifest
  return keccak256(canonicalBytes(content))
}

/** keccak256 of the canonical policy: what VaultRegistry records as the vault's policy hash. */
export const computePolicyHash = (policy: VaultManifest['policy']): Hex32 => keccak256(canonicalBytes(policy))

// A manifest lists every chunk id (64 columns of a million rows is ~250 KB of ids) and travels as a blob,
// never on gossip, so it may be larger than consensus messages.
export const vaultManifestCodec = defineMessage('VaultManifest', vaultManifestSchema, 1024 * 1024, (m) =>
  computeVaultId(m) === m.vaultId ? undefined : { path: ['vaultId'], detail: 'does not hash the manifest' },
)
