import { secp256k1 } from '@noble/curves/secp256k1.js'
import { ClientError } from './errors.ts'

/**
 * The secp256k1 arithmetic of result sealing, in one of two engines that give the same bytes:
 * OpenSSL through node:crypto where the SDK runs in Node (a seal costs two scalar multiplications,
 * ~12 ms in JS, well under one in OpenSSL: the vault agent seals every release), and @noble/curves
 * in the browser, where node:crypto does not exist. Points are compressed (33 bytes), secrets 32
 * bytes; anything else, or a point not on the curve, is SEALING_KEY_INVALID in both engines.
 */
export interface EcdhEngine {
  readonly name: 'node:crypto' | 'noble'
  /** the compressed public key of a 32-byte secret */
  publicKeyOf(secret: Uint8Array): Uint8Array
  /** the x-coordinate of secret·point */
  sharedX(secret: Uint8Array, point: Uint8Array): Uint8Array
  /** a fresh key pair's public key and its shared x with `point`; the secret never leaves the engine */
  ephemeral(point: Uint8Array): { readonly publicKey: Uint8Array; readonly sharedX: Uint8Array }
  /** whether `point` is a compressed point of the curve */
  isPoint(point: Uint8Array): boolean
}

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

export const nobleEcdh: EcdhEngine = {
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
      return { publicKey: secp256k1.getPublicKey(secret, true), sharedX: nobleEcdh.sharedX(secret, point) }
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
}

type NodeCrypto = typeof import('node:crypto')

export function nodeEcdh(crypto: NodeCrypto): EcdhEngine {
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
  }
}

/**
 * node:crypto when this runs in Node, found at run time rather than imported: the web app bundles
 * this file, and a static import of node:crypto would not resolve in the browser.
 */
function defaultEngine(): EcdhEngine {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  const crypto = proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined
  return crypto?.createECDH ? nodeEcdh(crypto) : nobleEcdh
}

export const ecdhEngine: EcdhEngine = defaultEngine()
