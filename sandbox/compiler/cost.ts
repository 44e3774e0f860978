import type { HeProfile } from '../he/profiles.ts'
import type { CircuitCost, PackPlan, StatPlan } from './circuit.ts'

/**
 * Per-operation costs in ms for CKKS N=8192 on one core of the reference
 * machine (node-seal 7 on Node 24, measured by the HE benchmark). Costs grow
 * about linearly with N and with the number of primes in play.
 */
export const MS_8192 = {
  load: 0.12, // an uncompressed ciphertext from bytes
  add: 0.05,
  multiply: 1.0, // without relinearization
  relinearizeRescale: 9,
  rotatePerPrime: 0.55,
  // Relative to a rotation as measured side by side (issue #17, sixth pass): a mask with its
  // addition costs about a fifth (0.48 against 2.85 ms in bench:he's demo job), a rescale a third.
  multiplyPlainPerPrime: 0.06,
  rescale: 0.17,
}

export function estimateCost(
  profile: HeProfile,
  chunkCount: number,
  stats: readonly StatPlan[],
  packs: readonly PackPlan[],
): CircuitCost {
  const scale = profile.polyModulusDegree / 8192
  const topPrimes = profile.coeffModulusBits.length - 1
  const rotationsPerStat = Math.log2(profile.slotCount)
  const inputs = new Set(stats.flatMap((s) => s.factors))
  let multiplications = 0
  let relinearizations = 0
  let rotations = 0
  let ms = inputs.size * chunkCount * MS_8192.load
  for (const stat of stats) {
    const products = Math.max(0, stat.factors.length - 1)
    // Inner products of the tree are relinearized per chunk; the root's
    // products are summed unrelinearized and relinearized once.
    const inner = Math.max(0, products - 1)
    multiplications += products * chunkCount
    relinearizations += inner * chunkCount + (products > 0 ? 1 : 0)
    ms += chunkCount * (products * MS_8192.multiply + inner * MS_8192.relinearizeRescale + MS_8192.add)
    ms += products > 0 ? MS_8192.relinearizeRescale : 0
  }
  for (const pack of packs) {
    rotations += packRotations(profile, pack)
    ms += packMs(profile, pack) / scale
  }
  const ciphertextBytes = 2 * profile.polyModulusDegree * topPrimes * 8
  const keyBytes = ciphertextBytes * (rotationsPerStat + 1) * topPrimes
  return {
    depth: Math.max(0, ...stats.map((s) => s.depth)),
    stats: stats.length,
    inputCiphertexts: inputs.size * chunkCount,
    multiplications,
    relinearizations,
    rotations,
    estimatedMs: ms * scale,
    estimatedBytes: keyBytes + (stats.length * 1.5 + inputs.size + 4) * ciphertextBytes + 32 * 2 ** 20,
  }
}

/** Rotations a pack's reduction performs (see planPacks); a stat alone needs none. */
export function packRotations(profile: HeProfile, pack: PackPlan): number {
  const all = Math.log2(profile.slotCount)
  if (pack.classes === 1) return 0
  const diagonals = pack.classes / pack.window
  return pack.stats.length * Math.log2(pack.window) + (diagonals - 1) + (all - Math.log2(pack.classes))
}

/** Estimated single-core ms of a pack's reduction on the reference machine. */
export function packMs(profile: HeProfile, pack: PackPlan): number {
  const scale = profile.polyModulusDegree / 8192
  const all = Math.log2(profile.slotCount)
  if (pack.classes === 1) return scale * MS_8192.multiplyPlainPerPrime * pack.level
  // Integer masks work at the result level and need no rescale.
  const integer = pack.masks === 'integer'
  const maskLevel = integer ? pack.level : pack.level + 1
  const diagonals = pack.classes / pack.window
  const k = pack.stats.length
  const ms =
    k * Math.log2(pack.window) * MS_8192.rotatePerPrime * maskLevel +
    k * diagonals * (MS_8192.multiplyPlainPerPrime * maskLevel + MS_8192.add) +
    (integer ? 0 : diagonals * MS_8192.rescale) +
    (diagonals - 1 + all - Math.log2(pack.classes)) * MS_8192.rotatePerPrime * pack.level
  return scale * ms
}
