import { createHash } from 'node:crypto'
import { hashMessage, SigningKey } from 'ethers'
import { addressOfPrivateKey, recoverAddress } from '../eip712/ecdsa.ts'
import type { Address, Hex32 } from '../hex.ts'

/**
 * Writes to the API that carry no signature of their own (blob uploads,
 * vault publication) are signed by the caller's secp256k1 key, EIP-191
 * `personal_sign` over:
 *
 *   tcf-api-v1\n<METHOD>\n<path>\n<timestamp ms>\n<sha256 hex of the body>
 *
 * sent as the headers below. The timestamp bounds replays to a short window.
 */
export const SIGNATURE_HEADERS = {
  address: 'x-tcf-address',
  timestamp: 'x-tcf-timestamp',
  signature: 'x-tcf-signature',
} as const

export const MAX_CLOCK_SKEW_MS = 5 * 60_000

export function requestDigestMessage(
  method: string,
  path: string,
  timestamp: number,
  body: Uint8Array,
): string {
  const bodyHash = createHash('sha256').update(body).digest('hex')
  return `tcf-api-v1\n${method.toUpperCase()}\n${path}\n${timestamp}\n${bodyHash}`
}

export function signRequest(
  privateKey: Hex32,
  method: string,
  path: string,
  body: Uint8Array,
  timestamp = Date.now(),
): Record<string, string> {
  const digest = hashMessage(requestDigestMessage(method, path, timestamp, body))
  const signature = new SigningKey(privateKey).sign(digest).serialized
  return {
    [SIGNATURE_HEADERS.address]: addressOfPrivateKey(privateKey),
    [SIGNATURE_HEADERS.timestamp]: String(timestamp),
    [SIGNATURE_HEADERS.signature]: signature,
  }
}

export type SignatureCheck =
  | { readonly ok: true; readonly address: Address }
  | {
      readonly ok: false
      readonly code: 'UNSIGNED' | 'BAD_SIGNATURE' | 'STALE_SIGNATURE'
      readonly message: string
    }

export function verifyRequest(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  method: string,
  path: string,
  body: Uint8Array,
  now = Date.now(),
): SignatureCheck {
  const get = (name: string) => {
    const v = headers[name]
    return Array.isArray(v) ? v[0] : v
  }
  const address = get(SIGNATURE_HEADERS.address)?.toLowerCase()
  const timestamp = Number(get(SIGNATURE_HEADERS.timestamp))
  const signature = get(SIGNATURE_HEADERS.signature)
  if (!address || !signature || !Number.isSafeInteger(timestamp)) {
    return {
      ok: false,
      code: 'UNSIGNED',
      message: `sign the request: ${Object.values(SIGNATURE_HEADERS).join(', ')}`,
    }
  }
  if (Math.abs(now - timestamp) > MAX_CLOCK_SKEW_MS) {
    return {
      ok: false,
      code: 'STALE_SIGNATURE',
      message: 'the signature timestamp is more than 5 minutes off',
    }
  }
  const signer = recoverAddress(
    hashMessage(requestDigestMessage(method, path, timestamp, body)) as Hex32,
    signature as Hex32,
  )
  if (signer?.toLowerCase() !== address) {
    return { ok: false, code: 'BAD_SIGNATURE', message: `the signature is not by ${address}` }
  }
  return { ok: true, address: address as Address }
}
