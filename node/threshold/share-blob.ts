import { decodePoly, encodePoly, type RnsBasis, type RnsPoly } from '../../sandbox/index.ts'
import { ThresholdNodeError } from './errors.ts'

/**
 * A round share's blob: its polynomials' canonical TCFP encodings back to back. Every key-level
 * polynomial has one size, so the blob splits without a length table, and one set of polynomials
 * has one blob (and one id).
 */
export function encodeShareBlob(polys: readonly RnsPoly[]): Uint8Array {
  const parts = polys.map(encodePoly)
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** The `count` key-level polynomials of a share blob, each checked below its primes. */
export function decodeShareBlob(basis: RnsBasis, bytes: Uint8Array, count: number, what: string): RnsPoly[] {
  const limbs = basis.primes.length
  const size = 10 + 8 * basis.n * limbs
  if (bytes.length !== size * count) {
    throw new ThresholdNodeError(
      'DKG_BLOB_INVALID',
      `${what}: ${bytes.length} bytes, expected ${count} polynomials of ${size}`,
    )
  }
  return Array.from({ length: count }, (_, k) =>
    decodePoly(basis, bytes.subarray(k * size, (k + 1) * size), limbs, `${what}[${k}]`),
  )
}
