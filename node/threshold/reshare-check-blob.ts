import { z } from 'zod'
import { canonicalBytes } from '../../protocol/index.ts'
import type { RnsBasis } from '../../sandbox/index.ts'

/**
 * A new member's openings of a reshare's challenge, as the blob its `reshare-check` round share
 * names: for each candidate dealer set (S first, then S minus each dealer), one opening per set of
 * t new members containing it, one residue per prime (decimal, below its prime).
 */
const checkSchema = z.strictObject({
  version: z.literal(1),
  candidates: z
    .array(z.array(z.int().min(1)).min(1))
    .min(1)
    .max(129),
  sets: z
    .array(z.array(z.int().min(1)).min(1))
    .min(1)
    .max(100_000),
  openings: z.array(z.array(z.array(z.string().regex(/^\d{1,40}$/)))),
})
export type ReshareCheckBlob = z.infer<typeof checkSchema>

/** Most bytes a check blob may take: n = 128 old members and C(127, 84) sets would not fit anyway. */
export const MAX_RESHARE_CHECK_BYTES = 4 * 1024 * 1024

export function encodeReshareCheck(
  candidates: readonly (readonly number[])[],
  sets: readonly (readonly number[])[],
  openings: readonly (readonly (readonly bigint[])[])[],
): Uint8Array {
  const blob: ReshareCheckBlob = {
    version: 1,
    candidates: candidates.map((c) => [...c]),
    sets: sets.map((s) => [...s]),
    openings: openings.map((perSet) => perSet.map((o) => o.map(String))),
  }
  return canonicalBytes(blob)
}

const same = (a: readonly (readonly number[])[], b: readonly (readonly number[])[]) =>
  JSON.stringify(a) === JSON.stringify(b)

/**
 * The openings (candidate, set, prime) of a check blob, or undefined when it is not the check the
 * member owes: other candidates or sets than expected, or a residue not below its prime.
 */
export function decodeReshareCheck(
  basis: RnsBasis,
  bytes: Uint8Array,
  expected: { candidates: readonly (readonly number[])[]; sets: readonly (readonly number[])[] },
): bigint[][][] | undefined {
  if (bytes.length > MAX_RESHARE_CHECK_BYTES) return undefined
  let parsed: ReshareCheckBlob
  try {
    parsed = checkSchema.parse(JSON.parse(Buffer.from(bytes).toString('utf8')))
  } catch {
    return undefined
  }
  if (!same(parsed.candidates, expected.candidates) || !same(parsed.sets, expected.sets)) return undefined
  if (parsed.openings.length !== parsed.candidates.length) return undefined
  const out: bigint[][][] = []
  for (const perSet of parsed.openings) {
    if (perSet.length !== parsed.sets.length) return undefined
    const values = perSet.map((o) => o.map((v) => BigInt(v)))
    if (values.some((o) => o.length !== basis.primes.length || o.some((v, l) => v >= basis.primes[l]!)))
      return undefined
    out.push(values)
  }
  return out
}
