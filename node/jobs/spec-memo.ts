import type { CompileLimits, VaultManifest } from '../../sandbox/index.ts'

/**
 * Answers of a pure function of a vault's manifest, compile limits and a request's spec, kept by
 * manifest and limits (objects: a vault's manifest is loaded once and kept, a node's limits are
 * fixed) and the spec's JSON text (for a JSON value, equal text is equal content, key order aside,
 * which only misses). A request is compiled at its gossip, its admission check, each block that
 * proposes it and its charge: ~10 ms of a burst's job per validator. An answer is frozen, so no
 * caller can change another's; a computation that throws is not remembered and throws again.
 */
export class SpecMemo<T> {
  readonly #perVault: number
  readonly #answers = new WeakMap<VaultManifest, WeakMap<CompileLimits, Map<string, T>>>()

  constructor(perVault: number) {
    this.#perVault = perVault
  }

  get(manifest: VaultManifest, limits: CompileLimits, spec: unknown, compute: () => T): T {
    const text = JSON.stringify(spec) ?? ''
    const known = this.#answers.get(manifest)?.get(limits)?.get(text)
    if (known !== undefined) return known
    const answer = Object.freeze(compute())
    const byLimits = this.#answers.get(manifest) ?? new WeakMap<CompileLimits, Map<string, T>>()
    this.#answers.set(manifest, byLimits)
    const bySpec = byLimits.get(limits) ?? new Map<string, T>()
    byLimits.set(limits, bySpec)
    bySpec.set(text, answer)
    if (bySpec.size > this.#perVault) bySpec.delete(bySpec.keys().next().value as string)
    return answer
  }
}
