import type { Ciphertext } from 'node-seal'
import type { StatPlan } from '../compiler/circuit.ts'
import type { EvaluationKeys } from '../he/keys.ts'
import type { HeContext } from '../he/seal.ts'

/**
 * The order of each stat's factors as its product tree takes them (a
 * balanced tree over this order: the first ⌈n/2⌉ leaves on the left).
 *
 * A 3-factor stat's inner product is relinearized and rescaled once per
 * chunk, the dearest step of a chunk. Filtered terms share factors (every
 * term of `Σ age·bmi#present·sbp`, `Σ age²·bmi#present`, … carries the
 * filter's `bmi#present`), so the pair each stat multiplies first is chosen
 * to be the one most of the circuit's 3-factor stats contain: the chunk
 * computes that pair once for all of them. Depends on the circuit alone, so
 * every node takes the same order; the order is part of the stat's cache key.
 */
export function productOrders(stats: readonly Pick<StatPlan, 'factors'>[]): string[][] {
  const triples = stats.filter((s) => s.factors.length === 3)
  const counts = new Map<string, number>()
  for (const s of triples)
    for (const key of new Set(pairsOf(s.factors).map(([a, b]) => `${a}*${b}`)))
      counts.set(key, (counts.get(key) ?? 0) + 1)
  return stats.map((s) => {
    if (s.factors.length !== 3) return [...s.factors]
    // The pair shared most widely; ties keep the sorted order's first pair, as before.
    let best = pairsOf(s.factors)[0]!
    for (const pair of pairsOf(s.factors).slice(1))
      if ((counts.get(pair.join('*')) ?? 0) > (counts.get(best.join('*')) ?? 0)) best = pair
    const rest = [...s.factors]
    rest.splice(rest.indexOf(best[0]), 1)
    rest.splice(rest.indexOf(best[1]), 1)
    return [best[0], best[1], ...rest]
  })
}

/** The three pairs of a (sorted) 3-factor list, the first two factors' pair first. */
function pairsOf(f: readonly string[]): Array<readonly [string, string]> {
  return [
    [f[0]!, f[1]!],
    [f[0]!, f[2]!],
    [f[1]!, f[2]!],
  ]
}

/** A stat's product: its factors in tree order, and the level (data primes) its leaves are taken at. */
export interface ProductTree {
  readonly names: readonly string[]
  readonly level: number
}

function nodeKey(kind: 'raw' | 'inner', names: readonly string[], level: number): string {
  return `${kind}:${level}:${names.join('*')}`
}

/**
 * One chunk's products, each sub-product computed once however many stats'
 * trees contain it. Inner nodes are relinearized, then rescaled (the other
 * order costs precision: a size-3 rescale's rounding is multiplied by s² at
 * decryption); a root is left at size 3 so that chunks can be summed first
 * and relinearized once. A node is kept only while a later tree still needs
 * it, so a wide circuit holds no more than it did.
 */
export class ChunkProducts {
  readonly #ctx: HeContext
  readonly #keys: EvaluationKeys
  readonly #leaf: (factor: string, level: number) => Ciphertext
  /** uses still to come of each kept node, by `raw:`/`inner:`, its leaves' level and its leaves in order */
  readonly #uses = new Map<string, number>()
  readonly #kept = new Map<string, Ciphertext>()

  /** `leaf(factor, level)`: the chunk's ciphertext of a factor at a level (data primes); the caller frees it. */
  constructor(
    ctx: HeContext,
    keys: EvaluationKeys,
    leaf: (factor: string, level: number) => Ciphertext,
    trees: readonly ProductTree[],
  ) {
    this.#ctx = ctx
    this.#keys = keys
    this.#leaf = leaf
    for (const tree of trees) if (tree.names.length > 1) this.#count(tree.names, tree.level, true)
  }

  /** Adds the tree's size-3 product into `acc`, or returns a new ciphertext of it when there is none. */
  addRoot(tree: ProductTree, acc: Ciphertext | undefined): Ciphertext | undefined {
    const raw = this.#raw(tree.names, tree.level)
    try {
      if (acc) {
        this.#ctx.evaluator.addInplace(acc, raw.ct)
        return undefined
      }
      return raw.owned ? raw.ct : raw.ct.copy()
    } finally {
      if (acc && raw.owned) raw.ct.delete()
    }
  }

  /** Frees every kept node (each is normally freed at its last use). */
  delete(): void {
    for (const ct of this.#kept.values()) ct.delete()
    this.#kept.clear()
  }

  #count(names: readonly string[], level: number, root: boolean): void {
    const key = nodeKey(root ? 'raw' : 'inner', names, level)
    const n = (this.#uses.get(key) ?? 0) + 1
    this.#uses.set(key, n)
    // A node's children are counted once, when it is first computed.
    if (n > 1) return
    if (!root) this.#count(names, level, true)
    else {
      const mid = Math.ceil(names.length / 2)
      for (const half of [names.slice(0, mid), names.slice(mid)])
        if (half.length > 1) this.#count(half, level, false)
    }
  }

  /** A node: the caller deletes it if `owned`, else it is kept for a later use. */
  #take(key: string, make: () => Ciphertext): { ct: Ciphertext; owned: boolean } {
    const kept = this.#kept.get(key)
    const left = (this.#uses.get(key) ?? 1) - 1
    this.#uses.set(key, left)
    const ct = kept ?? make()
    if (left > 0) {
      this.#kept.set(key, ct)
      return { ct, owned: false }
    }
    this.#kept.delete(key)
    return { ct, owned: true }
  }

  #raw(names: readonly string[], level: number): { ct: Ciphertext; owned: boolean } {
    return this.#take(nodeKey('raw', names, level), () => {
      const mid = Math.ceil(names.length / 2)
      const left = this.#operand(names.slice(0, mid), level)
      const right = this.#operand(names.slice(mid), level)
      try {
        const { evaluator } = this.#ctx
        // Operands from subtrees of different depth sit at different levels: the higher is switched down, in a copy.
        const lc = left.ct.coeffModulusSize()
        const rc = right.ct.coeffModulusSize()
        const high = lc > rc ? left : rc > lc ? right : undefined
        if (high) {
          const low = high === left ? right : left
          const switched = new this.#ctx.seal.Ciphertext()
          evaluator.cipherModSwitchTo(high.ct, low.ct.parmsId(), switched)
          if (high.owned) high.ct.delete()
          high.ct = switched
          high.owned = true
        }
        const out = new this.#ctx.seal.Ciphertext()
        evaluator.multiply(left.ct, right.ct, out)
        return out
      } finally {
        if (left.owned) left.ct.delete()
        if (right.owned) right.ct.delete()
      }
    })
  }

  /** A subtree as an operand: a leaf (never owned: the chunk's loads are freed by the caller), or an inner node. */
  #operand(names: readonly string[], level: number): { ct: Ciphertext; owned: boolean } {
    if (names.length === 1) return { ct: this.#leaf(names[0]!, level), owned: false }
    return this.#take(nodeKey('inner', names, level), () => {
      const raw = this.#raw(names, level)
      const out = raw.owned ? raw.ct : raw.ct.copy()
      this.#ctx.evaluator.relinearizeInplace(out, this.#keys.relinKeys)
      this.#ctx.evaluator.rescaleToNextInplace(out)
      return out
    })
  }
}
