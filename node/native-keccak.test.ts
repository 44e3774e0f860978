import { randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { keccak256, keccakEngine, nobleKeccak, toHex, useKeccakEngine } from '../protocol/index.ts'
import { type KeccakBinding, useNativeKeccak } from './native-keccak.ts'

afterEach(() => useKeccakEngine(nobleKeccak))

/** The real addon, loaded as the daemon loads it. */
function realBinding(): KeccakBinding {
  const require = createRequire(import.meta.url)
  const root = dirname(require.resolve('keccak/package.json'))
  return (createRequire(`${root}/package.json`)('node-gyp-build') as (dir: string) => KeccakBinding)(root)
}

describe('the native keccak engine', () => {
  it('loads here and hashes every input as noble does: lengths around the rate, views, random bytes', () => {
    expect(useNativeKeccak()).toEqual({ engine: 'keccak-addon' })
    const native = keccakEngine()
    const inputs: Uint8Array[] = []
    for (let n = 0; n <= 410; n++) inputs.push(new Uint8Array(randomBytes(n)))
    for (let i = 0; i < 20; i++) inputs.push(new Uint8Array(randomBytes(1000 + i * 977)))
    const big = new Uint8Array(randomBytes(4096))
    for (let i = 0; i < 20; i++) inputs.push(big.subarray(i * 7, 4096 - i * 13))
    for (const input of inputs) {
      expect(toHex(native.keccak256(input))).toBe(toHex(nobleKeccak.keccak256(input)))
    }
    // What the protocol's keccak256 gives under either engine (the empty input's well-known hash).
    expect(keccak256(new Uint8Array())).toBe(
      '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    )
    // The input it hashed is left as it was.
    const kept = Uint8Array.from(big)
    native.keccak256(big)
    expect(big).toEqual(kept)
  })

  it('keeps noble where the addon cannot load, or disagrees with noble', () => {
    expect(
      useNativeKeccak(() => {
        throw new Error('no prebuild for this platform')
      }),
    ).toEqual({ engine: 'noble', reason: 'the keccak addon did not load: no prebuild for this platform' })
    expect(keccakEngine()).toBe(nobleKeccak)
    // The real addon with the padding of another hash (SHA3's 0x06): a broken build must not be trusted.
    const Real = realBinding()
    class Broken extends Real {
      override absorbLastFewBits(): void {
        super.absorbLastFewBits(0x06)
      }
    }
    expect(useNativeKeccak(() => Broken)).toEqual({
      engine: 'noble',
      reason: 'the keccak addon disagreed with noble on the probes',
    })
    expect(keccakEngine()).toBe(nobleKeccak)
  })
})
