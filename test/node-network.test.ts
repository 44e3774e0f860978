import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLUSTER_PASSPHRASE, type Cluster, type ClusterNode, startCluster } from '../devnet/cluster.ts'
import { buyer, publishVault, submitJob, waitFor } from '../devnet/testing/actors.ts'
import type { NodeStatus } from '../node/api/index.ts'
import { type DaemonInfo, INFO_FILE } from '../node/daemon.ts'
import { createP2PNetwork, generatePeerKey } from '../node/p2p/index.ts'
import { createNetworkNode, parsePeerAddress } from '../node/p2p/libp2p.ts'
import type { JobRecord, StoredBlock } from '../node/storage/index.ts'
import { type Hex32, manifestBlob, vaultBlobIds, ZERO_HASH } from '../protocol/index.ts'
import type { VaultManifest } from '../sandbox/index.ts'
import { OPEN_POLICY, type Workspace, workspace } from '../sandbox/testing/fixtures.ts'
import { REGRESSION_SPEC, REGRESSION_VAULT } from '../sandbox/testing/regression.ts'

/**
 * The validator network for real: four `tcf node start` processes, an anvil
 * chain, LevelDB homes and libp2p on 127.0.0.1, started and stopped here.
 */
const JOB_TIMEOUT = 90_000
/**
 * The deadline, in heights, of a job that must outlive a validator's restart. Heights run on wall
 * time (about three a second here once the job is certified), so the usual 60 could pass while
 * the victim restarts and catches up on a loaded machine: the job then fails at its deadline and
 * the victim never shows 'anchored' (a CI run failed that way). 400 stays inside the escrow the
 * buyer opens (two hours at the default 10 s per height, plus settlement).
 */
const SURVIVOR_DEADLINE = 400

async function job(node: ClusterNode, jobId: Hex32): Promise<JobRecord | undefined> {
  const { status, body } = await node.api<JobRecord>(`/v1/jobs/${jobId}`)
  return status === 200 ? body : undefined
}

async function height(node: ClusterNode): Promise<number> {
  return (await node.api<NodeStatus>('/v1/status')).body.height
}

async function allAt(
  nodes: readonly ClusterNode[],
  jobId: Hex32,
  stage: JobRecord['stage'],
): Promise<JobRecord[]> {
  let last: (JobRecord | undefined)[] = []
  try {
    return await waitFor(
      `job ${jobId} ${stage} on nodes ${nodes.map((n) => n.index).join(',')}`,
      async () => {
        last = await Promise.all(nodes.map((n) => job(n, jobId).catch(() => undefined)))
        return last.every((r) => r?.stage === stage) ? (last as JobRecord[]) : undefined
      },
      JOB_TIMEOUT,
    )
  } catch (e) {
    // A CI failure under load is seldom reproducible: say what each node had and what it logged.
    const stages = last.map((r, i) => `node ${nodes[i]!.index}: ${r?.stage ?? 'no record'}`).join(', ')
    const tails = await Promise.all(nodes.map((n) => n.logTail(25, jobId)))
    throw new Error(`${(e as Error).message} (${stages})\n${tails.join('\n')}`)
  }
}

/** Blob bytes a node has fetched from peers since it started (its /metrics). */
async function fetchedBytes(node: ClusterNode): Promise<number> {
  const text = await (await fetch(`${node.apiUrl}/metrics`)).text()
  const line = /^tcf_blob_bytes\{direction="fetched"\} (\d+)/m.exec(text)
  if (!line) throw new Error(`node ${node.index} reports no fetched blob bytes`)
  return Number(line[1])
}

async function blocksAgree(nodes: readonly ClusterNode[], from: number, to: number): Promise<void> {
  for (let h = from; h <= to; h++) {
    const blocks = await Promise.all(nodes.map((n) => n.api<StoredBlock>(`/v1/blocks/${h}`)))
    const hashes = new Set(blocks.map((b) => b.body.blockHash))
    expect(hashes.size, `height ${h}`).toBe(1)
  }
}

async function noDoubleSigning(nodes: readonly ClusterNode[]): Promise<void> {
  for (const node of nodes)
    expect(await node.log(), `node ${node.index} log`).not.toMatch(/duplicate vote evidence/)
}

describe('a network of four validator daemons', () => {
  let dir: string
  let cluster: Cluster
  let ws: Workspace
  let vault: VaultManifest
  let narrowVault: VaultManifest
  /** the first test's job, anchored with a result bundle */
  let anchoredJob: JobRecord | undefined
  const deadline = async (node: ClusterNode, heights: number) => (await height(node)) + heights

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcf-network-'))
    cluster = await startCluster({ dir, validators: 4 })
    vault = await publishVault(
      cluster.nodes[0]!,
      REGRESSION_VAULT,
      cluster.chain.wallet(1),
      cluster.network.addresses,
    )
    ws = await workspace()
    const csv = `a,b\n${Array.from({ length: 60 }, (_, i) => `${i % 10},${(i * 7) % 13}`).join('\n')}\n`
    const narrow = await ws.vault(
      'narrow',
      csv,
      {
        columns: [
          { name: 'a', type: 'integer', min: 0, max: 9, nullable: false },
          { name: 'b', type: 'integer', min: 0, max: 12, nullable: false },
        ],
      },
      { ...OPEN_POLICY, allowedOps: ['mean'] },
    )
    narrowVault = await publishVault(
      cluster.nodes[1]!,
      narrow.dir,
      cluster.chain.wallet(1),
      cluster.network.addresses,
    )
  })

  afterAll(async () => {
    await cluster?.stop()
    await ws?.dispose()
    await rm(dir, { recursive: true, force: true })
  })

  const submit = async (node: ClusterNode, manifest: VaultManifest, spec: unknown, heights = 60) =>
    submitJob(node, {
      buyer: buyer(cluster.chain.wallet(2)),
      domain: cluster.network.domain,
      addresses: cluster.network.addresses,
      manifest,
      spec,
      deadline: await deadline(node, heights),
    })

  it('takes a job from request to an anchored certificate, every validator holding the same blocks', async () => {
    const submission = await submit(cluster.nodes[1]!, vault, REGRESSION_SPEC)
    expect(submission.status).toBe(202)
    const records = await allAt(cluster.nodes, submission.jobId, 'anchored')
    const [first] = records
    anchoredJob = first
    expect(new Set(records.map((r) => r.resultHash)).size).toBe(1)
    expect(new Set(records.map((r) => r.certifiedHeight)).size).toBe(1)
    expect(new Set(records.map((r) => r.anchorTx?.txHash)).size).toBe(1)
    await blocksAgree(cluster.nodes, 1, first!.certifiedHeight!)
    const certified = (await cluster.nodes[0]!.api<StoredBlock>(`/v1/blocks/${first!.certifiedHeight}`)).body
    expect(certified.block.certified.map((c) => c.jobId)).toContain(submission.jobId)
    expect(certified.certificate.precommits.length).toBeGreaterThanOrEqual(3)
    const receipt = await cluster.chain.provider.getTransactionReceipt(first!.anchorTx!.txHash)
    expect(receipt?.status).toBe(1)
    for (const record of records) {
      expect(Object.keys(record.stages)).toEqual(
        expect.arrayContaining(['pending', 'admitted', 'executing', 'certified', 'anchored']),
      )
    }
    // A node records `attested` when its own attestation is out, and a record never moves back: the
    // slowest of the four may finish after the other three certified the job, and then keeps no
    // `attested` stage (a CI run saw it). The certificate needed three attestations, each written
    // a height or more before the block that certified it.
    expect(records.filter((r) => r.stages.attested !== undefined).length).toBeGreaterThanOrEqual(3)
  })

  it('fetches and warms a vault on every validator when it is published, so its first job fetches nothing', async () => {
    // The narrow vault was published to node 1 after the validators started, and no job has named it.
    const manifest = narrowVault
    // Every validator learns of it from the chain (node 1 also from the publication) and readies it.
    const warmed = new RegExp(`"vaultId":"${manifest.vaultId}".*"msg":"vault warmed"`)
    await waitFor(
      'the vault warmed on every validator',
      async () =>
        (await Promise.all(cluster.nodes.map(async (n) => warmed.test(await n.log())))).every(Boolean)
          ? true
          : undefined,
      JOB_TIMEOUT,
    )
    const before = await Promise.all(cluster.nodes.map(fetchedBytes))
    expect([0, 2, 3].every((i) => before[i]! > 0)).toBe(true) // they fetched it from node 1
    const submission = await submit(cluster.nodes[0]!, manifest, {
      version: 1,
      outputs: { m: { op: 'mean', of: 'a' } },
    })
    expect(submission.status).toBe(202)
    // Certified and anchored at once (no stage to poll between them): anchored is the one that stays.
    const records = await allAt(cluster.nodes, submission.jobId, 'anchored')
    expect(new Set(records.map((r) => r.resultHash)).size).toBe(1)
    // The job read only what the warming had fetched: no validator fetched one of its ciphertexts
    // for it (other blobs still move meanwhile: the epoch's DKG shares, a few KB).
    const read = manifest.columns.find((c) => c.name === 'a')!.chunks
    const sizes = await Promise.all(
      read.map(
        async (id) =>
          (await (await fetch(`${cluster.nodes[1]!.apiUrl}/v1/blobs/${id}`)).arrayBuffer()).byteLength,
      ),
    )
    const after = await Promise.all(cluster.nodes.map(fetchedBytes))
    for (const [i, bytes] of after.entries())
      expect(bytes - before[i]!, `node ${i} fetched during the job`).toBeLessThan(Math.min(...sizes))
  })

  it('does not serve a result bundle over the blob protocol to a stranger peer', async () => {
    const resultBlob = anchoredJob?.resultBlob as Hex32 | undefined
    if (resultBlob === undefined) throw new Error('the first test left no anchored job with a result bundle')
    const info = JSON.parse(await readFile(join(cluster.nodes[0]!.home, INFO_FILE), 'utf8')) as DaemonInfo
    const address = info.multiaddrs.find((a) => a.includes('/127.0.0.1/'))
    if (!address) throw new Error('node 0 has no loopback address')
    const stranger = await createP2PNetwork({
      privateKey: generatePeerKey(),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [address],
      topics: {},
    })
    await stranger.start()
    try {
      await waitFor(
        'the stranger to connect',
        async () => (stranger.connectedPeers().includes(info.peerId) ? true : undefined),
        20_000,
      )
      const outcome = await stranger.blobs.fetchBlob(resultBlob, { peers: [info.peerId] }).then(
        (bytes) => ({ served: bytes.length }),
        (error: unknown) => ({ refused: (error as { code?: string }).code }),
      )
      console.log(`stranger peer asked node 0 for result bundle ${resultBlob}:`, outcome)
      expect(outcome).toEqual({ refused: 'BLOB_REFUSED' })
      // Vault blobs stay public: the same stranger still gets the vault's manifest and a ciphertext chunk.
      for (const id of [manifestBlob(vault).id, vaultBlobIds(vault).at(-1)!]) {
        expect((await stranger.blobs.fetchBlob(id, { peers: [info.peerId] })).length).toBeGreaterThan(0)
      }
    } finally {
      await stranger.stop()
    }
  })

  it('does not admit a job the vault policy refuses, and tells the buyer why', async () => {
    const submission = await submit(cluster.nodes[2]!, narrowVault, {
      version: 1,
      outputs: { v: { op: 'variance', of: 'a' } },
    })
    expect(submission.status).toBe(422)
    expect(submission.body).toMatchObject({ error: { code: 'OP_NOT_ALLOWED' } })
    // The refusal is the answer; no node keeps a record of it.
    for (const node of cluster.nodes) expect(await job(node, submission.jobId)).toBeUndefined()
  })

  it(
    'survives a validator SIGKILLed mid-job: it restarts, catches up, never double-signs, and the job completes',
    async () => {
      const victim = cluster.nodes[3]!
      const submission = await submit(cluster.nodes[0]!, vault, REGRESSION_SPEC, SURVIVOR_DEADLINE)
      expect(submission.status).toBe(202)
      await waitFor(
        'admission on the victim',
        async () => {
          const r = await job(victim, submission.jobId)
          return r && r.stage !== 'pending' ? r : undefined
        },
        JOB_TIMEOUT,
      )
      await victim.signal('SIGKILL')
      const before = await height(cluster.nodes[0]!)
      await waitFor(
        'the others to go on deciding',
        async () => ((await height(cluster.nodes[0]!)) > before + 2 ? true : undefined),
        JOB_TIMEOUT,
      )
      await victim.start()
      await allAt(cluster.nodes, submission.jobId, 'anchored')
      const top = Math.min(...(await Promise.all(cluster.nodes.map(height))))
      await blocksAgree(cluster.nodes, 1, top)
      await noDoubleSigning(cluster.nodes)
    },
    3 * JOB_TIMEOUT,
  )

  it(
    'records the anchor of a certificate it committed just before a SIGKILL, once restarted',
    async () => {
      const submission = await submit(cluster.nodes[0]!, vault, REGRESSION_SPEC, SURVIVOR_DEADLINE)
      expect(submission.status).toBe(202)
      // The window: a validator has stored the certifying block but not yet seen its anchor, which a
      // non-proposer only looks for after its takeover delay. Kill the first node caught inside it.
      const victim = await waitFor(
        'a non-proposer holding the certificate but not its anchor',
        async () => {
          for (const node of cluster.nodes) {
            const r = await job(node, submission.jobId)
            if (r?.stage !== 'certified' || r.certifiedHeight === undefined) continue
            const block = await node.api<StoredBlock>(`/v1/blocks/${r.certifiedHeight}`)
            if (block.body.block.proposer.toLowerCase() === node.address.toLowerCase()) continue
            await node.signal('SIGKILL')
            return node
          }
          return undefined
        },
        JOB_TIMEOUT,
      )
      const others = cluster.nodes.filter((n) => n !== victim)
      await allAt(others, submission.jobId, 'anchored')
      await victim.start()
      const records = await allAt(cluster.nodes, submission.jobId, 'anchored')
      expect(new Set(records.map((r) => r.anchorTx?.txHash)).size).toBe(1)
    },
    3 * JOB_TIMEOUT,
  )

  it('completes jobs with one validator silent', async () => {
    const silent = cluster.nodes[2]!
    await silent.signal('SIGSTOP')
    try {
      const submission = await submit(cluster.nodes[0]!, vault, REGRESSION_SPEC)
      expect(submission.status).toBe(202)
      const live = cluster.nodes.filter((n) => n !== silent)
      const records = await allAt(live, submission.jobId, 'anchored')
      expect(records[0]!.certifiedHeight).toBeDefined()
    } finally {
      await silent.signal('SIGCONT')
    }
  })

  it('rejects and scores down a peer spamming malformed and oversized gossip while blocks keep coming', async () => {
    const topics = ['votes', 'proposals', 'jobs', 'attestations'].map((t) => `/tcf/1/${t}`)
    const spammer = await createNetworkNode({
      privateKey: generatePeerKey(),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      directPeers: [],
      topics,
    })
    await spammer.libp2p.start()
    try {
      for (const t of topics) spammer.pubsub.subscribe(t)
      for (const node of cluster.nodes) {
        const info = JSON.parse(await readFile(join(node.home, INFO_FILE), 'utf8')) as DaemonInfo
        const address = info.multiaddrs.find((a) => a.includes('/127.0.0.1/'))
        if (!address) throw new Error(`node ${node.index} has no loopback address`)
        await spammer.libp2p.dial(parsePeerAddress(address).addr)
      }
      const spammerId = spammer.libp2p.peerId.toString()
      await waitFor(
        'the validators to see the spammer',
        async () => {
          const statuses = await Promise.all(cluster.nodes.map((n) => n.api<NodeStatus>('/v1/status')))
          return statuses.every((s) => s.body.peers.some((p) => p.peerId === spammerId)) ? true : undefined
        },
        20_000,
      )
      const start = await height(cluster.nodes[0]!)
      const until = Date.now() + 8_000
      for (let i = 0; i < 200 && Date.now() < until; i++) {
        const topic = topics[i % topics.length]!
        const junk = i % 2 === 0 ? `{"garbage":${i}}` : 'x'.repeat(600 * 1024 + i)
        await spammer.pubsub.publish(topic, new TextEncoder().encode(junk)).catch(() => undefined)
        if (i % 10 === 9) await new Promise((r) => setTimeout(r, 20))
      }
      await waitFor(
        'every validator to score the spammer below zero',
        async () => {
          const statuses = await Promise.all(cluster.nodes.map((n) => n.api<NodeStatus>('/v1/status')))
          const scored = statuses.every(
            (s) => (s.body.peers.find((p) => p.peerId === spammerId)?.score ?? -1) < 0,
          )
          const rejected = statuses.every((s) => Object.values(s.body.gossip).some((c) => c.rejected > 0))
          return scored && rejected ? true : undefined
        },
        20_000,
      )
      await waitFor(
        'blocks to keep coming',
        async () => ((await height(cluster.nodes[0]!)) > start + 3 ? true : undefined),
        30_000,
      )
    } finally {
      await spammer.libp2p.stop()
    }
  })

  it('logs no secrets, and a validator stops cleanly on SIGTERM', async () => {
    for (const n of cluster.nodes) {
      const text = await n.log()
      for (const key of cluster.network.validatorKeys) expect(text).not.toContain(key.slice(2))
      expect(text).not.toContain(CLUSTER_PASSPHRASE)
    }
    const node = cluster.nodes[0]!
    await node.signal('SIGTERM')
    expect(node.exitCode).toBe(0)
    expect(await node.log()).toMatch(/"msg":"stopped"/)
  })
})

describe('a network where two of four validators cannot attest', () => {
  let dir: string
  let cluster: Cluster

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tcf-network-'))
    // A 1 ms evaluation deadline: these two validators vote on blocks but never produce a result.
    cluster = await startCluster({
      dir,
      validators: 4,
      overrides: (i) => (i >= 2 ? { sandbox: { workers: 1, deadlineMs: 1 } } : {}),
    })
  })

  afterAll(async () => {
    await cluster?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('certifies nothing and fails the job by its deadline, with no conflicting certificates', async () => {
    const manifest = await publishVault(
      cluster.nodes[0]!,
      REGRESSION_VAULT,
      cluster.chain.wallet(1),
      cluster.network.addresses,
    )
    const node = cluster.nodes[0]!
    const submission = await submitJob(node, {
      buyer: buyer(cluster.chain.wallet(2)),
      domain: cluster.network.domain,
      addresses: cluster.network.addresses,
      manifest,
      spec: REGRESSION_SPEC,
      deadline: (await height(node)) + 12,
    })
    expect(submission.status).toBe(202)
    const records = await allAt(cluster.nodes, submission.jobId, 'failed')
    for (const r of records) {
      expect(r.certifiedHeight).toBeUndefined()
      expect(r.failReason).toMatch(/without a result certificate/)
    }
    const failedAt = records[0]!.failedHeight!
    await blocksAgree(cluster.nodes, 1, failedAt)
    const failedBlock = (await node.api<StoredBlock>(`/v1/blocks/${failedAt}`)).body
    expect(failedBlock.block.failed).toContain(submission.jobId)
    expect(failedBlock.blockHash).not.toBe(ZERO_HASH)
  })
})
