import { Readable } from 'node:stream'
import { blobIdOf, type Hex32 } from '../../protocol/index.ts'
import { type EvaluationKeys, loadEvaluationKeys } from '../he/keys.ts'
import { rotateAndSumSteps } from '../he/profiles.ts'
import type { HeContext } from '../he/seal.ts'
import { loadInto, type SealObject, wireBytes } from '../he/serialize.ts'
import { readCsv } from '../vault/csv.ts'
import { storedColumns } from '../vault/layout.ts'
import { type VaultManifest, vaultIdOf } from '../vault/manifest.ts'
import type { Policy } from '../vault/policy.ts'
import type { VaultSchema } from '../vault/schema.ts'
import { encryptUnder, type TestCommittee } from './threshold-committee.ts'

/** 300 rows of the regression schema (a nullable number, an integer, a categorical) for committee-vault tests. */
export const THRESHOLD_ROWS = Array.from({ length: 300 }, (_, i) => {
  const x = (i * 37) % 101
  return {
    x: i % 17 === 0 ? '' : String(x),
    y: String(Math.min(500, 100 + 3 * x + ((i * 13) % 29))),
    g: i % 3 === 0 ? 'p' : 'q',
  }
})
export const THRESHOLD_CSV = `x,y,g\n${THRESHOLD_ROWS.map((r) => `${r.x},${r.y},${r.g}`).join('\n')}\n`

/**
 * A vault encrypted under a committee's collective public key, in memory:
 * the same stored-column layout and manifest as `vault create`, but public
 * key encryption (no secret key anywhere) and the committee's relin and
 * Galois keys. What `tcf vault create --committee` will write to disk.
 */
export interface ThresholdVault {
  readonly manifest: VaultManifest
  readonly blobs: ReadonlyMap<Hex32, Uint8Array>
}

export async function thresholdVault(
  tc: TestCommittee,
  csv: string,
  schema: VaultSchema,
  policy: Policy,
  keys: { readonly relinKeys: Uint8Array; readonly galoisKeys: Uint8Array },
  keyHolder?: VaultManifest['keyHolder'],
): Promise<ThresholdVault> {
  const { ctx } = tc
  const slots = ctx.profile.slotCount
  const layout = storedColumns(schema)
  const rows: Float64Array[] = []
  for await (const row of readCsv(Readable.from([csv]), schema)) rows.push(row.values)
  const blobs = new Map<Hex32, Uint8Array>()
  const put = (bytes: Uint8Array) => {
    const id = blobIdOf(bytes)
    blobs.set(id, bytes)
    return id
  }
  const chunkCount = Math.ceil(rows.length / slots)
  const chunks = layout.map((_, c) =>
    Array.from({ length: chunkCount }, (_, k) => {
      const values = rows.slice(k * slots, (k + 1) * slots).map((r) => r[c]!)
      return put(toWire(tc, encryptUnder(ctx, tc.publicKey, values), () => new ctx.seal.Ciphertext()))
    }),
  )
  const withoutId = {
    version: 1 as const,
    profile: ctx.profile.name,
    schema,
    recordCount: rows.length,
    chunkCount,
    slotCount: slots,
    keys: {
      publicKey: blobIdOf(toWire(tc, tc.publicKey, () => new ctx.seal.PublicKey())),
      relinKeys: put(toWire(tc, keys.relinKeys, () => new ctx.seal.RelinKeys())),
      galoisKeys: put(toWire(tc, keys.galoisKeys, () => new ctx.seal.GaloisKeys())),
      galoisSteps: rotateAndSumSteps(slots),
    },
    columns: layout.map((s, i) => ({ ...s, chunks: chunks[i]! })),
    policy,
    createdAt: new Date().toISOString(),
    ...(keyHolder ? { keyHolder } : {}),
  }
  return { manifest: { ...withoutId, vaultId: vaultIdOf(withoutId) }, blobs }
}

/** Uncompressed SEAL bytes to the zstd wire form vaults store. */
function toWire<T extends SealObject>(tc: TestCommittee, bytes: Uint8Array, make: () => T): Uint8Array {
  const obj = loadInto(tc.ctx, make, bytes, 'key or ciphertext', 'KEY_INVALID')
  try {
    return wireBytes(tc.ctx.seal, obj)
  } finally {
    obj.delete()
  }
}

/** The vault's relinearization and Galois keys, loaded for evaluation (the caller deletes them). */
export function thresholdVaultKeys(ctx: HeContext, vault: ThresholdVault): EvaluationKeys {
  return loadEvaluationKeys(
    ctx,
    {
      relinKeys: vault.blobs.get(vault.manifest.keys.relinKeys)!,
      galoisKeys: vault.blobs.get(vault.manifest.keys.galoisKeys)!,
    },
    vault.manifest.keys,
  )
}
