import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Hex32 } from '../../protocol/index.ts'
import {
  type DevChain,
  startDevChain,
  startTestNetwork,
  type TestNetwork,
} from '../../protocol/testing/index.ts'
import type { Settlement } from '../storage/index.ts'
import { type ChainClient, createChainClient } from './chain-client.ts'
import { createSettler } from './settler.ts'
import { decidedBlock } from './testing/decided.ts'
import { openEscrow, randomHash, releaseOf, until } from './testing/escrow.ts'

const PRICE = 10n ** 16n

let chain: DevChain
let net: TestNetwork
const clients: ChainClient[] = []

beforeAll(async () => {
  chain = await startDevChain()
  net = await startTestNetwork(chain, { validators: 4 })
})
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop()))
  await chain?.stop()
})

async function clientFor(i: number): Promise<ChainClient> {
  const client = createChainClient({
    rpcUrl: chain.rpcUrl,
    addresses: net.addresses,
    privateKey: net.validatorKeys[i]!,
    pollMs: 20,
  })
  clients.push(client)
  await client.start()
  return client
}

describe('settler', () => {
  it('pays a release and refunds a failure once; a validator taking over records, not repeats, them', async () => {
    const released = (await openEscrow(chain, net, PRICE)).jobId
    const failed = (await openEscrow(chain, net, PRICE)).jobId
    const unpaid = randomHash()
    const release = releaseOf(net, released, 700_000)
    const decided = decidedBlock(net, 3, {
      released: [release],
      failed: [failed, unpaid],
      signers: [0, 1, 2],
    })
    const block = { released: [release], failed: [failed, unpaid], certified: [] }
    const anchoring = await clientFor(0)
    await anchoring.anchorBlock(decided)

    const settled = [new Map<Hex32, Settlement>(), new Map<Hex32, Settlement>()]
    const settlers = await Promise.all(
      [0, 1].map(async (i) =>
        createSettler({
          chain: i === 0 ? anchoring : await clientFor(1),
          takeoverDelayMs: 300,
          onSettled: (jobId, s) => settled[i]!.set(jobId, s),
        }),
      ),
    )
    settlers[0]!.submit({ ...decided, block, byUs: true })
    settlers[1]!.submit({ ...decided, block, byUs: false })
    await until(() => (settled[1]!.size === 2 ? true : undefined))
    await Promise.all(settlers.map((s) => s.stop()))

    const each = (PRICE * 2000n) / 10_000n / 3n
    const paid = settled[0]!.get(released)!
    expect(paid).toMatchObject({
      status: 'paid',
      byUs: true,
      height: 3,
      owner: { address: chain.wallet(1).address.toLowerCase(), amount: String(PRICE - 3n * each) },
    })
    expect(paid.validators).toEqual(
      decided.certificate.precommits.map((p) => ({ address: p.validator, amount: String(each) })),
    )
    expect(settled[0]!.get(failed)).toMatchObject({
      status: 'refunded',
      byUs: true,
      buyer: { address: chain.wallet(2).address.toLowerCase(), amount: String(PRICE) },
    })
    // The validator in line after it found both closed: same transactions, not its own.
    expect(settled[1]!.get(released)).toEqual({ ...paid, byUs: false })
    expect(settled[1]!.get(failed)).toEqual({ ...settled[0]!.get(failed)!, byUs: false })
    // A job nobody escrowed has nothing to settle.
    expect(settled[0]!.has(unpaid)).toBe(false)
    const market = net.connect(chain.wallet(0)).market
    expect((await market.job(released)).status).toBe('paid')
    expect((await market.job(failed)).status).toBe('refunded')
  })
})
