import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import {
  addressOfPrivateKey,
  type Block,
  blockHeader,
  type CommitCertificate,
  type Hex32,
  headerHash,
  jobIdOf,
  type SignedJobRequest,
  ZERO_HASH,
} from '../../protocol/index.ts'
import { useTestChain } from '../../protocol/testing/test-chain.ts'
import { type AnchoredEvent, createAnchorer, createChainClient, createChainState } from '../chain/index.ts'
import { AttestationPool } from '../jobs/attestation-pool.ts'
import { JobBook } from '../jobs/job-book.ts'
import { Ledger } from '../jobs/ledger.ts'
import { ReleasePool } from '../jobs/releases.ts'
import { NodeMetrics } from '../metrics.ts'
import { manifest, signedRequest } from '../storage/testing/fixtures.ts'
import { useTempStore } from '../storage/testing/temp-store.ts'
import { Committer } from './committer.ts'
import { Epochs } from './epochs.ts'

const test = useTestChain({ validators: 4 })
const temp = useTempStore('tcf-committer-')

/** A committer over a real store, ledger and epoch, anchoring through a real anchorer on the dev chain. */
async function committer() {
  const client = createChainClient({
    rpcUrl: test.chain.rpcUrl,
    addresses: test.net.addresses,
    privateKey: test.net.validatorKeys[0] as Hex32,
    pollMs: 20,
  })
  await client.start()
  const state = createChainState({ rpcUrl: test.chain.rpcUrl, addresses: test.net.addresses })
  const anchored: AnchoredEvent[] = []
  const anchorer = createAnchorer({ chain: client, takeoverDelayMs: 0, onAnchored: (e) => anchored.push(e) })
  test.onStop(async () => {
    await anchorer.stop()
    state.stop()
    await client.stop()
  })
  const logger = pino({ level: 'silent' })
  const epochs = await Epochs.open(
    {
      chain: {
        currentEpoch: () => client.currentEpoch(),
        validatorSet: async (epoch) => (await client.validatorSet(epoch)).members,
        epochAt: (number) => state.epochAt(number),
      },
      domain: test.net.domain,
      validatorKey: test.net.validatorKeys[0] as Hex32,
      logger,
    },
    { height: 0, epoch: 0, chainBlock: 0 },
  )
  const metrics = new NodeMetrics({
    peers: () => 0,
    gossip: () => ({}),
    blobBytes: () => ({ served: 0, fetched: 0 }),
    sandboxQueueDepth: () => 0,
  })
  const book = new JobBook({ store: temp.store, observeStage: (i, f, t) => metrics.observeStage(i, f, t) })
  const ledger = new Ledger(ZERO_HASH)
  const pending = new Map<Hex32, SignedJobRequest>()
  const executed: Hex32[] = []
  const commits = new Committer({
    ledger,
    book,
    head: null,
    loadAdmittedVaults: async (block) => {
      for (const r of block.admitted)
        if (!(await temp.store.getVault(r.request.vaultId))) throw new RangeError('no vault')
    },
    releases: new ReleasePool({ store: temp.store, book }),
    pending,
    attestations: new AttestationPool(),
    epochs,
    chain: { anchor: (request) => anchorer.submit(request) },
    metrics,
    execute: (jobId) => executed.push(jobId),
    logger,
  })
  return { commits, ledger, book, pending, executed, anchored, anchorer }
}

/** A block at `height` on `parent`, proposed by validator 0, with its certificate signed by all four. */
function decided(height: number, parent: Hex32, body: Partial<Pick<Block, 'admitted' | 'failed'>>) {
  const block: Block = {
    version: 1,
    height,
    epoch: test.net.epoch,
    parentHash: parent,
    proposer: addressOfPrivateKey(test.net.validatorKeys[0] as Hex32),
    chainBlock: 0,
    admitted: body.admitted ?? [],
    certified: [],
    released: [],
    failed: body.failed ?? [],
  }
  const header = blockHeader(block)
  const certificate: CommitCertificate = {
    version: 1,
    epoch: test.net.epoch,
    height,
    round: 0,
    blockHash: headerHash(header),
    precommits: test.net.precommit(header, 0),
  }
  return { block, certificate, hash: headerHash(header) }
}

describe('Committer', () => {
  it('applies decided blocks in order, runs admitted jobs, and anchors only blocks with outcomes', async () => {
    await temp.store.putVault(manifest)
    const { commits, ledger, book, pending, executed, anchored, anchorer } = await committer()
    const request = signedRequest(1)
    const jobId = jobIdOf(request.request) as Hex32
    pending.set(jobId, request)

    const one = decided(1, ZERO_HASH, { admitted: [request] })
    const two = decided(2, one.hash, { failed: [jobId] })
    // Consensus and catch-up may hand over the same height twice: it is applied once.
    await Promise.all([
      commits.commit(one.block, one.certificate),
      commits.commit(one.block, one.certificate),
      commits.commit(two.block, two.certificate),
    ])

    expect(ledger.height).toBe(2)
    expect(executed).toEqual([jobId])
    expect(pending.size).toBe(0)
    expect(await book.get(jobId)).toMatchObject({ stage: 'failed', admittedHeight: 1, failedHeight: 2 })
    expect(await temp.store.getBlock(2)).toMatchObject({ blockHash: two.hash })
    expect(commits.head).not.toBeNull()
    // Height 1 only admitted: nothing to anchor. Height 2 failed a job: anchored on chain.
    expect(anchorer.state(1)).toBeUndefined()
    await expect.poll(() => anchored.map((e) => e.height), { timeout: 20_000 }).toEqual([2])
  })
})
