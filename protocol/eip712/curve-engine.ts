import { secp256k1 } from '@noble/curves/secp256k1.js'

/**
 * The secp256k1 arithmetic a process signs and recovers with. protocol/ runs in browsers too, so
 * its default is pure JS (@noble); a daemon may install a native one (node/native-secp256k1.ts),
 * since a validator recovers a signer for every request, vote and attestation it hears and a JS
 * recovery is ~25x a native one. An engine only computes: every rule about which signatures are
 * acceptable (v, low s, lengths) is checked in ecdsa.ts before an engine sees the input, so the
 * engines cannot differ on what is accepted, only on speed.
 */
export interface CurveEngine {
  readonly name: string
  /**
   * The public key that made a 64-byte compact r || s (both already checked in 1..n-1) with
   * recovery id 0 or 1 over a 32-byte digest: 65 bytes uncompressed or 33 compressed. Throws when
   * no point recovers (r is not the x of a curve point).
   */
  recover(compact: Uint8Array, recoveryId: number, digest: Uint8Array, compressed: boolean): Uint8Array
  /** RFC 6979 deterministic, low-s: 64-byte r || s and the recovery id. */
  sign(digest: Uint8Array, privateKey: Uint8Array): { compact: Uint8Array; recoveryId: number }
}

export const nobleEngine: CurveEngine = {
  name: 'noble',
  recover: (compact, recoveryId, digest, compressed) =>
    secp256k1.Signature.fromBytes(compact, 'compact')
      .addRecoveryBit(recoveryId)
      .recoverPublicKey(digest)
      .toBytes(compressed),
  sign(digest, privateKey) {
    const recovered = secp256k1.sign(digest, privateKey, { prehash: false, format: 'recovered' })
    // noble puts the recovery id first.
    return { compact: recovered.subarray(1), recoveryId: recovered[0]! }
  },
}

let current: CurveEngine = nobleEngine

export const curveEngine = (): CurveEngine => current

/** Makes every later signature and recovery in this process use `engine`. */
export function useCurveEngine(engine: CurveEngine): void {
  current = engine
}
