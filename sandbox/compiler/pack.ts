import type { HeProfile } from '../he/profiles.ts'
import type { PackPlan, StatPlan } from './circuit.ts'
import { packMs } from './cost.ts'
import { integerMaskGain } from './integer-masks.ts'

/**
 * Plans how a circuit's stats leave the evaluator.
 *
 * A stat alone costs no rotation (evaluate.ts reduceAlone: its total is its
 * constant coefficient already) but is a ciphertext of its own in the
 * result. So a circuit of at most `maxLone` (MAX_LONE_RESULTS) stats leaves as lone
 * stats: the demo's 28 are 28 ciphertexts at one prime and no rotation,
 * against 3 ciphertexts and 70 rotations packed. Beyond that the
 * result's size wins, and the stats pack: as few ciphertexts as possible,
 * each stat's total spread over its own residue class of slots.
 *
 * A stat packs if a level is left below it for the masks: its product tree
 * leaves it at `dataPrimes - depth` primes, the masks take one, and the
 * result must keep `resultLevel`. Stats without that room pack with integer
 * masks where their headroom allows (integerPacks); the rest each leave
 * alone, with every slot holding its total (a full rotate-and-sum).
 *
 * A pack of k stats in B = 2^b classes: each stat is first summed over a
 * window of g neighbouring slots (log2 g rotations), then masked B/g times
 * (the class c + g*j for the j-th diagonal), the diagonals are combined
 * with B/g - 1 rotations by g, and log2(slots/B) rotations finish the sum,
 * so every slot i holds the total of the stat of class i mod B; unused
 * classes hold 0. g trades rotations (log2 g per stat) against mask
 * multiplications (B/g per stat) and is chosen by the cost model.
 *
 * Stats that have a level for a 0/1 mask pack by integer masks instead
 * when the cost model finds that cheaper (`preferInteger`, the default):
 * a pack then works at the result level, its masks and window rotations
 * over one prime fewer and no rescale, at the price of fewer classes per
 * pack (their headroom) and one pack per factor count.
 *
 * `zeroOneMasks` false (committee vaults) packs with integer masks only:
 * their result polynomial holds each stat as one coefficient, which a
 * threshold release opens alone (sandbox/threshold/stat-coefficients.ts);
 * a 0/1 mask spreads every stat over all coefficients.
 */
export function planPacks(
  profile: HeProfile,
  stats: readonly StatPlan[],
  pack: boolean,
  recordCount: number,
  integerMasks = true,
  zeroOneMasks = true,
  preferInteger = true,
  maxLone = MAX_LONE_RESULTS,
): PackPlan[] {
  const single = (i: number): PackPlan => ({
    stats: [i],
    classes: 1,
    window: 1,
    level: stats[i]!.resultLevel,
  })
  if (stats.length <= maxLone) return stats.map((_, i) => single(i))
  const dataPrimes = profile.coeffModulusBits.length - 1
  const packable: number[] = []
  const alone: number[] = []
  stats.forEach((s, i) => {
    const room = zeroOneMasks && s.resultLevel > 0 && dataPrimes - s.depth >= s.resultLevel + 1
    ;(pack && room ? packable : alone).push(i)
  })
  const rest = pack && integerMasks ? integerPacks(profile, stats, alone, recordCount) : alone.map(single)
  if (packable.length < 2) {
    const singles = packable.map(single)
    return [...singles, ...rest].sort((a, b) => a.stats[0]! - b.stats[0]!)
  }
  // A pack has one class per stat and at most a class per slot (a large heatmap needs several).
  const packs: PackPlan[] = []
  for (let at = 0; at < packable.length; at += profile.slotCount) {
    const group = packable.slice(at, at + profile.slotCount)
    packs.push(group.length === 1 ? single(group[0]!) : packOf(profile, stats, group))
  }
  // Integer masks work a level lower (half the primes for masks and window rotations, no rescale)
  // but cap the classes by headroom: over few records they are the cheaper layout. Over many, the
  // cap splits a group into packs of a few classes each, each with its own finishing rotations and
  // result ciphertext: then the 0/1 pack stays, whatever the model says.
  if (integerMasks && preferInteger) {
    const integer = integerPacks(profile, stats, packable, recordCount)
    const groups = new Set(packable.map((i) => `${stats[i]!.factors.length}:${stats[i]!.resultLevel}`))
    if (
      integer.length <= groups.size &&
      integer.every((p) => p.classes > 1) &&
      totalMs(profile, integer) < totalMs(profile, packs)
    )
      return [...integer, ...rest]
  }
  return [...packs, ...rest]
}

/**
 * The most stats that leave as lone ciphertexts: a result of at most 32 ciphertexts, 4 MiB at one
 * prime, which every validator hashes and a vault agent fetches once per job.
 */
export const MAX_LONE_RESULTS = 32

function totalMs(profile: HeProfile, packs: readonly PackPlan[]): number {
  return packs.reduce((ms, p) => ms + packMs(profile, p), 0)
}

/**
 * Stats with no level for a 0/1 mask pack with integer masks instead
 * (integer-masks.ts), which take no level but widen the result by up to
 * `integerMaskGain(B)`: B is the most classes whose widened bound still fits
 * the stats' result level. Stats pack only with stats of the same factor
 * count and level, whose results share a scale.
 */
/**
 * The most classes an integer-mask pack may have. A pack's headroom grows about as 1.3·B, so a
 * larger B never fits a result level at the profiles' scales; capping it keeps the planner's
 * O(B²) headroom check cheap for a spec with thousands of heatmap cells.
 */
const MAX_INTEGER_CLASSES = 256

function integerPacks(
  profile: HeProfile,
  stats: readonly StatPlan[],
  alone: readonly number[],
  recordCount: number,
): PackPlan[] {
  const groups = new Map<string, number[]>()
  for (const i of alone) {
    const key = `${stats[i]!.factors.length}:${stats[i]!.resultLevel}`
    groups.set(key, [...(groups.get(key) ?? []), i])
  }
  const levelBits = (level: number) => profile.coeffModulusBits.slice(0, level).reduce((a, b) => a + b, 0)
  const packs: PackPlan[] = []
  for (const group of groups.values()) {
    const level = stats[group[0]!]!.resultLevel
    let classes = Math.min(MAX_INTEGER_CLASSES, 2 ** Math.ceil(Math.log2(Math.max(1, group.length))))
    const fits = (b: number) =>
      Math.ceil(Math.log2(Math.max(2, recordCount * integerMaskGain(b)))) + profile.scaleBits + 2 <=
      levelBits(level)
    while (classes > 1 && !fits(classes)) classes /= 2
    for (let at = 0; at < group.length; at += Math.max(1, classes)) {
      const members = group.slice(at, at + classes)
      if (members.length === 1 || level < 1) {
        for (const i of members)
          packs.push({ stats: [i], classes: 1, window: 1, level: stats[i]!.resultLevel })
        continue
      }
      const b = 2 ** Math.ceil(Math.log2(members.length))
      packs.push(cheapest(profile, { stats: members, classes: b, window: 1, level, masks: 'integer' }))
    }
  }
  return packs
}

function packOf(profile: HeProfile, stats: readonly StatPlan[], packable: number[]): PackPlan {
  const classes = 2 ** Math.ceil(Math.log2(packable.length))
  const level = stats[packable[0]!]!.resultLevel
  return cheapest(profile, { stats: packable, classes, window: 1, level })
}

/** The window the cost model finds cheapest for a pack. */
function cheapest(profile: HeProfile, base: PackPlan): PackPlan {
  let best: PackPlan | undefined
  let bestMs = Number.POSITIVE_INFINITY
  for (let window = 1; window <= base.classes; window *= 2) {
    const plan: PackPlan = { ...base, window }
    const ms = packMs(profile, plan)
    // Within 5% of the cheapest, the fewer rotations (smaller window) win: they are the steadier cost.
    if (ms < bestMs * 0.95) {
      best = plan
      bestMs = ms
    }
  }
  return best!
}
