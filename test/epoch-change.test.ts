import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest'
import { type Cluster, type ClusterNode, startCluster } from '../devnet/cluster.ts'
import { buyer, publishVault, submitJob, waitFor } from '../devnet/testing/actors.ts'
import type { NodeStatus } from '../node/api/index.ts'
import type { JobRecord, StoredBlock } from '../node/storage/index.ts'
import type { Hex32 } from '../protocol/index.ts'
import { REGRESSION_SPEC, REGRESSION_VAULT } from '../sandbox/testing/regression.ts'

/**
 * The validator set changes on chain while four daemons run: one validator
 * unbonds and a new epoch starts. The nodes follow EpochStarted by reading the
 * registry at each block's chain number: later heights are decided by the new
 * set under the new epoch, with no restart.
 *
 * Node 2 stays in the set but is slow to read a validator set from the registry
 * (test/support/byzantine-daemon.ts, TCF_SLOW_VALIDATOR_SET_MS): its peers start
 * epoch 2 while it is still loading it, so their first proposal and votes reach
 * it in epoch 1. It must hold them until it gets there: a new set of three needs
 * every member's votes, and dropped messages are never sent again (one CI run
 * stalled on exactly this, without the delay).
 */
const SLOW_NODE = 2
const SLOW_NODE_DAEMON = fileURLToPath(new URL('./support/byzantine-daemon.ts', import.meta.url))
/** Longer than the others' block interval and propose timeout: whoever proposes, messages arrive early. */
const SLOW_SET_MS = 3000
/** Each stage's wait: the stages' sum stays inside the test's own timeout, so a hang names its stage. */
const STAGE = 60_000

const status = async (node: ClusterNode) => (await node.api<NodeStatus>('/v1/status')).body

describe('an epoch change under four running daemons', () => {
  let dir: string
  let cluster: Cluster

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcf-epoch-'))
    cluster = await startCluster({
      dir,
      validators: 4,
      entry: (i) => (i === SLOW_NODE ? SLOW_NODE_DAEMON : undefined),
      nodeEnv: (i): Record<string, string> =>
        i === SLOW_NODE ? { TCF_SLOW_VALIDATOR_SET_MS: String(SLOW_SET_MS) } : {},
    })
  })

  afterAll(async () => {
    await cluster?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it(
    'moves every node to the new set without a restart, and the new set keeps deciding and anchoring',
    async () => {
      const [first, , , leaving] = cluster.nodes as [ClusterNode, ClusterNode, ClusterNode, ClusterNode]
      onTestFailed(async () => {
        for (const node of cluster.nodes) console.log(await node.logTail(40))
      })
      const pids = cluster.nodes.map((n) => n.pid)
      const before = await status(first)
      expect(before.epoch).toBe(1)
      expect(before.validators).toHaveLength(4)

      const leaver = new Wallet(cluster.network.validatorKeys[3]!, cluster.chain.provider)
      await cluster.network.connect(leaver).validators.beginUnbonding()
      // Only a member of the current set may advance the epoch (ValidatorRegistry.advanceEpoch).
      const registry = cluster.network.connect(leaver).validators
      await registry.advanceEpoch()
      expect(await registry.currentEpoch()).toBe(2)

      const switched = await waitFor(
        'every node in epoch 2',
        async () => {
          const all = await Promise.all(cluster.nodes.map(status))
          return all.every((s) => s.epoch === 2) ? all : undefined
        },
        STAGE,
      )
      for (const s of switched) {
        expect(s.validators.map((v) => v.address)).not.toContain(leaving.address.toLowerCase())
        expect(s.validators).toHaveLength(3)
      }
      expect(cluster.nodes.map((n) => n.pid)).toEqual(pids)
      // The slow node held its peers' first messages of epoch 2 and took them once it got there.
      const slow = cluster.nodes[SLOW_NODE] as ClusterNode
      const early = await waitFor(
        'the slow node delivering the early messages of epoch 2',
        async () =>
          (await slow.log())
            .split('\n')
            .find((l) => l.includes('"msg":"early messages of the epoch delivered"')),
        STAGE,
      )
      console.log(`node ${SLOW_NODE}: ${early}`)
      expect(JSON.parse(early)).toMatchObject({ epoch: 2, delivered: expect.any(Number) })
      expect(JSON.parse(early).delivered).toBeGreaterThan(0)
      // Each node re-read its peer list for the new set (config.json, unchanged here) without a restart.
      for (const node of cluster.nodes) {
        await waitFor(
          `node ${node.index} resetting its direct peers`,
          async () => ((await node.log()).includes('"msg":"direct peers set"') ? true : undefined),
          STAGE,
        )
      }

      const stayers = cluster.nodes.slice(0, 3)
      const vault = await publishVault(
        first,
        REGRESSION_VAULT,
        cluster.chain.wallet(1),
        cluster.network.addresses,
      )
      const submission = await submitJob(first, {
        buyer: buyer(cluster.chain.wallet(2)),
        domain: cluster.network.domain,
        addresses: cluster.network.addresses,
        manifest: vault,
        spec: REGRESSION_SPEC,
        deadline: (await status(first)).height + 200,
      })
      expect(submission.status).toBe(202)
      const record = await waitFor(
        'the job anchored by the new set',
        async () => {
          const records = await Promise.all(
            stayers.map(async (n) => (await n.api<JobRecord>(`/v1/jobs/${submission.jobId}`)).body),
          )
          return records.every((r) => r.stage === 'anchored') ? records[0] : undefined
        },
        STAGE,
      )
      const certified = (await first.api<StoredBlock>(`/v1/blocks/${record!.certifiedHeight}`)).body
      expect(certified.block.epoch).toBe(2)
      expect(certified.certificate.epoch).toBe(2)
      const signers = certified.certificate.precommits.map((p) => p.validator.toLowerCase())
      expect(signers).not.toContain(leaving.address.toLowerCase())
      const receipt = await cluster.chain.provider.getTransactionReceipt(record!.anchorTx!.txHash as Hex32)
      expect(receipt?.status).toBe(1)

      // The epoch switched at one height for everyone: the blocks agree on both sides of it.
      const top = Math.min(...(await Promise.all(stayers.map(async (n) => (await status(n)).height))))
      const epochs = new Set<number>()
      for (let h = 1; h <= top; h++) {
        const blocks = await Promise.all(stayers.map((n) => n.api<StoredBlock>(`/v1/blocks/${h}`)))
        expect(new Set(blocks.map((b) => b.body.blockHash)).size, `height ${h}`).toBe(1)
        epochs.add(blocks[0]!.body.block.epoch)
      }
      expect([...epochs]).toEqual([1, 2])
    },
    5 * STAGE,
  )
})
