import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ApiServer, type NodeService } from '../node/api/index.ts'
import { jobPayouts, type PoolJobSnapshot } from '../node/jobs/payouts.ts'
import { createLogger } from '../node/log.ts'
import { Client, ClientError } from '../node/sdk/index.ts'
import {
  type Address,
  DEV_PRIVATE_KEYS,
  type Hex32,
  poolPayouts,
  poolResultHash,
  toHex,
  writeKeystoreFile,
} from '../protocol/index.ts'
import { anchorRelease } from '../protocol/testing/anchoredRelease.ts'
import { type SingleNode, startSingleNode } from './support/single-node.ts'

/**
 * A contributor is paid through the whole client path: a real node's API serves a pool job's
 * payouts (the route, the server's contract check, jobPayouts), the SDK checks them against the
 * settled result hash on a real anvil dev chain and claims, and the `tcf pool` commands do the same
 * as a user runs them. The node's pool log is not part of this branch: the job's snapshot counts
 * reach the API through the one dependency the node provides, `payoutsOf`.
 */
const run = promisify(execFile)
const repo = new URL('..', import.meta.url).pathname
const PRICE = 10n ** 17n
const randomHash = (): Hex32 => toHex(randomBytes(32))

let one: SingleNode
let dir: string
const servers: ApiServer[] = []
const clients: Client[] = []

beforeAll(async () => {
  one = await startSingleNode()
  dir = await mkdtemp(join(tmpdir(), 'tcf-pool-'))
}, 120_000)
afterAll(async () => {
  for (const c of clients) await c.close()
  for (const s of servers) await s.stop()
  await one?.stop()
  await rm(dir, { recursive: true, force: true })
})

/** The node's API with `payoutsOf` fed from `snapshots`, as the pool log will feed it. */
async function serveWithPayouts(snapshots: Map<Hex32, PoolJobSnapshot>): Promise<string> {
  const node = one.node.service
  const service = new Proxy(node, {
    get(target, key) {
      if (key === 'payouts') {
        return async (jobId: Hex32) => {
          const snapshot = snapshots.get(jobId)
          return snapshot === undefined ? undefined : jobPayouts(jobId, snapshot)
        }
      }
      const value = Reflect.get(target, key, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  }) as NodeService
  const logger = createLogger({ level: 'silent' })
  const server = new ApiServer({ host: '127.0.0.1', port: 0, service, logger, checkResponses: true })
  servers.push(server)
  await server.start()
  return server.url
}

const client = (url: string, key?: Hex32) => {
  const c = new Client({ url, ...(key === undefined ? {} : { key }) })
  clients.push(c)
  return c
}

let height = 0

/** A pool the curator (dev account 1) registers and marks, a job on it escrowed by account 2. */
async function openPoolJob(url: string): Promise<{ vaultId: Hex32; jobId: Hex32 }> {
  const vaultId = randomHash()
  const curator = client(url, DEV_PRIVATE_KEYS[1])
  const chain = await curator.chain()
  await chain.vaults.register(vaultId, { manifestHash: vaultId, policyHash: randomHash(), price: PRICE })
  expect(await curator.markPool(vaultId)).toMatch(/^0x[0-9a-f]{64}$/)
  // The curator's call is idempotent: a retried `tcf pool create` sends nothing.
  expect(await curator.markPool(vaultId)).toBeUndefined()
  const jobId = randomHash()
  const buyer = await client(url, DEV_PRIVATE_KEYS[2]).chain()
  const now = BigInt((await one.chain.provider.getBlock('latest'))!.timestamp)
  await buyer.market.openJob(jobId, vaultId, now + 7200n, PRICE)
  return { vaultId, jobId }
}

/** Anchors a block releasing `jobId` with `resultHash`, certified by the single validator, and settles it. */
async function settle(jobId: Hex32, resultHash: Hex32): Promise<void> {
  const r = { jobId, resultHash, qualityScore: 900_000, height: 1000 + ++height }
  const proof = await anchorRelease(one.chain, one.network, r)
  await one.network.connect(one.chain.wallet(0)).market.settle(jobId, resultHash, r.qualityScore, proof)
}

describe('contributor payouts through the node API, the SDK and the CLI', () => {
  it('serves a pool job’s payouts, and the contributors claim exactly their share', async () => {
    const snapshots = new Map<Hex32, PoolJobSnapshot>()
    const url = await serveWithPayouts(snapshots)
    const { vaultId, jobId } = await openPoolJob(url)
    const [alice, bob] = [DEV_PRIVATE_KEYS[3], DEV_PRIVATE_KEYS[4]]
    const aliceAddress = (await client(url, alice).chain()).wallet!.address.toLowerCase() as Address
    const bobAddress = (await client(url, bob).chain()).wallet!.address.toLowerCase() as Address
    const carol = toHex(randomBytes(20)) as Address
    const counts = new Map<Address, number>([
      [aliceAddress, 3],
      [bobAddress, 1],
      [carol, 4],
    ])
    const bundleHash = randomHash()
    snapshots.set(jobId, { bundleHash, counts })
    await settle(jobId, poolResultHash(bundleHash, poolPayouts(counts)))

    // The route, checked against the contract's schema by the server and the SDK.
    const served = await client(url).payouts(jobId)
    expect(served).toMatchObject({ jobId, bundleHash, total: 8 })
    expect(served?.leaves.map((l) => [l.contributor, l.contributions])).toEqual(
      [...counts].sort(([a], [b]) => (a < b ? -1 : 1)),
    )
    const held = (await (await client(url).chain()).market.poolHold(jobId))!.amount

    const before = await client(url, bob).poolEarnings()
    expect(before.jobs).toEqual([
      { jobId, vaultId, contributions: 1, total: 8, amount: held / 8n, claimed: false },
    ])
    expect(before.claimable).toBe(held / 8n)

    const claimed = await client(url, alice).claimPayout(jobId)
    expect(claimed).toMatchObject({ jobId, contributor: aliceAddress, contributions: 3, total: 8 })
    expect(claimed.amount).toBe((held * 3n) / 8n)
    expect(claimed.txHash).toMatch(/^0x/)
    // Again: nothing sent, the same amount reported.
    expect(await client(url, alice).claimPayout(jobId)).toEqual({ ...claimed, txHash: undefined })
    // Alice relays Carol's claim (Carol has no ETH for gas): Carol is credited, not Alice.
    const relayed = await client(url, alice).claimPayout(jobId, carol)
    expect(relayed.contributor).toBe(carol)
    const market = (await client(url).chain()).market
    expect(await market.balance(carol)).toBe(relayed.amount)

    // Bob claims and withdraws through the CLI, as a user runs it.
    await writeFile(join(dir, 'pass'), 'correct horse battery\n')
    await writeKeystoreFile(join(dir, 'bob.json'), bob, 'correct horse battery', { scryptN: 1024 })
    const tcf = (...args: string[]) =>
      run(process.execPath, [join(repo, 'bin/tcf.ts'), ...args], { cwd: repo })
    const pass = ['--passphrase-file', join(dir, 'pass'), '--node', url]
    const earnings = await tcf('pool', 'earnings', '--key', join(dir, 'bob.json'), ...pass)
    expect(earnings.stdout).toMatch(/1 of 8/)
    const cli = await tcf(
      'pool',
      'claim',
      '--job',
      jobId,
      '--key',
      join(dir, 'bob.json'),
      '--withdraw',
      '--json',
      ...pass,
    )
    const out = JSON.parse(cli.stdout) as { amount: string; withdrawn: string; contributor: string }
    expect(out.contributor).toBe(bobAddress)
    expect(BigInt(out.amount)).toBeGreaterThanOrEqual(held / 8n)
    expect(out.withdrawn).toBe(out.amount)
    // Everyone claimed: the held share is paid out to the wei.
    const paid = claimed.amount + relayed.amount + BigInt(out.amount)
    expect(paid).toBe(held)
    const after = await client(url).poolEarnings(bobAddress, { vaultId })
    expect(after).toMatchObject({ claimable: 0n, withdrawable: 0n })
    expect(after.jobs[0]?.claimed).toBe(true)
  }, 120_000)

  it('checks what the node serves against the chain: a lying node makes a claim fail, never misdirects it', async () => {
    const snapshots = new Map<Hex32, PoolJobSnapshot>()
    const url = await serveWithPayouts(snapshots)
    const { jobId } = await openPoolJob(url)
    const alice = DEV_PRIVATE_KEYS[3]
    const aliceAddress = (await client(url, alice).chain()).wallet!.address.toLowerCase() as Address
    const counts = new Map<Address, number>([
      [aliceAddress, 1],
      [toHex(randomBytes(20)) as Address, 1],
    ])
    const bundleHash = randomHash()

    // Not settled yet: nothing to claim, and the chain says why.
    snapshots.set(jobId, { bundleHash, counts })
    await expect(client(url, alice).claimPayout(jobId)).rejects.toMatchObject({
      code: 'NOT_CLAIMABLE',
      message: expect.stringMatching(/not settled/),
    })
    await settle(jobId, poolResultHash(bundleHash, poolPayouts(counts)))

    // The node inflates Alice's count: its tree is not the one the settled result hash binds.
    snapshots.set(jobId, { bundleHash, counts: new Map([...counts, [aliceAddress, 5]]) })
    const lie = await client(url, alice)
      .claimPayout(jobId)
      .catch((e: unknown) => e)
    expect(lie).toBeInstanceOf(ClientError)
    expect(lie).toMatchObject({ code: 'BAD_RESPONSE' })
    const market = (await client(url).chain()).market
    expect(await market.payoutClaimed(jobId, aliceAddress)).toBe(false)

    // A node that serves no payouts (the real node, without a pool log here): 404 NO_PAYOUTS.
    const raw = await fetch(`${one.url}/v1/jobs/${jobId}/payouts`)
    expect(raw.status).toBe(404)
    expect(((await raw.json()) as { error: { code: string } }).error.code).toBe('NO_PAYOUTS')
    await expect(client(one.url, alice).claimPayout(jobId)).rejects.toMatchObject({
      code: 'PAYOUTS_UNAVAILABLE',
    })

    // The honest answer: a stranger's key is not a contributor; Alice is paid.
    snapshots.set(jobId, { bundleHash, counts })
    await expect(client(url, DEV_PRIVATE_KEYS[2]).claimPayout(jobId)).rejects.toMatchObject({
      code: 'NOT_A_CONTRIBUTOR',
    })
    expect((await client(url, alice).claimPayout(jobId)).amount).toBeGreaterThan(0n)
  }, 120_000)
})
