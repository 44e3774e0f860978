import { describe, expect, it } from 'vitest'
import { type Address, type Hex32, poolPayouts, poolResultHash } from '../../protocol/index.ts'
import { hex32Of as job } from '../../protocol/testing/hex32.ts'
import { NodeError } from '../errors.ts'
import { jobPayouts, type PoolJobSnapshot, servedPayouts } from './payouts.ts'

const a = `0x${'aa'.repeat(20)}` as Address
const b = `0x${'bb'.repeat(20)}` as Address
const snapshot: PoolJobSnapshot = {
  bundleHash: `0x${'11'.repeat(32)}`,
  counts: new Map([
    [b, 2],
    [a, 1],
  ]),
}
const certified = poolResultHash(snapshot.bundleHash, poolPayouts(snapshot.counts))

describe('jobPayouts', () => {
  it('answers the tree of the snapshot and refuses one its certified result does not bind', () => {
    const answer = jobPayouts(job(1), snapshot, certified)
    expect(answer).toMatchObject({ jobId: job(1), bundleHash: snapshot.bundleHash, total: 3 })
    expect(answer.leaves.map((l) => [l.contributor, l.contributions])).toEqual([
      [a, 1],
      [b, 2],
    ])
    const inflated = { ...snapshot, counts: new Map([...snapshot.counts, [a, 5]]) }
    expect(() => jobPayouts(job(1), inflated, certified)).toThrow(NodeError)
    expect(() => jobPayouts(job(1), inflated, certified)).toThrow(/do not hash to its certified result/)
  })
})

describe('servedPayouts', () => {
  /** The snapshots the pool log would give, counting how often the node is asked to build a tree. */
  const log = (known: ReadonlyMap<Hex32, PoolJobSnapshot>) => {
    const asked: Hex32[] = []
    const payoutsOf = async (jobId: Hex32) => {
      asked.push(jobId)
      return known.get(jobId)
    }
    return { asked, payoutsOf }
  }

  it('builds a job’s tree once however often, and however concurrently, it is asked for', async () => {
    const { asked, payoutsOf } = log(new Map([[job(1), snapshot]]))
    const serve = servedPayouts(payoutsOf, async () => certified)
    const answers = await Promise.all(Array.from({ length: 5 }, () => serve(job(1))))
    expect(await serve(job(1))).toEqual(answers[0])
    expect(asked).toEqual([job(1)])
  })

  it('does not keep "no payouts" (the job may be evaluated later) and keeps a bounded number of jobs', async () => {
    const known = new Map<Hex32, PoolJobSnapshot>()
    const { asked, payoutsOf } = log(known)
    const serve = servedPayouts(payoutsOf, async () => undefined, 2)
    expect(await serve(job(1))).toBeUndefined()
    known.set(job(1), snapshot)
    expect(await serve(job(1))).toMatchObject({ total: 3 })
    known.set(job(2), snapshot)
    known.set(job(3), snapshot)
    await serve(job(2))
    await serve(job(3))
    // job 1 was the oldest of three kept in a room for two: built again.
    await serve(job(1))
    expect(asked).toEqual([job(1), job(1), job(2), job(3), job(1)])
  })

  it('does not keep a failed build', async () => {
    const { asked, payoutsOf } = log(new Map([[job(1), snapshot]]))
    let certifiedNow: Hex32 = `0x${'22'.repeat(32)}`
    const serve = servedPayouts(payoutsOf, async () => certifiedNow)
    await expect(serve(job(1))).rejects.toThrow(NodeError)
    certifiedNow = certified
    expect(await serve(job(1))).toMatchObject({ total: 3 })
    expect(asked).toHaveLength(2)
  })
})
