import { randomBytes } from 'node:crypto'
import { Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  blobIdOf,
  type Hex32,
  type JobRequest,
  jobIdOf,
  signJobRequest,
  signRequest,
  specHash,
} from '../../protocol/index.ts'
import { type SingleNode, startSingleNode } from '../support/single-node.ts'

/**
 * Abuse of a node's public API by clients with nothing at stake: fresh
 * keys, forged headers, junk requests. Each test is the attack; its
 * assertions are what the node must hold against it.
 */
const RATE_LIMIT = 60

let one: SingleNode

beforeAll(async () => {
  one = await startSingleNode({ api: { rateLimitPerMinute: RATE_LIMIT } })
}, 120_000)
afterAll(async () => {
  await one?.stop()
})

const freshKey = (): Hex32 => Wallet.createRandom().privateKey as Hex32

describe('API abuse', () => {
  it('a fresh key that owns no vault cannot upload blobs', async () => {
    const bytes = new Uint8Array(randomBytes(1 << 20))
    const id = blobIdOf(bytes)
    const path = `/v1/blobs/${id}`
    const response = await fetch(`${one.url}${path}`, {
      method: 'PUT',
      headers: {
        'content-type': 'application/octet-stream',
        ...signRequest(freshKey(), 'PUT', path, bytes),
      },
      body: bytes,
    })
    const body = (await response.json()) as { error?: { code: string } }
    expect({ status: response.status, code: body.error?.code }).toEqual({
      status: 403,
      code: 'NOT_A_VAULT_OWNER',
    })
    expect(await one.store.blobs.has(id)).toBe(false)
  })

  it('refused job requests are answered and not stored', async () => {
    const before = (await one.store.listJobs()).length
    const buyerKey = freshKey()
    const buyer = new Wallet(buyerKey).address.toLowerCase() as Hex32
    let refused = 0
    let stored = 0
    for (let i = 0; i < 50; i++) {
      const spec = { version: 1, outputs: { n: { op: 'count' } } }
      const request: JobRequest = {
        version: 1,
        vaultId: `0x${randomBytes(32).toString('hex')}`,
        algorithm: { specHash: specHash(spec), spec: spec as never },
        buyer,
        maxPrice: '1',
        deadline: 1_000_000,
        nonce: `0x${randomBytes(32).toString('hex')}`,
        sealingPublicKey: `0x02${randomBytes(32).toString('hex')}`,
      }
      const signed = signJobRequest(one.network.domain, buyerKey, request)
      const path = '/v1/jobs'
      const body = new TextEncoder().encode(JSON.stringify(signed))
      const response = await fetch(`${one.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...signRequest(buyerKey, 'POST', path, body) },
        body,
      })
      const answer = (await response.json()) as { error?: { code: string } }
      if (response.status === 422 && answer.error?.code === 'VAULT_UNKNOWN') refused++
      expect(response.status, JSON.stringify(answer)).not.toBe(429)
      if (await one.node.job(jobIdOf(request))) stored++
    }
    expect({ refused, stored }).toEqual({ refused: 50, stored: 0 })
    expect((await one.store.listJobs()).length - before).toBe(0)
  })
  it('a client rotating x-tcf-address does not escape the rate limit', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 3 * RATE_LIMIT; i++) {
      const response = await fetch(`${one.url}/v1/vaults`, {
        headers: { 'x-tcf-address': Wallet.createRandom().address.toLowerCase() },
      })
      await response.arrayBuffer()
      statuses.push(response.status)
    }
    // One IP, no verified signer: one bucket of RATE_LIMIT requests (the tests above used some).
    const served = statuses.filter((s) => s !== 429).length
    expect(served).toBeLessThanOrEqual(RATE_LIMIT)
  })

  it('a verified signer the node knows keeps a bucket of its own when its IP is exhausted', async () => {
    const validatorKey = one.network.validatorKeys[0]!
    const unsigned = await fetch(`${one.url}/v1/vaults`)
    await unsigned.arrayBuffer()
    expect(unsigned.status).toBe(429)
    const signed = await fetch(`${one.url}/v1/vaults`, {
      headers: signRequest(validatorKey, 'GET', '/v1/vaults', new Uint8Array()),
    })
    await signed.arrayBuffer()
    expect(signed.status).toBe(200)
    // A fresh key's valid signature buys nothing: keys cost nothing to make.
    const stranger = await fetch(`${one.url}/v1/vaults`, {
      headers: signRequest(freshKey(), 'GET', '/v1/vaults', new Uint8Array()),
    })
    await stranger.arrayBuffer()
    expect(stranger.status).toBe(429)
  })
})
