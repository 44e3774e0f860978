import { describe, expect, it } from 'vitest'
import {
  type Block,
  blobIdOf,
  blockHash,
  decidedRecordCodec,
  type Hex32,
  jobIdOf,
} from '../../protocol/index.ts'
import { block, certificate, hash, jobRecord, signedRequest } from '../storage/testing/fixtures.ts'
import { useTempStore } from '../storage/testing/temp-store.ts'
import { JobBook } from './job-book.ts'
import { Ledger } from './ledger.ts'

const temp = useTempStore('tcf-job-book-')

function book(observed: string[] = []) {
  return new JobBook({ store: temp.store, observeStage: (interval) => observed.push(interval) })
}

/** Applies `b` to `ledger` and commits it through `jobs` with its decided record as head. */
function commit(jobs: JobBook, ledger: Ledger, b: Block) {
  const changes = ledger.apply(b, blockHash(b))
  const bytes = decidedRecordCodec.encode({ version: 1, block: b, certificate: certificate(b), prev: null })
  return jobs.commit(
    { block: b, certificate: certificate(b), head: { id: blobIdOf(bytes) as Hex32, bytes } },
    changes,
    () => undefined,
  )
}

describe('JobBook', () => {
  it('does not let an execution write over a commit it raced with', async () => {
    const request = signedRequest(1)
    const jobId = jobIdOf(request.request) as Hex32
    const jobs = book()
    const ledger = new Ledger(hash(0))
    await commit(jobs, ledger, block(1, { admitted: [request] }))
    // Issued together, as an evaluation finishing while the next block commits: the block fails
    // the job, the execution then reports its result. Neither may erase the other.
    await Promise.all([
      commit(jobs, ledger, {
        ...block(2),
        parentHash: blockHash(block(1, { admitted: [request] })),
        failed: [jobId],
      }),
      jobs.advance(jobId, 'attested', { resultHash: hash(7), resultBlob: hash(8) }),
    ])
    const record = await jobs.get(jobId)
    expect(record).toMatchObject({
      stage: 'failed',
      admittedHeight: 1,
      failedHeight: 2,
      failReason: 'the deadline passed without a result certificate',
      resultHash: hash(7),
      resultBlob: hash(8),
    })
  })

  it('lands changes made together in one synced batch, each built on the one before', async () => {
    const requests = [1, 2, 3].map(signedRequest)
    const ids = requests.map((r) => jobIdOf(r.request) as Hex32)
    const observed: string[] = []
    const jobs = book(observed)
    const ledger = new Ledger(hash(0))
    await commit(jobs, ledger, block(1, { admitted: requests }))
    const batches = countBatches()
    // An evaluation finishing on each job, and a second change of the first job right behind its
    // first: it must build on the first, which is not on disk yet.
    await Promise.all([
      ...ids.map((id, i) => jobs.advance(id, 'attested', { resultHash: hash(10 + i) })),
      jobs.advance(ids[0]!, 'attested', { resultBlob: hash(20) }),
    ])
    expect(batches()).toBeLessThanOrEqual(2)
    expect(await jobs.get(ids[0]!)).toMatchObject({
      stage: 'attested',
      resultHash: hash(10),
      resultBlob: hash(20),
    })
    expect((await jobs.get(ids[2]!))?.resultHash).toBe(hash(12))
    expect(observed.filter((o) => o === 'execution')).toHaveLength(3)
    // And on disk, read back by a reopened store.
    await temp.reopen()
    expect(await temp.store.getJob(ids[0]!)).toMatchObject({ resultHash: hash(10), resultBlob: hash(20) })
  })

  it('records an accepted request over a refusal, never over an admitted record', async () => {
    const jobs = book()
    const refused = signedRequest(2)
    const refusedId = jobIdOf(refused.request) as Hex32
    await temp.store.putJob(refusedId, {
      ...jobRecord(refused, 'failed'),
      refusal: { code: 'PRICE_TOO_LOW', message: 'no' },
    })
    await jobs.accepted(refused, refusedId)
    expect((await jobs.get(refusedId))?.stage).toBe('pending')

    const admitted = signedRequest(3)
    const admittedId = jobIdOf(admitted.request) as Hex32
    await temp.store.putJob(admittedId, jobRecord(admitted, 'admitted', { admittedHeight: 1 }))
    await jobs.accepted(admitted, admittedId)
    expect(await jobs.get(admittedId)).toMatchObject({ stage: 'admitted', admittedHeight: 1 })
  })

  it('anchors the certified jobs of a block and keeps the tx on every outcome', async () => {
    const observed: string[] = []
    const jobs = book(observed)
    const ledger = new Ledger(hash(0))
    const certifiedRequest = signedRequest(4)
    const failedRequest = signedRequest(5)
    const certifiedId = jobIdOf(certifiedRequest.request) as Hex32
    const failedId = jobIdOf(failedRequest.request) as Hex32
    const b1 = block(1, { admitted: [certifiedRequest, failedRequest] })
    await commit(jobs, ledger, b1)
    const b2: Block = {
      ...block(2),
      parentHash: blockHash(b1),
      // The store checks the shape, not the signature: the block rules judged it before.
      certified: [
        {
          jobId: certifiedId,
          resultHash: hash(9),
          execEnvHash: hash(10),
          attestations: [{ validator: `0x${'11'.repeat(20)}`, signature: `0x${'ab'.repeat(64)}1b` }],
        },
      ],
      failed: [failedId],
    }
    await commit(jobs, ledger, b2)
    expect(await jobs.anchored(2, hash(11))).toBe(2)
    expect(await jobs.get(certifiedId)).toMatchObject({
      stage: 'anchored',
      certifiedHeight: 2,
      resultHash: hash(9),
      anchorTx: { height: 2, txHash: hash(11) },
    })
    expect(await jobs.get(failedId)).toMatchObject({
      stage: 'failed',
      anchorTx: { height: 2, txHash: hash(11) },
    })
    expect(observed).toEqual(['admission', 'admission', 'certification', 'anchoring'])
    // Anchors complete out of order: a later block's (the release's) may be recorded before the
    // certificate's. The older one arriving last must not take the record back to it.
    const released = await jobs.get(certifiedId)
    await temp.store.putJob(certifiedId, { ...released!, anchorTx: { height: 7, txHash: hash(13) } })
    await jobs.anchored(2, hash(14))
    expect((await jobs.get(certifiedId))?.anchorTx).toEqual({ height: 7, txHash: hash(13) })
    expect(await jobs.list({ stage: 'anchored' })).toHaveLength(1)
    expect(await jobs.list({ vault: hash(99) })).toEqual([])
  })

  it('leaves a job it has no record of alone', async () => {
    const jobs = book()
    await jobs.advance(hash(12), 'executing')
    expect(await jobs.get(hash(12))).toBeUndefined()
  })
})

/** Counts the synced batches the temp store's database writes from now on. */
function countBatches(): () => number {
  const db = (temp.store as unknown as { wal: { writeBatch: (...a: unknown[]) => Promise<void> } }).wal
  let n = 0
  const writeBatch = db.writeBatch.bind(db)
  db.writeBatch = async (...args: unknown[]) => {
    n++
    return writeBatch(...args)
  }
  return () => n
}
