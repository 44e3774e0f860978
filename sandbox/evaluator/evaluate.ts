import type { Ciphertext, ParmsIdType, Plaintext } from 'node-seal'
import type { Circuit, PackPlan } from '../compiler/circuit.ts'
import { integerMaskValue } from '../compiler/integer-masks.ts'
import { EvaluationError, SandboxError } from '../errors.ts'
import { EVALUATOR_VERSION } from '../he/exec-env.ts'
import type { EvaluationKeys } from '../he/keys.ts'
import { PROFILES } from '../he/profiles.ts'
import type { HeContext } from '../he/seal.ts'
import { canonicalBytes, describe, loadCiphertext, loadInto } from '../he/serialize.ts'
import { ChunkProducts, type ProductTree, productOrders } from './products.ts'
import { packKey, preparedKey, type StatCache, statKey } from './stat-cache.ts'

export interface EvaluationInput {
  readonly circuit: Circuit
  /** stored column name -> blob ids of its chunks */
  readonly columns: ReadonlyMap<string, readonly string[]>
  readonly chunkCount: number
  /** the bytes of a ciphertext blob (wire or expanded form) */
  readonly readBlob: (id: string) => Uint8Array
  /** called between chunks; throws to abort (memory cap) */
  readonly checkpoint?: () => void
  /** accumulated stats of earlier jobs; results are byte-identical with or without it */
  readonly statCache?: StatCache
}

/**
 * Evaluates a circuit: for each chunk, each stat's product tree, summed
 * slot-wise across chunks; then per stat one relinearization and rescale,
 * a switch down to the stat's result level, and its pack's reduction
 * (reduceAlone for a stat alone, reducePacked for several). SEAL is
 * single-threaded exact integer arithmetic, so the canonical bytes returned
 * are identical on every node. Every SEAL object made here is freed.
 */
export function evaluateCircuit(ctx: HeContext, keys: EvaluationKeys, input: EvaluationInput): Uint8Array[] {
  const { circuit } = input
  const { evaluator } = ctx
  const accumulators: Array<Ciphertext | undefined> = circuit.stats.map(() => undefined)
  const levels = parmsIdsByLevel(ctx)
  const cache = input.statCache
  const trees = productTrees(circuit, levels.length)
  const statKeys = statKeysOf(circuit, (f) => input.columns.get(f) ?? [])
  const keyOf = (i: number) => statKeys[i]!
  // A pack an earlier job finished over the same ciphertexts is its result: no stat of it is needed.
  const packKeys = circuit.packs.map((pack) =>
    packKey(
      EVALUATOR_VERSION,
      pack,
      pack.stats.map((i) => keyOf(i)),
    ),
  )
  const finished = packKeys.map((k, p) => {
    const bytes = cache?.read(k)
    const loaded = loadCached(ctx, bytes, `cached pack ${p}`)
    loaded?.delete()
    return loaded && bytes
  })
  // A stat an earlier job made ready for a pack like this one's (another spec, say) needs no accumulation.
  const preparedKeys = new Map<number, string>()
  const prepared = new Set<number>()
  for (const [p, pack] of circuit.packs.entries()) {
    if (finished[p] || pack.classes === 1) continue
    for (const i of pack.stats) preparedKeys.set(i, preparedKey(keyOf(i), maskLevelOf(pack), pack.window))
  }
  for (const [i, key] of preparedKeys) {
    accumulators[i] = loadCached(ctx, cache?.read(key), `prepared stat ${i}`)
    if (accumulators[i]) prepared.add(i)
  }
  const needed = new Set(
    circuit.packs.flatMap((pack, p) => (finished[p] ? [] : pack.stats.filter((i) => !prepared.has(i)))),
  )
  /** Stat i of `pack` ready for its masks: from the cache, or (relinearized and rescaled) switched and windowed now. */
  const ready = (pack: PackPlan, i: number): Ciphertext => {
    const acc = accumulators[i]!
    if (prepared.has(i)) return acc
    const level = levels[maskLevelOf(pack) - 1]
    if (!level) throw new EvaluationError('RESULT_INVALID', `no level ${maskLevelOf(pack)}`)
    evaluator.cipherModSwitchToInplace(acc, level)
    rotateAndSum(ctx, keys, acc, 1, pack.window)
    const key = preparedKeys.get(i)
    if (cache && key) cache.write(key, canonicalBytes(ctx, acc))
    return acc
  }
  try {
    // Stats an earlier job accumulated over the same ciphertexts are read back, not recomputed.
    const todo = circuit.stats.flatMap((_, i) => {
      if (!needed.has(i)) return []
      accumulators[i] = loadCached(ctx, cache?.read(keyOf(i)), `cached stat ${i}`)
      return accumulators[i] ? [] : [i]
    })
    for (let chunk = 0; chunk < input.chunkCount && todo.length > 0; chunk++) {
      const loaded = new Map<string, Ciphertext>()
      try {
        for (const i of todo) {
          for (const factor of circuit.stats[i]!.factors) {
            if (loaded.has(factor)) continue
            const id = input.columns.get(factor)?.[chunk]
            if (id === undefined)
              throw new SandboxError('BLOB_MISSING', `no chunk ${chunk} for column ${factor}`)
            loaded.set(factor, loadCiphertext(ctx, input.readBlob(id), `${factor}[${chunk}]`))
          }
        }
        // A factor switched down to a tree's level once per chunk, however many trees take it there.
        const switched = new Map<string, Ciphertext>()
        const leaf = (f: string, level: number): Ciphertext => {
          const top = loaded.get(f)!
          if (level >= levels.length) return top
          const key = `${level}:${f}`
          let ct = switched.get(key)
          if (!ct) {
            ct = new ctx.seal.Ciphertext()
            evaluator.cipherModSwitchTo(top, levels[level - 1]!, ct)
            switched.set(key, ct)
          }
          return ct
        }
        const products = new ChunkProducts(
          ctx,
          keys,
          leaf,
          todo.map((i) => trees[i]!),
        )
        try {
          for (const i of todo) {
            const tree = trees[i]!
            const acc = accumulators[i]
            if (tree.names.length === 1) {
              const one = loaded.get(tree.names[0]!)!
              if (acc) evaluator.addInplace(acc, one)
              else accumulators[i] = one.copy()
              continue
            }
            accumulators[i] = products.addRoot(tree, acc) ?? acc
          }
        } finally {
          products.delete()
          for (const ct of switched.values()) ct.delete()
        }
      } finally {
        for (const ct of loaded.values()) ct.delete()
      }
      input.checkpoint?.()
    }
    if (cache)
      for (const i of todo) if (accumulators[i]) cache.write(keyOf(i), canonicalBytes(ctx, accumulators[i]))
    for (const [i, stat] of circuit.stats.entries()) {
      if (!needed.has(i)) continue
      const acc = accumulators[i]
      if (!acc) throw new SandboxError('BLOB_MISSING', 'the vault has no chunks to aggregate')
      if (acc.size() > 2) {
        evaluator.relinearizeInplace(acc, keys.relinKeys)
        evaluator.rescaleToNextInplace(acc)
      }
      if (acc.coeffModulusSize() < stat.resultLevel) {
        throw new EvaluationError('RESULT_INVALID', `stat ${stat.key} has no level ${stat.resultLevel}`)
      }
    }
    return circuit.packs.map((pack, p) => {
      // Copies in and out of the cache: a worker hands its results' buffers over (transfers them).
      const done = finished[p]
      if (done) return done.slice()
      const result =
        pack.classes === 1
          ? reduceAlone(ctx, accumulators[pack.stats[0]!]!, pack.level, levels)
          : reducePacked(ctx, keys, pack, (i) => ready(pack, i), levels)
      try {
        if (result.isTransparent()) {
          const keys = pack.stats.map((s) => circuit.stats[s]?.key).join(', ')
          throw new SandboxError(
            'TRANSPARENT_RESULT',
            `Σ ${keys} is transparent: it would reveal its value without the key`,
          )
        }
        input.checkpoint?.()
        const bytes = canonicalBytes(ctx, result)
        cache?.write(packKeys[p]!, bytes.slice())
        return bytes
      } finally {
        // A stat alone is reduced in its accumulator, which the outer finally frees.
        if (pack.classes !== 1) result.delete()
      }
    })
  } catch (e) {
    if (e instanceof SandboxError) throw e
    // node-seal's throwing build raises on transparent results; anything else is a SEAL failure on the inputs.
    const message = describe(e, ctx.seal)
    if (/transparent/i.test(message)) {
      throw new SandboxError('TRANSPARENT_RESULT', `SEAL refused a transparent result: ${message}`, {
        cause: e,
      })
    }
    throw new SandboxError('CIPHERTEXT_INVALID', `SEAL failed on the vault's ciphertexts: ${message}`, {
      cause: e,
    })
  } finally {
    for (const acc of accumulators) acc?.delete()
  }
}

/**
 * Each stat's product tree: its factors' order (productOrders) and the level its leaves are taken
 * at. A tree spends a level per multiplication depth and its stat is used at its pack's mask level
 * (or, alone, at its result level), so the leaves need only that many primes: a 2-factor stat of an
 * integer pack at one prime multiplies, relinearizes and rescales over two primes instead of three.
 */
function productTrees(circuit: Circuit, dataPrimes: number): ProductTree[] {
  const orders = productOrders(circuit.stats)
  const target = new Map<number, number>()
  for (const pack of circuit.packs)
    for (const i of pack.stats) target.set(i, pack.classes === 1 ? pack.level : maskLevelOf(pack))
  return circuit.stats.map((stat, i) => ({
    names: orders[i]!,
    level:
      stat.factors.length < 2 ? dataPrimes : Math.min(dataPrimes, (target.get(i) ?? dataPrimes) + stat.depth),
  }))
}

/**
 * The stat cache's key of each stat's accumulator. The tree's order and level change the
 * accumulator's bytes, so they are part of what the key names (a stat taken at every prime keeps
 * the key it had before).
 */
export function statKeysOf(circuit: Circuit, chunksOf: (factor: string) => readonly string[]): string[] {
  const dataPrimes = PROFILES[circuit.profile].coeffModulusBits.length - 1
  return productTrees(circuit, dataPrimes).map((tree) =>
    statKey(
      circuit.profile,
      EVALUATOR_VERSION,
      { factors: tree.names },
      chunksOf,
      tree.level < dataPrimes ? tree.level : undefined,
    ),
  )
}

/** A cache entry as SEAL loads it, its checks making a truncated or foreign entry a miss, not a result. */
function loadCached(ctx: HeContext, bytes: Uint8Array | undefined, label: string): Ciphertext | undefined {
  if (!bytes) return undefined
  try {
    return loadInto(ctx, () => new ctx.seal.Ciphertext(), bytes, label, 'CIPHERTEXT_INVALID')
  } catch {
    return undefined
  }
}

/**
 * A stat alone: switched down to its result level and multiplied by N/2, with no rotation.
 *
 * What a decryption reads of a lone stat is its total in the constant coefficient (a threshold
 * opening reveals that coefficient and nothing else, stat-decrypt.ts) or in the mean of the
 * decoded slots (decryptStats); both are the same number. The sum over all N roots of unity of a
 * polynomial m is N·m_0, and SEAL's N/2 slots with their conjugates are those roots, so for real
 * slots m_0 = (2/N)·Δ·Σ_j z_j: the constant coefficient already holds the total, at scale 2Δ/N.
 * A rotate-and-sum over every slot (12 key switches at N = 8192) multiplies m_0 by N/2 (each
 * automorphism fixes the constant coefficient) and zeroes the rest; a plain multiplication by the
 * integer N/2 restores the same scale Δ at the cost of one NTT-domain product, and leaves the other
 * coefficients holding slot-wise sums. No bound is widened: every coefficient of the product is at
 * most Δ·Σ_records|x| (|m_k| ≤ (2Δ/N)·Σ_j|z_j|), the bound the compiler already gives the total.
 * A lone stat is therefore only for an opening that reads coefficient 0 or the mean of all slots,
 * which is every opening of an evaluator result; the slots alone are the holder's own partial sums.
 */
function reduceAlone(
  ctx: HeContext,
  acc: Ciphertext,
  level: number,
  levels: readonly ParmsIdType[],
): Ciphertext {
  const { evaluator } = ctx
  const target = levels[level - 1]
  if (!target) throw new EvaluationError('RESULT_INVALID', `no level ${level}`)
  evaluator.cipherModSwitchToInplace(acc, target)
  evaluator.multiplyPlainInplace(acc, halfDegree(ctx, target, level))
  return acc
}

/** The constant N/2 at scale 1 (exactly the integer polynomial N/2), at a level, kept per context. */
function halfDegree(ctx: HeContext, parmsId: ParmsIdType, level: number): Plaintext {
  const n = ctx.profile.polyModulusDegree
  return cachedMask(ctx, parmsId, `half-degree:${level}`, 1, () => n / 2)
}

/** acc += rot(acc, step) for step = from, 2 from, ... below `to`: slot i sums slots i .. i + to - from. */
function rotateAndSum(ctx: HeContext, keys: EvaluationKeys, acc: Ciphertext, from: number, to: number): void {
  const rotated = new ctx.seal.Ciphertext()
  try {
    for (let step = from; step < to; step *= 2) {
      ctx.evaluator.rotateVector(acc, step, keys.galoisKeys, rotated)
      ctx.evaluator.addInplace(acc, rotated)
    }
  } finally {
    rotated.delete()
  }
}

/**
 * Packs stats into one ciphertext (see planPacks): each stat summed over a
 * window of `window` slots, then masked once per diagonal (B/window of them),
 * the diagonals combined and the sum finished across classes. The masks are
 * the only thing that ever separates stats (0/1 class masks, or integer
 * masks for stats with no level to spare).
 */
function reducePacked(
  ctx: HeContext,
  keys: EvaluationKeys,
  pack: PackPlan,
  ready: (statIndex: number) => Ciphertext,
  levels: readonly ParmsIdType[],
): Ciphertext {
  const masks = pack.masks === 'integer' ? integerMasks(ctx, pack, levels) : zeroOneMasks(ctx, pack, levels)
  return reduceDiagonals(ctx, keys, pack, ready, masks)
}

/** Data primes a pack's masks apply at: 0/1 masks one above the result (they are rescaled), integer masks at it. */
function maskLevelOf(pack: PackPlan): number {
  return pack.masks === 'integer' ? pack.level : pack.level + 1
}

/**
 * 0/1 masks one level above the result: every slot ends holding one stat's
 * total, or 0.
 */
function zeroOneMasks(ctx: HeContext, pack: PackPlan, levels: readonly ParmsIdType[]): DiagonalMasks {
  const maskLevel = levels[pack.level]
  if (!maskLevel || pack.level < 1) throw new EvaluationError('RESULT_INVALID', `no level ${pack.level + 1}`)
  // Products of a stat and its mask all land on this scale, so that diagonals of stats of any depth add up.
  const target = ctx.scale * ctx.scale
  return {
    mask: (acc, c, j) =>
      classMask(
        ctx,
        maskLevel,
        pack.level + 1,
        pack.classes,
        (c + pack.window * j) % pack.classes,
        target / acc.scale(),
      ),
    // The scales agree to the last bit or two of a double; SEAL adds only equal scales.
    fix: (masked) => masked.setScale(target),
    rescale: true,
  }
}

/**
 * Integer masks (see integer-masks.ts) at the stats' own result level, each
 * shifted back by its diagonal's rotation, encoded at scale 1: no rescale,
 * no level spent. Every slot i ends holding Σ_k M_k(i)·S_k.
 */
function integerMasks(ctx: HeContext, pack: PackPlan, levels: readonly ParmsIdType[]): DiagonalMasks {
  const target = levels[pack.level - 1]
  if (!target) throw new EvaluationError('RESULT_INVALID', `no level ${pack.level}`)
  let scale: number | undefined
  return {
    // Rotations carry the scale through untouched: setting it after the window is summed is the same.
    normalize: (acc) => {
      // Stats of one factor count share their product tree's scale up to a double's last bits.
      if (scale === undefined) scale = acc.scale()
      else if (Math.abs(acc.scale() / scale - 1) > 1e-9)
        throw new EvaluationError('RESULT_INVALID', `stats of pack ${pack.stats.join(',')} differ in scale`)
      else acc.setScale(scale)
    },
    mask: (_acc, k, j) => {
      const shift = pack.window * j
      return cachedMask(ctx, target, `int:${pack.level}:${pack.classes}:${k}:${shift}`, 1, (i) =>
        integerMaskValue(pack.classes, k, i + pack.classes - shift),
      )
    },
    rescale: false,
  }
}

interface DiagonalMasks {
  /** makes a ready stat's scale the pack's own */
  normalize?(acc: Ciphertext): void
  /** the mask of stat c (its index in the pack) for diagonal j */
  mask(acc: Ciphertext, c: number, j: number): Plaintext
  fix?(masked: Ciphertext): void
  /** whether the masked diagonals are rescaled (0/1 masks carry a scale) */
  readonly rescale: boolean
}

/** The shared skeleton of both packings: windows, masked diagonals, their combination, the finishing sum. */
function reduceDiagonals(
  ctx: HeContext,
  keys: EvaluationKeys,
  pack: PackPlan,
  ready: (statIndex: number) => Ciphertext,
  masks: DiagonalMasks,
): Ciphertext {
  const { evaluator } = ctx
  const diagonals = pack.classes / pack.window
  const sums: Array<Ciphertext | undefined> = Array.from({ length: diagonals }, () => undefined)
  const masked = new ctx.seal.Ciphertext()
  let out: Ciphertext | undefined
  try {
    pack.stats.forEach((statIndex, c) => {
      const acc = ready(statIndex)
      masks.normalize?.(acc)
      for (let j = 0; j < diagonals; j++) {
        evaluator.multiplyPlain(acc, masks.mask(acc, c, j), masked)
        masks.fix?.(masked)
        const sum = sums[j]
        if (sum) evaluator.addInplace(sum, masked)
        else sums[j] = masked.copy()
      }
    })
    if (masks.rescale) for (const sum of sums) evaluator.rescaleToNextInplace(sum!)
    // Horner over the diagonals: Σ_j rot(sum_j, window * j).
    out = sums[diagonals - 1]!
    sums[diagonals - 1] = undefined
    for (let j = diagonals - 2; j >= 0; j--) {
      evaluator.rotateVector(out, pack.window, keys.galoisKeys, masked)
      evaluator.add(sums[j]!, masked, out)
    }
    rotateAndSum(ctx, keys, out, pack.classes, ctx.profile.slotCount)
    const done = out
    out = undefined
    return done
  } finally {
    out?.delete()
    masked.delete()
    for (const s of sums) s?.delete()
  }
}

/**
 * The plaintext mask of slots i with i mod classes = c, at a level and
 * scale.
 */
function classMask(
  ctx: HeContext,
  parmsId: ParmsIdType,
  level: number,
  classes: number,
  c: number,
  scale: number,
): Plaintext {
  return cachedMask(ctx, parmsId, `${level}:${classes}:${c}:${scale}`, scale, (i) =>
    i % classes === c ? 1 : 0,
  )
}

/**
 * A plaintext of slot values encoded at a scale and switched to a level.
 * SEAL's encoder is deterministic, so every node multiplies by the same
 * bytes; masks are kept per context (they hold no secret), bounded.
 */
function cachedMask(
  ctx: HeContext,
  parmsId: ParmsIdType,
  key: string,
  scale: number,
  valueAt: (slot: number) => number,
): Plaintext {
  let cache = MASKS.get(ctx.context)
  if (!cache) {
    cache = new Map()
    MASKS.set(ctx.context, cache)
  }
  let mask = cache.get(key)
  if (!mask) {
    if (cache.size >= MAX_MASKS) {
      for (const m of cache.values()) m.delete()
      cache.clear()
    }
    const values = new Float64Array(ctx.profile.slotCount)
    for (let i = 0; i < values.length; i++) values[i] = valueAt(i)
    mask = new ctx.seal.Plaintext()
    ctx.encoder.encode(values, scale, mask)
    ctx.evaluator.plainModSwitchToInplace(mask, parmsId)
    cache.set(key, mask)
  }
  return mask
}

const MASKS = new WeakMap<object, Map<string, Plaintext>>()
/** 256 masks at N=8192 and two primes are 32 MiB of SEAL heap. */
const MAX_MASKS = 256

/** parms ids indexed by level - 1, where a level is the number of data primes kept. */
function parmsIdsByLevel(ctx: HeContext): ParmsIdType[] {
  const ids: ParmsIdType[] = []
  let data = ctx.context.firstContextData()
  for (;;) {
    ids.unshift(data.parmsId())
    if (data.chainIndex() === 0) break
    data = data.nextContextData()
  }
  return ids
}
