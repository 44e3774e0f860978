import type { Hex32 } from '../../protocol/index.ts'
import {
  ContributionError,
  capacityOf,
  contributionBytes,
  type HeContext,
  isProfileName,
  type PoolLayout,
  poolKeyId,
  poolLayoutOf,
  readContribution,
  type VaultManifest,
} from '../../sandbox/index.ts'
import type { Verdict } from '../jobs/rules.ts'

/** A pool as the rules use it: its layout rebuilt and checked once per manifest. */
export interface PoolTerms {
  readonly manifest: VaultManifest
  readonly pool: NonNullable<VaultManifest['pool']>
  readonly layout: PoolLayout
  readonly keyId: Hex32
  /** contributions one aggregate can sum and still decrypt */
  readonly capacity: number
}

const terms = new WeakMap<VaultManifest, PoolTerms | ContributionError>()

/** The pool terms of a manifest, or the ContributionError saying why it is no pool. */
export function poolTerms(manifest: VaultManifest): PoolTerms | ContributionError {
  let t = terms.get(manifest)
  if (!t) {
    try {
      const layout = poolLayoutOf(manifest)
      t = {
        manifest,
        pool: manifest.pool!,
        layout,
        keyId: poolKeyId(manifest),
        capacity: capacityOf(layout),
      }
    } catch (e) {
      if (!(e instanceof ContributionError)) throw e
      t = e
    }
    terms.set(manifest, t)
  }
  return t
}

const MAX_VERDICTS = 200_000

/**
 * What the block rules cannot compute without I/O and HE work: whether a claim's bytes are a
 * contribution to its pool (sandbox readContribution: exact length first, then SEAL's own checks,
 * layout, key, level, scale, not transparent). Computed before a block is built or judged, then
 * read synchronously by the rules. Content-addressed, so a verdict never changes: the same bytes
 * get the same verdict on every honest validator.
 */
export class ContributionChecks {
  readonly #verdicts = new Map<string, Verdict>()
  readonly #context: (manifest: VaultManifest) => Promise<HeContext>

  constructor(context: (manifest: VaultManifest) => Promise<HeContext>) {
    this.#context = context
  }

  /** The verdict on `blobId`'s bytes as a contribution to `poolId`, if checked. */
  verdict(poolId: Hex32, blobId: Hex32): Verdict | undefined {
    return this.#verdicts.get(`${poolId}/${blobId}`)
  }

  /** Checks bytes as a contribution to the pool and remembers the verdict. */
  async check(manifest: VaultManifest, blobId: Hex32, bytes: Uint8Array): Promise<Verdict> {
    const key = `${manifest.vaultId}/${blobId}`
    const known = this.#verdicts.get(key)
    if (known) return known
    const verdict = await this.#judge(manifest, bytes)
    if (this.#verdicts.size >= MAX_VERDICTS) this.#verdicts.delete(this.#verdicts.keys().next().value!)
    this.#verdicts.set(key, verdict)
    return verdict
  }

  async #judge(manifest: VaultManifest, bytes: Uint8Array): Promise<Verdict> {
    const t = poolTerms(manifest)
    if (t instanceof ContributionError) return { ok: false, code: t.code, message: t.message }
    if (!isProfileName(manifest.profile))
      return { ok: false, code: 'NOT_A_POOL', message: `unknown profile ${manifest.profile}` }
    const ctx = await this.#context(manifest)
    // The one length, before SEAL reads anything.
    if (bytes.length !== contributionBytes(ctx)) {
      return {
        ok: false,
        code: 'SIZE_INVALID',
        message: `bytes: ${bytes.length} bytes; a contribution is ${contributionBytes(ctx)}`,
      }
    }
    try {
      const target = { layoutId: t.pool.layoutId as Hex32, keyId: t.keyId, scale: 2 ** t.layout.scaleBits }
      readContribution(ctx, target, bytes).delete()
      return { ok: true }
    } catch (e) {
      if (e instanceof ContributionError) return { ok: false, code: e.code, message: e.message }
      throw e
    }
  }
}
