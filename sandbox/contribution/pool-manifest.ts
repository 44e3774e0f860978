import { mkdir, rename, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { type Address, blobIdOf, type Hex32 } from '../../protocol/vocabulary.ts'
import { compile } from '../compiler/compile.ts'
import { PROFILES, rotateAndSumSteps } from '../he/profiles.ts'
import type { AlgorithmSpec } from '../spec/schema.ts'
import { putBlob, writeSynced } from '../vault/blob-dir.ts'
import type { CommitteeKeys } from '../vault/create.ts'
import { storedColumns } from '../vault/layout.ts'
import { BLOB_DIR, MANIFEST_FILE, type VaultManifest, vaultIdOf } from '../vault/manifest.ts'
import type { Policy } from '../vault/policy.ts'
import type { VaultSchema } from '../vault/schema.ts'
import { ContributionError } from './errors.ts'
import { headroom, layoutIdOf, monomialsOf, type PoolLayout, poolLayout } from './layout.ts'

export type PoolSection = NonNullable<VaultManifest['pool']>

export interface PoolManifestInput {
  readonly schema: VaultSchema
  /** the specs the pool is for: its layout holds exactly the monomials they compile to */
  readonly specs: readonly AlgorithmSpec[]
  readonly policy: Policy
  readonly committee: CommitteeKeys
  readonly maxRecords: number
  readonly scaleBits?: number
  readonly bound: PoolSection['bound']
  readonly minContributors: number
  readonly curator: Address
}

/**
 * A pool's manifest: a committee vault with no chunks, whose `pool` section fixes the layout
 * contributions follow (the monomials of the pool's specs on its schema), the contribution bound,
 * the least number of contributors per released number and the curator. Its privacy unit is the
 * contributor.
 */
export function poolManifest(input: PoolManifestInput): VaultManifest {
  const { committee, schema } = input
  const profile = PROFILES[committee.profile]
  const scaleBits = input.scaleBits ?? profile.scaleBits
  const privacy = { epsilon: 10, maxEpsilonPerJob: 1, ...input.policy.privacy, unit: 'contributor' as const }
  const base = {
    version: 1 as const,
    profile: committee.profile,
    schema,
    recordCount: 0,
    chunkCount: 0,
    slotCount: profile.slotCount,
    keys: {
      publicKey: blobIdOf(committee.publicKey),
      relinKeys: blobIdOf(committee.relinKeys),
      galoisKeys: blobIdOf(committee.galoisKeys),
      galoisSteps: rotateAndSumSteps(profile.slotCount),
    },
    keyHolder: committee.keyHolder,
    columns: storedColumns(schema).map((c) => ({ ...c, chunks: [] })),
    policy: { ...input.policy, privacy },
    createdAt: new Date().toISOString(),
  }
  // Compiled as if the pool were full: the layout must hold every stat the specs can ask for.
  // Only the stats matter here (monomialsOf): no result packing to plan.
  const full = { ...base, recordCount: headroom(committee.profile, scaleBits), vaultId: ZERO }
  const monomials = new Set<string>()
  input.specs.forEach((spec) => {
    for (const m of monomialsOf(compile(spec, full, undefined, { pack: false }))) monomials.add(m)
  })
  const layout = poolLayout({
    profile: committee.profile,
    schema,
    monomials,
    maxRecords: input.maxRecords,
    scaleBits,
  })
  const pool: PoolSection = {
    layoutId: layoutIdOf(layout),
    monomials: [...layout.monomials],
    scaleBits: layout.scaleBits,
    maxRecords: layout.maxRecords,
    bound: input.bound,
    minContributors: input.minContributors,
    curator: input.curator.toLowerCase() as Address,
  }
  const withoutId = { ...base, pool }
  return { ...withoutId, vaultId: vaultIdOf(withoutId) }
}

const ZERO = `0x${'0'.repeat(64)}` as Hex32

/** The layout a pool's contributions follow, rebuilt from its manifest and checked against its id. */
export function poolLayoutOf(manifest: VaultManifest): PoolLayout {
  const pool = manifest.pool
  if (!pool || !manifest.keyHolder) {
    throw new ContributionError('NOT_A_POOL', 'pool', `vault ${manifest.vaultId} is not a pool`)
  }
  const layout = poolLayout({
    profile: manifest.profile,
    schema: manifest.schema,
    monomials: pool.monomials,
    maxRecords: pool.maxRecords,
    scaleBits: pool.scaleBits,
  })
  if (layoutIdOf(layout) !== pool.layoutId) {
    throw new ContributionError(
      'LAYOUT_INVALID',
      'pool.layoutId',
      'does not name the layout the manifest lists',
    )
  }
  return layout
}

/** The key contributions to a pool name (the TCFP key id): the committee key's hash. */
export const poolKeyId = (manifest: VaultManifest): Hex32 => {
  if (!manifest.keyHolder)
    throw new ContributionError('NOT_A_POOL', 'keyHolder', `vault ${manifest.vaultId} has no committee key`)
  return manifest.keyHolder.keyHash as Hex32
}

/**
 * The manifest a job on a snapshot of `contributions` contributions is compiled against: as many
 * records as they can hold at most (each holds up to maxRecords). The records themselves are
 * encrypted, so the true count is not known to anyone before release.
 */
export function snapshotManifest(manifest: VaultManifest, contributions: number): VaultManifest {
  const pool = manifest.pool
  if (!pool) throw new ContributionError('NOT_A_POOL', 'pool', `vault ${manifest.vaultId} is not a pool`)
  return { ...manifest, recordCount: contributions * pool.maxRecords }
}

/**
 * Writes a pool as a vault directory (its manifest and the committee's evaluation key blobs), which
 * `Client.publishVault` registers on chain and uploads like any vault. Fails if `outDir` exists.
 */
export async function writePool(
  manifest: VaultManifest,
  committee: CommitteeKeys,
  outDir: string,
): Promise<void> {
  await mkdir(dirname(outDir), { recursive: true })
  const scratch = `${outDir}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
  try {
    const blobDir = join(scratch, BLOB_DIR)
    await mkdir(blobDir, { recursive: true })
    for (const bytes of [committee.relinKeys, committee.galoisKeys]) await putBlob(blobDir, bytes)
    await writeSynced(join(scratch, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
    await rename(scratch, outDir)
  } catch (e) {
    await rm(scratch, { recursive: true, force: true })
    throw e
  }
}
