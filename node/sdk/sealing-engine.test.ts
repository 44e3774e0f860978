import * as crypto from 'node:crypto'
import { createRequire } from 'node:module'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { describe, expect, it } from 'vitest'
import { ClientError } from './errors.ts'
import { generateSealingKey, isSealingPublicKey, seal, unseal } from './sealing.ts'
import {
  type EcdhBinding,
  libsecp256k1Sealing,
  nobleSealing,
  nodeSealing,
  sealingEngine,
} from './sealing-engine.ts'

const native = nodeSealing(crypto)
// The daemon-side engine node/native-sealing.ts installs, on the addon that package ships here.
const libsecp = libsecp256k1Sealing(
  createRequire(import.meta.url)('secp256k1/bindings') as EcdhBinding,
  crypto,
)
const ALL = [native, nobleSealing, libsecp]
const ENGINES = ALL.flatMap((a) => ALL.filter((b) => b !== a).map((b) => [a, b] as const))
const text = new TextEncoder().encode('{"mean_hr":73.4354}')
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const scalar = (n: bigint) => Uint8Array.from(Buffer.from(n.toString(16).padStart(64, '0'), 'hex'))
const ORDER = secp256k1.Point.CURVE().n
const FIELD = secp256k1.Point.CURVE().p

/** 1, 2, n-2, n-1 (the points G and -G among their keys) and random secrets. */
const SECRETS = [1n, 2n, ORDER - 2n, ORDER - 1n]
  .map(scalar)
  .concat(Array.from({ length: 6 }, () => secp256k1.utils.randomSecretKey()))

/** Compressed encodings with no point behind them: an x with no y, x = p, x = 2^256 - 1, bad prefixes. */
function notPoints(): Uint8Array[] {
  const compressed = (x: bigint, prefix = 2) =>
    Uint8Array.from([prefix, ...Buffer.from(x.toString(16).padStart(64, '0'), 'hex')])
  let x = 1n
  while (nobleSealing.isPoint(compressed(x))) x++
  const g = nobleSealing.publicKeyOf(scalar(1n))
  return [
    compressed(x),
    compressed(x, 3),
    compressed(FIELD),
    compressed(2n ** 256n - 1n),
    Uint8Array.from([4, ...g.subarray(1)]),
    Uint8Array.from([0, ...g.subarray(1)]),
    g.subarray(0, 32),
    new Uint8Array(0),
  ]
}

const code = (run: () => unknown): string => {
  try {
    run()
    return 'ok'
  } catch (e) {
    return e instanceof ClientError ? e.code : `untyped ${(e as Error).message}`
  }
}

describe('the two ECDH engines of sealing agree', () => {
  it('runs on node:crypto in Node', () => {
    expect(sealingEngine().name).toBe('node:crypto')
  })

  it('gives the same public key and shared x on boundary and random secrets', () => {
    for (const a of SECRETS) {
      expect(hex(native.publicKeyOf(a))).toBe(hex(nobleSealing.publicKeyOf(a)))
      expect(hex(libsecp.publicKeyOf(a))).toBe(hex(nobleSealing.publicKeyOf(a)))
      for (const b of SECRETS.slice(0, 6)) {
        const point = nobleSealing.publicKeyOf(b)
        const x = native.sharedX(a, point)
        expect(x).toHaveLength(32)
        expect(hex(x)).toBe(hex(nobleSealing.sharedX(a, point)))
        expect(hex(libsecp.sharedX(a, point))).toBe(hex(x))
      }
    }
  })

  it("an ephemeral's shared x is what the recipient's secret derives, across engines", () => {
    for (const [sealer, opener] of ENGINES) {
      const secret = secp256k1.utils.randomSecretKey()
      const e = sealer.ephemeral(opener.publicKeyOf(secret))
      expect(hex(opener.sharedX(secret, e.publicKey))).toBe(hex(e.sharedX))
    }
  })

  it('derives and encrypts to the same bytes, and refuses the same tampering', () => {
    const key = crypto.randomBytes(32)
    const nonce = crypto.randomBytes(12)
    for (const length of [0, 1, 15, 16, 17, 4096]) {
      const plaintext = crypto.randomBytes(length)
      const sealed = native.gcmSeal(key, nonce, plaintext)
      expect(hex(sealed)).toBe(hex(nobleSealing.gcmSeal(key, nonce, plaintext)))
      expect(sealed).toHaveLength(length + 16)
      for (const engine of ALL) {
        expect(hex(engine.gcmOpen(key, nonce, sealed))).toBe(hex(plaintext))
        const flipped = Uint8Array.from(sealed)
        flipped[flipped.length - 1]! ^= 1
        expect(() => engine.gcmOpen(key, nonce, flipped)).toThrow()
        expect(() => engine.gcmOpen(key, nonce, sealed.subarray(0, 15))).toThrow()
      }
    }
    const salt = crypto.randomBytes(66)
    const info = new TextEncoder().encode('info')
    expect(hex(native.hkdfSha256(key, salt, info, 32))).toBe(
      hex(nobleSealing.hkdfSha256(key, salt, info, 32)),
    )
  })

  it('seals with one engine and unseals with the other', () => {
    for (const [sealer, opener] of ENGINES) {
      const buyer = generateSealingKey()
      const sealed = seal(text, buyer.publicKey, sealer)
      expect(unseal(sealed, buyer.privateKey, opener)).toEqual(text)
      expect(code(() => unseal(sealed, generateSealingKey().privateKey, opener))).toBe('UNSEAL_FAILED')
    }
  })

  it('refuses what is no point, and secrets out of range, with the same typed error', () => {
    const secret = secp256k1.utils.randomSecretKey()
    const badSecrets = [scalar(0n), scalar(ORDER), scalar(2n ** 256n - 1n), secret.subarray(1)]
    for (const engine of ALL) {
      for (const point of notPoints()) {
        expect(engine.isPoint(point)).toBe(false)
        expect(code(() => engine.sharedX(secret, point))).toBe('SEALING_KEY_INVALID')
        expect(code(() => engine.ephemeral(point))).toBe('SEALING_KEY_INVALID')
      }
      for (const bad of badSecrets) {
        expect(code(() => engine.publicKeyOf(bad))).toBe('SEALING_KEY_INVALID')
        expect(code(() => engine.sharedX(bad, nobleSealing.publicKeyOf(secret)))).toBe('SEALING_KEY_INVALID')
      }
    }
  })

  it('refuses to seal to a key of the right form that is no point, in both engines', () => {
    const [offCurve] = notPoints()
    const key = `0x${hex(offCurve!)}` as const
    expect(isSealingPublicKey(key)).toBe(false)
    expect(isSealingPublicKey(key, nobleSealing)).toBe(false)
    expect(isSealingPublicKey(key, libsecp)).toBe(false)
    expect(isSealingPublicKey(generateSealingKey().publicKey)).toBe(true)
    for (const engine of ALL) expect(code(() => seal(text, key, engine))).toBe('SEALING_KEY_INVALID')
  })
})
