import type { Hex32 } from '../../protocol/index.ts'
import type { JobRecord } from '../storage/index.ts'

/**
 * The result bundles this node holds, with the vault each is of. A bundle is the certified output
 * before the owner's noisy release, so it is served only to a validator or the vault's owner.
 */
export class ResultBundles {
  readonly #vaults = new Map<Hex32, Hex32>()

  /** The bundles named by this node's job records (those it evaluated before a restart). */
  static of(records: readonly JobRecord[]): ResultBundles {
    const bundles = new ResultBundles()
    for (const r of records)
      if (r.resultBlob) bundles.restrict(r.resultBlob as Hex32, r.request.request.vaultId)
    return bundles
  }

  /** Marks a bundle restricted: call before anyone can learn its id. */
  restrict(bundleId: Hex32, vaultId: Hex32): void {
    this.#vaults.set(bundleId, vaultId)
  }

  /** The vault a bundle is of, or undefined when `id` is no result bundle. */
  vaultOf(id: Hex32): Hex32 | undefined {
    return this.#vaults.get(id)
  }
}
