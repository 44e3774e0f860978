import { createRequire } from 'node:module'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { afterEach, describe, expect, it } from 'vitest'
import {
  curveEngine,
  fromHex,
  type Hex,
  type Hex32,
  nobleEngine,
  recoverPublicKey,
  signDigest,
  toHex,
  useCurveEngine,
} from '../protocol/index.ts'
import { useNativeSecp256k1 } from './native-secp256k1.ts'

const N = secp256k1.Point.CURVE().n
const hex32 = (n: bigint): string => n.toString(16).padStart(64, '0')
const random32 = (): Hex32 => toHex(secp256k1.utils.randomSecretKey()) as Hex32

/** What a process answers for a signature under one engine or the other. */
function answers(digest: Hex32, signature: Hex): { noble: string; native: string } {
  const native = curveEngine()
  useCurveEngine(nobleEngine)
  const byNoble = recoverPublicKey(digest, signature)
  useCurveEngine(native)
  const byNative = recoverPublicKey(digest, signature)
  const show = (key: Uint8Array | undefined) => (key === undefined ? 'refused' : toHex(key))
  return { noble: show(byNoble), native: show(byNative) }
}

afterEach(() => useCurveEngine(nobleEngine))

describe('the native secp256k1 engine', () => {
  it('loads here, and signs byte for byte as noble does', () => {
    expect(useNativeSecp256k1()).toEqual({ engine: 'libsecp256k1' })
    for (let i = 0; i < 20; i++) {
      const key = random32()
      const digest = random32()
      const native = signDigest(key, digest)
      useCurveEngine(nobleEngine)
      expect(signDigest(key, digest)).toBe(native)
      useNativeSecp256k1()
    }
  })

  it('accepts and refuses exactly what noble does, on honest and hostile signatures', () => {
    useNativeSecp256k1()
    const digest = random32()
    const honest = signDigest(random32(), digest)
    const r = honest.slice(2, 66)
    const s = honest.slice(66, 130)
    const v = honest.slice(130)
    const hostile: string[] = [
      honest,
      `0x${r}${s}${v === '1b' ? '1c' : '1b'}`, // the other recovery id: another key
      `0x${r}${hex32(N - BigInt(`0x${s}`))}${v}`, // the high-s twin
      `0x${hex32(0n)}${s}${v}`,
      `0x${hex32(N)}${s}${v}`, // r = n: out of range
      `0x${hex32(N - 1n)}${s}${v}`,
      `0x${r}${hex32(0n)}${v}`,
      `0x${r}${hex32(1n)}${v}`,
      `0x${r}${hex32(N / 2n)}${v}`, // the highest low s
      `0x${r}${hex32(N / 2n + 1n)}${v}`, // the lowest high s
      `0x${hex32(5n)}${s}${v}`, // x = 5 is on no point of the curve (y^2 = 132 is not a square)
      `0x${r}${s}1d`,
      `0x${r}${s}00`,
      `0x${'ff'.repeat(65)}`,
    ]
    for (let i = 0; i < 40; i++)
      hostile.push(toHex(secp256k1.utils.randomSecretKey()) + hex32(BigInt(i)).slice(0, 66))
    let refused = 0
    for (const signature of hostile) {
      const { noble, native } = answers(digest, signature as Hex)
      expect(native, signature).toBe(noble)
      if (noble === 'refused') refused++
    }
    // Both refuse the malformed half and more; both recover the honest one.
    expect(answers(digest, honest as Hex).native).not.toBe('refused')
    expect(refused).toBeGreaterThan(8)
  })

  it('keeps noble where the addon cannot load, or disagrees with noble', () => {
    const missing = useNativeSecp256k1(() => {
      throw new Error('no prebuild for this platform')
    })
    expect(missing).toEqual({
      engine: 'noble',
      reason: 'the secp256k1 addon did not load: no prebuild for this platform',
    })
    expect(curveEngine()).toBe(nobleEngine)
    // The real addon with one signature byte flipped: a broken build must not be trusted.
    const real = createRequire(import.meta.url)('secp256k1/bindings') as typeof import('secp256k1')
    const broken = {
      ...real,
      ecdsaSign: (message: Uint8Array, key: Uint8Array) => {
        const out = real.ecdsaSign(message, key)
        out.signature[3] = out.signature[3]! ^ 1
        return out
      },
    }
    expect(useNativeSecp256k1(() => broken)).toEqual({
      engine: 'noble',
      reason: 'the secp256k1 addon disagreed with noble on the probes',
    })
    expect(curveEngine()).toBe(nobleEngine)
    expect(fromHex(signDigest(random32(), random32())).length).toBe(65)
  })
})
