import { describe, expect, it } from 'vitest'
import type { WalEntry } from '../../consensus/index.ts'
import { hash, lockEntry, voteEntry } from './testing/fixtures.ts'
import { useTempStore } from './testing/temp-store.ts'

const t = useTempStore('tcf-wal-')

const proposal = (height: number): WalEntry => ({
  kind: 'proposal',
  signed: {
    proposal: { height, round: 1, valueId: hash(height), validRound: -1, proposer: `0x${'22'.repeat(20)}` },
    signature: `0x${'ef'.repeat(64)}1b`,
  },
})

describe('LevelWal', () => {
  it('keeps entries, in append order per height, across a reopen', async () => {
    const written = [proposal(5), voteEntry(5, 1), lockEntry(5), voteEntry(5, 2)]
    for (const entry of written) t.store.wal.append(entry)
    t.store.wal.append(voteEntry(6, 0))
    // The mirror answers at once; sync() is what makes it durable.
    expect(t.store.wal.entries(5)).toEqual(written)
    await t.store.wal.sync()
    await t.reopen()
    expect(t.store.wal.entries(5)).toEqual(written)
    expect(t.store.wal.entries(6)).toEqual([voteEntry(6, 0)])
    expect(t.store.wal.entries(7)).toEqual([])
    // Sequence numbers continue after a reopen, so later appends still sort after earlier ones.
    t.store.wal.append(lockEntry(6))
    await t.store.wal.sync()
    await t.reopen()
    expect(t.store.wal.entries(6)).toEqual([voteEntry(6, 0), lockEntry(6)])
  })

  it('group-commits appends made while a write is in flight', async () => {
    for (let round = 0; round < 50; round++) t.store.wal.append(voteEntry(1, round))
    const first = t.store.wal.sync()
    for (let round = 50; round < 100; round++) t.store.wal.append(voteEntry(1, round))
    await first
    await t.store.wal.sync()
    await t.reopen()
    expect(t.store.wal.entries(1).map((e) => (e.kind === 'vote' ? e.signed.vote.round : -1))).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    )
  })

  it('prunes below a height, including entries not yet written', async () => {
    t.store.wal.append(voteEntry(1, 0))
    t.store.wal.append(voteEntry(2, 0))
    await t.store.wal.sync()
    t.store.wal.append(voteEntry(2, 1))
    t.store.wal.append(voteEntry(3, 0))
    t.store.wal.prune(3)
    expect(t.store.wal.entries(2)).toEqual([])
    await t.store.wal.sync()
    await t.reopen()
    expect([1, 2, 3].map((h) => t.store.wal.entries(h).length)).toEqual([0, 0, 1])
  })

  it('refuses an append below the pruned height and an entry that is not a WalEntry', async () => {
    t.store.wal.prune(4)
    expect(() => t.store.wal.append(voteEntry(3, 0))).toThrow(
      expect.objectContaining({ code: 'WAL_HEIGHT_PRUNED' }),
    )
    const bad = { kind: 'vote', signed: { vote: { height: 4 } } } as unknown as WalEntry
    expect(() => t.store.wal.append(bad)).toThrow(expect.objectContaining({ code: 'INVALID_RECORD' }))
    await t.store.wal.sync()
    await t.reopen()
    expect(t.store.wal.entries(4)).toEqual([])
  })
})
