/**
 * Every (haystack, needle) pair where the needle occurs in the haystack: what
 * `haystack.includes(needle)` for every pair answers, in one pass over each haystack instead of
 * one per needle. The leak scans search megabytes of node storage for a thousand CSV rows, and
 * a thousand `includes` over the same bytes cost seconds of CPU in a suite that is CPU-bound.
 *
 * A rolling hash of the first `width` bytes of each needle flags the candidate offsets; each
 * candidate is compared byte for byte, so a hash collision never reports a pair, and every
 * occurrence starts with a window whose hash is its needle's, so none is missed. Needles shorter
 * than `width` bytes (none in practice) fall back to `includes`.
 */
const WIDTH = 16
const BASE = 0x01000193
/** Bits of the prefilter: one per hash bucket, far more buckets than needles. */
const FILTER_BITS = 1 << 20

export type Found = readonly [haystack: number, needle: number]

export function findAll(haystacks: readonly Uint8Array[], needles: readonly Uint8Array[]): Found[] {
  const found: Found[] = []
  const short = needles.flatMap((n, i) => (n.length < WIDTH ? [i] : []))
  const byHash = new Map<number, number[]>()
  const filter = new Uint32Array(FILTER_BITS / 32)
  needles.forEach((needle, i) => {
    if (needle.length < WIDTH) return
    const h = windowHash(needle, 0)
    byHash.set(h, [...(byHash.get(h) ?? []), i])
    filter[(h >>> 12) >>> 5]! |= 1 << ((h >>> 12) & 31)
  })
  // BASE^(WIDTH-1) mod 2^32: the weight of the byte leaving the window.
  let out = 1
  for (let i = 1; i < WIDTH; i++) out = Math.imul(out, BASE)

  haystacks.forEach((hay, h) => {
    for (const i of short) if (asBuffer(hay).includes(asBuffer(needles[i]!))) found.push([h, i])
    if (hay.length < WIDTH || byHash.size === 0) return
    const seen = new Set<number>()
    let hash = windowHash(hay, 0)
    for (let at = 0; ; at++) {
      const bucket = hash >>> 12
      if (filter[bucket >>> 5]! & (1 << (bucket & 31))) {
        for (const i of byHash.get(hash) ?? []) {
          const needle = needles[i]!
          if (!seen.has(i) && at + needle.length <= hay.length && equalAt(hay, at, needle)) {
            seen.add(i)
            found.push([h, i])
          }
        }
      }
      if (at + WIDTH >= hay.length) break
      hash = (Math.imul(hash - Math.imul(hay[at]!, out), BASE) + hay[at + WIDTH]!) >>> 0
    }
  })
  return found.sort((a, b) => a[0] - b[0] || a[1] - b[1])
}

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

function windowHash(bytes: Uint8Array, from: number): number {
  let hash = 0
  for (let i = from; i < from + WIDTH; i++) hash = (Math.imul(hash, BASE) + bytes[i]!) >>> 0
  return hash
}

function equalAt(hay: Uint8Array, at: number, needle: Uint8Array): boolean {
  for (let i = 0; i < needle.length; i++) if (hay[at + i] !== needle[i]) return false
  return true
}
