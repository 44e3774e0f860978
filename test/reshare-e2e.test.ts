import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Wallet } from 'ethers'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Cluster, ClusterNode } from '../devnet/cluster.ts'
import { waitFor } from '../devnet/testing/actors.ts'
import { HOME_FILES } from '../node/home.ts'
import { Client, thresholdResult } from '../node/sdk/index.ts'
import { createNodeStore } from '../node/storage/index.ts'
import { createKeyring } from '../node/threshold/index.ts'
import { type CommitteeInfo, DEV_PRIVATE_KEYS, type Hex32 } from '../protocol/index.ts'
import { parseSpec, RELEASE_ERROR_FACTOR, VaultSchemaSchema } from '../sandbox/index.ts'
import { plaintextOutputs, readCsvRows } from '../sandbox/reference/plaintext.ts'
import {
  createCommitteeVault,
  DEMO_DATA,
  startSeededCluster,
  writeHeartCsv,
} from './support/committee-vault.ts'
import type { SeededCommittee } from './support/seed-committee.ts'

/**
 * The committee changes under a committee vault: five validator daemons hold epoch 1's key
 * (seeded as test/support/seed-committee.ts does: real maths, the DKG's transport left out), a
 * vault is encrypted under it, validator 5 unbonds and epoch 2 starts with four. The daemons
 * reshare the key from the five old members to the four new ones over gossip (with the known-answer
 * check), register the same keyHash for epoch 2 and hand over; then a job on the OLD vault is
 * released by the NEW committee, and the buyer's result matches the plaintext. The removed
 * validator's share is gone and it releases nothing.
 * Run under the machine-wide lock: flock /tmp/tcf-e2e.lock npx vitest run test/reshare-e2e.test.ts
 */
const RECORDS = 300
const ENV = { TCF_SCRYPT_N: '1024', TCF_LOG_LEVEL: 'info' }
const SPEC = {
  version: 1,
  outputs: {
    records: { op: 'count' },
    mean_hr: { op: 'mean', of: 'resting_hr' },
  },
  expect: { minRecords: 100, ranges: { mean_hr: [55, 95] } },
}

describe('resharing at an epoch change on 5 daemons: an old committee vault decrypts under the new set', () => {
  let dir: string
  let cluster: Cluster
  let seeded: SeededCommittee
  let vaultId: Hex32
  let leaving: ClusterNode
  const files = (name: string) => join(dir, name)

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcf-reshare-'))
    ;({ cluster, seeded } = await startSeededCluster(join(dir, 'cluster'), 5, {
      // the reshare runs in the DKG service, which the suite turns off by default (vitest.config.ts)
      TCF_DKG: 'true',
    }))
    leaving = cluster.nodes[4]!
    await writeHeartCsv(files('data.csv'), RECORDS)
  }, 300_000)

  afterAll(async () => {
    await cluster?.stop()
    if (dir && !process.env.TCF_KEEP_TEST_DIR) await rm(dir, { recursive: true, force: true })
  })

  it('a committee vault under epoch 1 key', async () => {
    const created = await createCommitteeVault(
      cluster.nodes[0]!.apiUrl,
      files('data.csv'),
      files('vault'),
      ENV,
    )
    const owner = new Client({ url: cluster.nodes[1]!.apiUrl, key: DEV_PRIVATE_KEYS[1] })
    try {
      vaultId = (await owner.publishVault(files('vault'))).vaultId as Hex32
      expect(vaultId).toBe(created.manifest.vaultId)
    } finally {
      await owner.close()
    }
  }, 300_000)

  it('validator 5 leaves at the epoch boundary; the five old members reshare to the four new ones, the same keyHash is registered for epoch 2, and every node hands over', async () => {
    const wallet = new Wallet(cluster.network.validatorKeys[4]!, cluster.chain.provider)
    await cluster.network.connect(wallet).validators.beginUnbonding()
    const started = performance.now()
    await cluster.network.connect(wallet).validators.advanceEpoch()
    const info = await waitFor(
      'the reshared key registered for epoch 2',
      async () => {
        const got = await cluster.nodes[0]!.api<CommitteeInfo>('/v1/committee/2')
        return got.status === 200 && got.body.registered ? got.body : undefined
      },
      240_000,
    )
    console.log(
      `reshare, epoch started to key registered for epoch 2: ${((performance.now() - started) / 1000).toFixed(1)} s`,
    )
    expect(info.keyHash).toBe(seeded.keyHash)
    expect(info.members).toHaveLength(4)
    expect(info.members).not.toContain(leaving.address.toLowerCase())
    for (const node of cluster.nodes) {
      const line = await waitFor(
        `node ${node.index} handing over`,
        async () => (await node.log()).split('\n').find((l) => l.includes('"msg":"reshare handed over"')),
        120_000,
      )
      console.log(`node ${node.index}: ${line}`)
    }
  }, 420_000)

  it('a job on the old vault is released by the new committee; the result matches the plaintext, and the removed validator releases nothing', async () => {
    const buyer = new Client({ url: cluster.nodes[2]!.apiUrl, key: DEV_PRIVATE_KEYS[2] })
    try {
      const submitted = await buyer.submitJob({ vaultId, spec: SPEC, deadlineHeights: 400 })
      const released = await buyer.waitForJob(submitted.jobId, ['released'], { timeoutMs: 300_000 })
      expect(released.qualityScore).toBeGreaterThan(0)
      // The output shares follow the releasing block (the two-phase release): wait for them.
      const result = await thresholdResult(buyer, submitted.jobId, submitted.sealingKey.privateKey, {
        waitMs: 120_000,
      })
      console.log('buyer combined new members', result.participants, JSON.stringify(result.outputs))
      expect(result.participants).toHaveLength(3)
      const { releases } = (
        await cluster.nodes[0]!.api<{ releases: { share: { validator: string } }[] }>(
          `/v1/jobs/${submitted.jobId}/threshold-releases`,
        )
      ).body
      const signers = releases.map((r) => r.share.validator.toLowerCase())
      expect(signers.length).toBeGreaterThanOrEqual(3)
      expect(signers).not.toContain(leaving.address.toLowerCase())
      const schema = VaultSchemaSchema.parse(
        JSON.parse(await readFile(join(DEMO_DATA, 'schema.json'), 'utf8')),
      )
      const truth = plaintextOutputs(readCsvRows(files('data.csv')), schema, parseSpec(SPEC))
      expect(result.outputs.records).toMatchObject({ value: RECORDS })
      const out = result.outputs.mean_hr!
      if (!('value' in out) || !('error95' in out)) throw new Error(`mean_hr: ${JSON.stringify(out)}`)
      const error95 = (out.error95 as Record<string, number>).value!
      const off = Math.abs(out.value - (truth.mean_hr as number))
      console.log(`mean_hr: ${out.value} ±${error95} (95%), plaintext ${truth.mean_hr}`)
      // The members' privacy noise is in the release: within the suite's factor of its stated 95%
      // error, as every release check (sandbox/reference/within-error.ts).
      expect(off).toBeLessThan(RELEASE_ERROR_FACTOR * error95)
    } finally {
      await buyer.close()
    }
  }, 420_000)

  it("the removed validator's share is deleted from its keyring", async () => {
    await leaving.stop()
    const store = createNodeStore({
      dir: join(leaving.home, HOME_FILES.database),
      logger: pino({ level: 'silent' }),
    })
    await store.open()
    try {
      const keyring = createKeyring(store)
      expect(await keyring.getShare(seeded.keyHash)).toBeUndefined()
      expect((await keyring.keyOfEpoch(2))?.members).not.toContain(leaving.address.toLowerCase())
    } finally {
      await store.close()
    }
  }, 60_000)
})
