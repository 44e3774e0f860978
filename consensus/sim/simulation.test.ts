import { describe, expect, it } from 'vitest'
import { FAULT_CLASSES, type SimConfig } from './scenario.ts'
import { runSimulation } from './simulation.ts'

const base: SimConfig = { seed: 1, n: 4, byzantine: 1, faults: new Set(FAULT_CLASSES), heights: 3 }

describe('runSimulation', () => {
  it('replays a seed exactly', () => {
    const a = runSimulation({ ...base, seed: 77 })
    const b = runSimulation({ ...base, seed: 77 })
    const c = runSimulation({ ...base, seed: 78 })
    expect(b).toEqual(a)
    expect(c.consensusMessages).not.toBe(a.consensusMessages)
  })

  it('decides every height in round 0 and three message delays on a clean network', () => {
    const result = runSimulation({ ...base, byzantine: 0, faults: new Set(), heights: 5, fixedDelay: 10 })
    expect(result.ok).toBe(true)
    expect(result.heights.map((h) => [h.round, h.latency])).toEqual(Array(5).fill([0, 30]))
  })

  it('turns equivocation into evidence and still decides', () => {
    const runs = Array.from({ length: 40 }, (_, i) =>
      runSimulation({ ...base, seed: i + 1, faults: new Set(['byzantine']), behaviour: 'double-voter' }),
    )
    expect(runs.every((r) => r.ok)).toBe(true)
    expect(runs.filter((r) => r.evidence > 0).length).toBeGreaterThan(20)
  })

  it('keeps every invariant with twins, amnesia, silence and an equivocating proposer', () => {
    for (const behaviour of ['twins', 'amnesia', 'silent', 'equivocating-proposer'] as const) {
      for (let seed = 1; seed <= 30; seed++) {
        const result = runSimulation({ ...base, seed, behaviour })
        expect(result.violations, `${behaviour} seed ${seed}`).toEqual([])
      }
    }
  })

  it('refuses more faulty keys than f', () => {
    expect(() => runSimulation({ ...base, byzantine: 2 })).toThrow(
      expect.objectContaining({ name: 'SimulationError', code: 'invalid-config' }),
    )
  })
})
