import type { HeProfile } from '../he/profiles.ts'
import type { PackPlan, StatPlan } from './circuit.ts'
import { packMs } from './cost.ts'

/**
 * Plans how a circuit's stats leave the evaluator: as few ciphertexts as
 * possible, each stat's total spread over its own residue class of slots.
 *
 * A stat packs if a level is left below it for the masks: its product tree
 * leaves it at `dataPrimes - depth` primes, the masks take one, and the
 * result must keep `resultLevel`. Stats without that room each leave alone,
 * with every slot holding its total (a full rotate-and-sum), as before.
 *
 * A pack of k stats in B = 2^b classes: each stat is first summed over a
 * window of g neighbouring slots (log2 g rotations), then masked B/g times
 * (the class c + g*j for the j-th diagonal), the diagonals are combined
 * with B/g - 1 rotations by g, and log2(slots/B) rotations finish the sum,
 * so every slot i holds the total of the stat of class i mod B; unused
 * classes hold 0. g trades rotations (log2 g per stat) against mask
 * multiplications (B/g per stat) and is chosen by the cost model.
 */
export function planPacks(profile: HeProfile, stats: readonly StatPlan[], pack: boolean): PackPlan[] {
  const dataPrimes = profile.coeffModulusBits.length - 1
  const packable: number[] = []
  const alone: number[] = []
  stats.forEach((s, i) => {
    const room = s.resultLevel > 0 && dataPrimes - s.depth >= s.resultLevel + 1
    ;(pack && room ? packable : alone).push(i)
  })
  const single = (i: number): PackPlan => ({
    stats: [i],
    classes: 1,
    window: 1,
    level: stats[i]!.resultLevel,
  })
  if (packable.length < 2) return [...packable, ...alone].sort((a, b) => a - b).map(single)
  // A pack has one class per stat and at most a class per slot (a large heatmap needs several).
  const packs: PackPlan[] = []
  for (let at = 0; at < packable.length; at += profile.slotCount) {
    const group = packable.slice(at, at + profile.slotCount)
    packs.push(group.length === 1 ? single(group[0]!) : packOf(profile, stats, group))
  }
  return [...packs, ...alone.map(single)]
}

function packOf(profile: HeProfile, stats: readonly StatPlan[], packable: number[]): PackPlan {
  const classes = 2 ** Math.ceil(Math.log2(packable.length))
  const level = stats[packable[0]!]!.resultLevel
  let best: PackPlan | undefined
  let bestMs = Number.POSITIVE_INFINITY
  for (let window = 1; window <= classes; window *= 2) {
    const plan: PackPlan = { stats: packable, classes, window, level }
    const ms = packMs(profile, plan)
    // Within 5% of the cheapest, the fewer rotations (smaller window) win: they are the steadier cost.
    if (ms < bestMs * 0.95) {
      best = plan
      bestMs = ms
    }
  }
  return best!
}
