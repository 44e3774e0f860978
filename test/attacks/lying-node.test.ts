import { randomBytes } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  Client,
  encodePayload,
  generateSealingKey,
  type JobRecord,
  type ResultPayload,
  seal,
} from '../../node/sdk/index.ts'
import { precommitsFor } from '../../node/sdk/testing/precommits.ts'
import {
  addressOfPrivateKey,
  type Block,
  blockHash,
  type DevChain,
  generatePrivateKey,
  type Hex32,
  type JobRequest,
  jobIdOf,
  QUALITY_SCALE,
  type SealedResult,
  sealedHashOf,
  signJobRequest,
  signRelease,
  signResultAttestation,
  specHash,
  startDevChain,
  startTestNetwork,
  type TestNetwork,
  ZERO_HASH,
} from '../../protocol/index.ts'

/**
 * A seller and one node collude against a buyer: the seller signs a release
 * of a result the network never computed, and the node says the network
 * certified it, serving a block "certified" by keys of its own. The chain
 * (real) knows who the validators are; the buyer's SDK must ask it.
 */
let chain: DevChain
let network: TestNetwork
let liar: Server
let url: string
const routes = new Map<string, unknown>()

beforeAll(async () => {
  chain = await startDevChain()
  network = await startTestNetwork(chain, { validators: 4 })
  liar = createServer((request, response) => {
    const body = routes.get(request.url ?? '')
    response.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' })
    response.end(JSON.stringify(body ?? { error: { code: 'NOT_FOUND', message: 'no' } }))
  })
  await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(liar.address() as AddressInfo).port}`
}, 120_000)
afterAll(async () => {
  await new Promise((resolve) => liar?.close(resolve))
  await chain?.stop()
})

describe('a buyer against a lying node', () => {
  it('does not believe a result certificate the chain’s validators did not sign', async () => {
    const { domain, addresses } = network
    const seller = chain.wallet(1)
    const sellerKey = seller.privateKey as Hex32
    const vaultId = `0x${randomBytes(32).toString('hex')}` as Hex32
    await network.connect(seller).vaults.register(vaultId, {
      manifestHash: `0x${'01'.repeat(32)}`,
      policyHash: `0x${'02'.repeat(32)}`,
      price: 1n,
    })
    const buyerKey = chain.wallet(2).privateKey as Hex32
    const sealing = generateSealingKey()
    const spec = { version: 1, outputs: { n: { op: 'count' } } }
    const request: JobRequest = {
      version: 1,
      vaultId,
      algorithm: { specHash: specHash(spec), spec: spec as never },
      buyer: addressOfPrivateKey(buyerKey),
      maxPrice: '1',
      deadline: 1000,
      nonce: `0x${randomBytes(32).toString('hex')}`,
      sealingPublicKey: sealing.publicKey,
    }
    const signed = signJobRequest(domain, buyerKey, request)
    const jobId = jobIdOf(request)

    // What the network never computed: a made-up count, under a made-up result hash.
    const resultHash = `0x${randomBytes(32).toString('hex')}` as Hex32
    const execEnvHash = `0x${'cc'.repeat(32)}` as Hex32
    const HEIGHT = 7
    const payload: ResultPayload = {
      version: 1,
      jobId,
      vaultId,
      resultHash,
      certifiedHeight: HEIGHT,
      outputs: { n: { op: 'count', value: 123_456, n: 123_456 } },
      quality: {
        score: 1,
        components: { sampleSize: 1, completeness: 1, plausibility: 1, fitness: 1 },
        details: [],
      },
    }
    const sealedPayload = seal(encodePayload(payload), sealing.publicKey)
    const one = QUALITY_SCALE
    const release = signRelease(domain, sellerKey, {
      jobId,
      resultHash,
      qualityScore: one,
      components: { sampleSize: one, completeness: one, plausibility: one, fitness: one },
      sealedHash: sealedHashOf(sealedPayload),
    })
    const sealed: SealedResult = { version: 1, release, sealed: sealedPayload }

    // The liar's own "validators" certify it.
    const puppets = Array.from({ length: 3 }, generatePrivateKey)
    const block: Block = {
      version: 1,
      height: HEIGHT,
      epoch: network.epoch,
      parentHash: ZERO_HASH,
      proposer: addressOfPrivateKey(puppets[0]!),
      chainBlock: 0,
      admitted: [],
      certified: [
        {
          jobId,
          resultHash,
          execEnvHash,
          attestations: puppets.map((k) => {
            const { validator, signature } = signResultAttestation(domain, k, {
              jobId,
              resultHash,
              execEnvHash,
            })
            return { validator, signature }
          }),
        },
      ],
      released: [],
      failed: [],
    }
    const hash = blockHash(block)
    const precommits = precommitsFor(puppets, { domain, epoch: network.epoch, height: HEIGHT, hash })
    const now = new Date().toISOString()
    const record: JobRecord = {
      jobId,
      request: signed,
      stage: 'released',
      stages: { pending: now, admitted: now, certified: now, released: now },
      resultHash,
      admittedHeight: HEIGHT - 1,
      certifiedHeight: HEIGHT,
      releasedHeight: HEIGHT + 1,
      qualityScore: one,
    }
    routes.set('/v1/status', {
      version: '0.1.0',
      address: addressOfPrivateKey(puppets[0]!),
      peerId: 'liar',
      peers: [],
      gossip: {},
      height: HEIGHT + 2,
      round: 0,
      epoch: network.epoch,
      validators: [],
      chain: { chainId: Number(chain.chainId), rpcUrl: chain.rpcUrl, addresses },
    })
    routes.set(`/v1/jobs/${jobId}`, record)
    routes.set(`/v1/jobs/${jobId}/sealed`, sealed)
    routes.set(`/v1/blocks/${HEIGHT}`, {
      blockHash: hash,
      block,
      certificate: {
        version: 1,
        epoch: network.epoch,
        height: HEIGHT,
        round: 0,
        blockHash: hash,
        precommits,
      },
    })

    const client = new Client({ url, key: buyerKey })
    try {
      const outcome = await client.result(jobId, sealing.privateKey).then(
        (r) => ({ believed: r.outputs }),
        (e: unknown) => ({ refused: (e as { code?: string }).code }),
      )
      expect(outcome).toEqual({ refused: 'CERTIFICATE_INVALID' })

      // The same, "certified" in an epoch the chain has not started: no validator set to believe.
      const future = { ...block, epoch: network.epoch + 99 }
      const futureHash = blockHash(future)
      routes.set(`/v1/blocks/${HEIGHT}`, {
        blockHash: futureHash,
        block: future,
        certificate: {
          version: 1,
          epoch: future.epoch,
          height: HEIGHT,
          round: 0,
          blockHash: futureHash,
          precommits: precommitsFor(puppets, {
            domain,
            epoch: future.epoch,
            height: HEIGHT,
            hash: futureHash,
          }),
        },
      })
      await expect(client.result(jobId, sealing.privateKey)).rejects.toMatchObject({
        code: 'CERTIFICATE_INVALID',
        message: expect.stringMatching(/no validator set for epoch/),
      })
    } finally {
      await client.close()
    }
  })
})
