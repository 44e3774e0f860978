import { gcm } from '@noble/ciphers/aes.js'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { ClientError } from './errors.ts'

/**
 * The primitives of result sealing (sealing.ts), in engines that give the same bytes: OpenSSL
 * through node:crypto where the SDK runs in Node, @noble in the browser, where node:crypto does
 * not exist, and libsecp256k1 for the curve where a daemon-side process installs it. The vault
 * agent seals every release: in JS its two scalar multiplications are ~14 ms and AES-GCM of a few
 * KiB another ~2. Points are compressed (33 bytes), secrets 32 bytes; anything else, or a point
 * not on the curve, is SEALING_KEY_INVALID in every engine.
 */
export interface SealingEngine {
  /** 'noble', 'node:crypto', or what a process installed with useSealingEngine (node/native-sealing.ts) */
  readonly name: string
  /** the compressed public key of a 32-byte secret */
  publicKeyOf(secret: Uint8Array): Uint8Array
  /** the x-coordinate of secret·point */
  sharedX(secret: Uint8Array, point: Uint8Array): Uint8Array
  /** a fresh key pair's public key and its shared x with `point`; the secret never leaves the engine */
  ephemeral(point: Uint8Array): { readonly publicKey: Uint8Array; readonly sharedX: Uint8Array }
  /** whether `point` is a compressed point of the curve */
  isPoint(point: Uint8Array): boolean
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array
  /** AES-256-GCM without AAD, the 16-byte tag appended */
  gcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array
  /** the inverse of gcmSeal; throws on a wrong key, nonce or tag */
  gcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Uint8Array
}

const TAG_BYTES = 16

const POINT_BYTES = 33
const SECRET_BYTES = 32

function invalid(what: string, cause?: unknown): ClientError {
  return new ClientError('SEALING_KEY_INVALID', `not a secp256k1 ${what}`, { cause })
}

/** Length and prefix first: the engines differ in what other encodings they accept. */
function checkForm(secret: Uint8Array | undefined, point: Uint8Array | undefined): void {
  if (secret && secret.length !== SECRET_BYTES) throw invalid(`secret key (${secret.length} bytes)`)
  if (point && (point.length !== POINT_BYTES || (point[0] !== 2 && point[0] !== 3)))
    throw invalid('compressed public key')
}

/** Runs one engine step, its refusals as SEALING_KEY_INVALID naming what was refused. */
function refusing<T>(what: string, step: () => T): T {
  try {
    return step()
  } catch (e) {
    if (e instanceof ClientError) throw e
    throw invalid(what, e)
  }
}

export const nobleSealing: SealingEngine = {
  name: 'noble',
  publicKeyOf(secret) {
    checkForm(secret, undefined)
    return refusing('secret key', () => secp256k1.getPublicKey(secret, true))
  },
  sharedX(secret, point) {
    checkForm(secret, point)
    const p = refusing('compressed public key', () => secp256k1.Point.fromBytes(point))
    return refusing('secret key', () => secp256k1.getSharedSecret(secret, p.toBytes(true), true).slice(1))
  },
  ephemeral(point) {
    checkForm(undefined, point)
    refusing('compressed public key', () => secp256k1.Point.fromBytes(point))
    const secret = secp256k1.utils.randomSecretKey()
    try {
      return { publicKey: secp256k1.getPublicKey(secret, true), sharedX: nobleSealing.sharedX(secret, point) }
    } finally {
      secret.fill(0)
    }
  },
  isPoint(point) {
    try {
      checkForm(undefined, point)
      secp256k1.Point.fromBytes(point)
      return true
    } catch {
      return false
    }
  },
  hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  gcmSeal: (key, nonce, plaintext) => gcm(key, nonce).encrypt(plaintext),
  gcmOpen: (key, nonce, sealed) => gcm(key, nonce).decrypt(sealed),
}

type NodeCrypto = typeof import('node:crypto')

export function nodeSealing(crypto: NodeCrypto): SealingEngine {
  const curve = 'secp256k1'
  const withSecret = (secret: Uint8Array) => {
    checkForm(secret, undefined)
    const ecdh = crypto.createECDH(curve)
    refusing('secret key', () => ecdh.setPrivateKey(secret))
    return ecdh
  }
  const computeX = (ecdh: ReturnType<NodeCrypto['createECDH']>, point: Uint8Array) =>
    new Uint8Array(refusing('compressed public key', () => ecdh.computeSecret(point)))
  return {
    name: 'node:crypto',
    publicKeyOf: (secret) => new Uint8Array(withSecret(secret).getPublicKey(null, 'compressed')),
    sharedX(secret, point) {
      checkForm(secret, point)
      return computeX(withSecret(secret), point)
    },
    ephemeral(point) {
      checkForm(undefined, point)
      const ecdh = crypto.createECDH(curve)
      ecdh.generateKeys()
      return {
        publicKey: new Uint8Array(ecdh.getPublicKey(null, 'compressed')),
        sharedX: computeX(ecdh, point),
      }
    },
    isPoint(point) {
      try {
        checkForm(undefined, point)
        crypto.ECDH.convertKey(point, curve, undefined, undefined, 'compressed')
        return true
      } catch {
        return false
      }
    },
    hkdfSha256: (ikm, salt, info, length) =>
      new Uint8Array(crypto.hkdfSync('sha256', ikm, salt, info, length)),
    gcmSeal(key, nonce, plaintext) {
      const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce)
      return new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]))
    },
    gcmOpen(key, nonce, sealed) {
      if (sealed.length < TAG_BYTES) throw new ClientError('UNSEAL_FAILED', 'shorter than its tag')
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES })
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES))
      return new Uint8Array(
        Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES)), decipher.final()]),
      )
    },
  }
}

/** What libsecp256k1Sealing needs of the `secp256k1` package's addon API (`secp256k1/bindings`). */
export interface EcdhBinding {
  publicKeyCreate(secret: Uint8Array, compressed: boolean): Uint8Array
  publicKeyVerify(point: Uint8Array): boolean
  ecdh(
    point: Uint8Array,
    secret: Uint8Array,
    options: { hashfn: (x: Uint8Array, y: Uint8Array) => Uint8Array; xbuf: Uint8Array; ybuf: Uint8Array },
    output: Uint8Array,
  ): Uint8Array
}

/**
 * The curve arithmetic on libsecp256k1 (~0.2 ms a seal against ~4 ms in OpenSSL's generic curve
 * code under this machine's load), HKDF and AES-GCM on node:crypto. Daemon-side only: node/
 * installs it where the addon loads (node/native-sealing.ts).
 */
export function libsecp256k1Sealing(binding: EcdhBinding, crypto: NodeCrypto): SealingEngine {
  const sharedX = (secret: Uint8Array, point: Uint8Array): Uint8Array => {
    checkForm(secret, point)
    if (!binding.publicKeyVerify(point)) throw invalid('compressed public key')
    const x = new Uint8Array(32)
    // The hash step returns x itself: the scheme's shared secret is the bare x-coordinate.
    const options = { hashfn: (xb: Uint8Array) => xb, xbuf: x, ybuf: new Uint8Array(32) }
    return refusing('secret key', () => binding.ecdh(point, secret, options, new Uint8Array(32)))
  }
  const publicKeyOf = (secret: Uint8Array): Uint8Array => {
    checkForm(secret, undefined)
    return refusing('secret key', () => Uint8Array.from(binding.publicKeyCreate(secret, true)))
  }
  return {
    ...nodeSealing(crypto),
    name: 'libsecp256k1',
    publicKeyOf,
    sharedX,
    ephemeral(point) {
      checkForm(undefined, point)
      if (!binding.publicKeyVerify(point)) throw invalid('compressed public key')
      const secret = nobleSealingSecret()
      try {
        return { publicKey: publicKeyOf(secret), sharedX: sharedX(secret, point) }
      } finally {
        secret.fill(0)
      }
    },
    isPoint: (point) => {
      try {
        checkForm(undefined, point)
        return binding.publicKeyVerify(point)
      } catch {
        return false
      }
    },
  }
}

/** A uniform secret in [1, n): noble's rejection sampling over the platform's CSPRNG. */
const nobleSealingSecret = (): Uint8Array => secp256k1.utils.randomSecretKey()

/**
 * node:crypto when this runs in Node, found at run time rather than imported: the web app bundles
 * this file, and a static import of node:crypto would not resolve in the browser.
 */
function defaultEngine(): SealingEngine {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  const crypto = proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined
  return crypto?.createECDH ? nodeSealing(crypto) : nobleSealing
}

let current: SealingEngine = defaultEngine()

/** The engine seal, unseal and sealingPublicKeyOf use unless given one. */
export const sealingEngine = (): SealingEngine => current

/**
 * Makes this process seal with `engine` (a daemon-side faster one, checked to agree first by its
 * installer); the same bytes whatever the engine.
 */
export function useSealingEngine(engine: SealingEngine): void {
  current = engine
}
