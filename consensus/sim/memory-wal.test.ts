import { describe, expect, it } from 'vitest'
import type { WalEntry } from '../wal.ts'
import { MemoryWal } from './memory-wal.ts'

const lock = (height: number, round: number): WalEntry => ({
  kind: 'lock',
  height,
  locked: { round, valueId: `0x${'a'.repeat(64)}` },
  valid: null,
})

describe('MemoryWal', () => {
  it('keeps synced entries across a crash and loses only the write in flight', () => {
    const wal = new MemoryWal()
    wal.append(lock(1, 0))
    wal.write(lock(1, 1))
    wal.crash()
    expect(wal.entries(1)).toEqual([lock(1, 0)])
  })

  it('replays one height in order and prunes older ones', () => {
    const wal = new MemoryWal()
    for (const entry of [lock(1, 0), lock(2, 0), lock(2, 1)]) wal.append(entry)
    expect(wal.entries(2)).toEqual([lock(2, 0), lock(2, 1)])
    wal.prune(2)
    expect(wal.entries(1)).toEqual([])
    expect(wal.entries(2)).toHaveLength(2)
  })
})
