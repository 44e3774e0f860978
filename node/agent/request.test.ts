import { describe, expect, it } from 'vitest'
import {
  addressOfPrivateKey,
  type Eip712Domain,
  generatePrivateKey,
  type JobRequest,
  jobIdOf,
  signJobRequest,
} from '../../protocol/index.ts'
import { generateSealingKey, seal } from '../sdk/index.ts'
import { checkSignedRequest } from './request.ts'

const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'5f'.repeat(20)}` }
const buyerKey = generatePrivateKey()
const request: JobRequest = {
  version: 1,
  vaultId: `0x${'11'.repeat(32)}`,
  algorithm: { specHash: `0x${'22'.repeat(32)}` },
  buyer: addressOfPrivateKey(buyerKey),
  maxPrice: '1000',
  deadline: 600,
  nonce: `0x${'33'.repeat(32)}`,
  sealingPublicKey: generateSealingKey().publicKey,
}
const signed = signJobRequest(domain, buyerKey, request)
const jobId = jobIdOf(request)

const code = (f: () => void) => {
  try {
    f()
    return 'ok'
  } catch (e) {
    return (e as { code: string }).code
  }
}

describe("the agent seals only to the job's own signed request", () => {
  it('accepts the buyer-signed request of the job', () => {
    expect(code(() => checkSignedRequest(domain, jobId, signed))).toBe('ok')
  })

  it("refuses a node's copy with its own sealing key, under the real job id and signature", () => {
    const swapped = { ...signed, request: { ...request, sealingPublicKey: generateSealingKey().publicKey } }
    expect(code(() => checkSignedRequest(domain, jobId, swapped))).toBe('REQUEST_INVALID')
  })

  it('refuses a request re-signed by someone else under its own job id', () => {
    const other = generatePrivateKey()
    const forged = signJobRequest(domain, other, request)
    expect(code(() => checkSignedRequest(domain, jobId, forged))).toBe('REQUEST_INVALID')
  })
})

/** The first compressed key with an x that no point of secp256k1 has: the schema's pattern admits it. */
function offCurveSealingKey(): `0x${string}` {
  for (let x = 1n; ; x++) {
    const key = `0x02${x.toString(16).padStart(64, '0')}` as const
    try {
      seal(new Uint8Array(1), key)
    } catch {
      return key
    }
  }
}

describe('a sealing key that is no point', () => {
  // Attack: a buyer signs a request whose sealingPublicKey has the form of a compressed key but no
  // point behind it. Admission's schema takes it, the network evaluates, and the agent decrypts,
  // then fails to seal with an untyped error, which it takes for a passing failure: it retried the
  // job every poll, decrypting it again each time, for as long as it ran.
  it('refuses the request, finally, before anything is decrypted', () => {
    const bad = { ...request, sealingPublicKey: offCurveSealingKey() }
    const badSigned = signJobRequest(domain, buyerKey, bad)
    expect(code(() => checkSignedRequest(domain, jobIdOf(bad), badSigned))).toBe('REQUEST_INVALID')
  })
})
