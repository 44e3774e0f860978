import { storedColumns } from '../vault/layout.ts'
import { type VaultManifest, vaultIdOf } from '../vault/manifest.ts'
import type { Policy } from '../vault/policy.ts'
import type { VaultSchema } from '../vault/schema.ts'

const blob = `0x${'cd'.repeat(32)}` as const

/** A manifest with placeholder blobs: enough for the compiler, the planner and the finisher, no SEAL. */
export function testManifest(schema: VaultSchema, recordCount: number, policy: Policy): VaultManifest {
  const base = {
    version: 1 as const,
    profile: 'ckks-8192' as const,
    schema,
    recordCount,
    chunkCount: 1,
    slotCount: 4096,
    keys: { publicKey: blob, relinKeys: blob, galoisKeys: blob, galoisSteps: [1] },
    columns: storedColumns(schema).map((s) => ({ ...s, chunks: [blob] })),
    policy,
    createdAt: '2026-11-21T00:00:00.000Z',
  }
  return { ...base, vaultId: vaultIdOf(base) }
}
