/**
 * HE parameter profiles. A vault names exactly one; parameters are never
 * free-form, so every node builds the identical SEAL context from the name.
 *
 * `depth` is the number of rescales a circuit may perform: the coefficient
 * modulus minus its first (the decryption headroom) and last (the special
 * key-switching prime) entries.
 */
export interface HeProfile {
  readonly name: ProfileName
  readonly polyModulusDegree: number
  readonly coeffModulusBits: readonly number[]
  readonly scaleBits: number
  readonly securityLevel: 128
  readonly depth: number
  readonly slotCount: number
}

export type ProfileName = 'ckks-8192' | 'ckks-16384'

function profile(
  name: ProfileName,
  polyModulusDegree: number,
  coeffModulusBits: readonly number[],
  scaleBits: number,
): HeProfile {
  return Object.freeze({
    name,
    polyModulusDegree,
    coeffModulusBits: Object.freeze([...coeffModulusBits]),
    scaleBits,
    securityLevel: 128,
    depth: coeffModulusBits.length - 2,
    slotCount: polyModulusDegree / 2,
  })
}

export const PROFILES: Readonly<Record<ProfileName, HeProfile>> = Object.freeze({
  // 200 of the 218 bits SEAL allows at N=8192 for 128-bit security.
  'ckks-8192': profile('ckks-8192', 8192, [60, 40, 40, 60], 40),
  // 380 of 438 bits at N=16384: depth 7 for feature maps and masked models.
  'ckks-16384': profile('ckks-16384', 16384, [60, 40, 40, 40, 40, 40, 40, 40, 60], 40),
})

export const DEFAULT_PROFILE: ProfileName = 'ckks-8192'

export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(PROFILES, name)
}

/** Rotation steps a rotate-and-sum over all slots needs: 1, 2, 4, … slotCount/2. */
export function rotateAndSumSteps(slotCount: number): number[] {
  const steps: number[] = []
  for (let step = 1; step < slotCount; step *= 2) steps.push(step)
  return steps
}
