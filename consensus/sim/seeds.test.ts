import { describe, expect, it } from 'vitest'
import { replayCommand } from './replay.ts'
import { FAULT_CLASSES, maxFaulty } from './scenario.ts'
import { runSimulation } from './simulation.ts'

/** 3,200 seeds with every fault class and f Byzantine keys, sized to stay well under a minute on 2 cores. */
const PLAN = [
  { n: 4, seeds: 2000, heights: 4 },
  { n: 7, seeds: 800, heights: 3 },
  { n: 10, seeds: 400, heights: 3 },
]

describe('simulated Tendermint under faults', () => {
  for (const { n, seeds, heights } of PLAN) {
    it(`holds every invariant for ${seeds} seeds with n = ${n}, f = ${maxFaulty(n)} Byzantine`, () => {
      const failures: string[] = []
      for (let seed = 1; seed <= seeds; seed++) {
        const result = runSimulation({
          seed,
          n,
          byzantine: maxFaulty(n),
          faults: new Set(FAULT_CLASSES),
          heights,
        })
        if (!result.ok)
          failures.push(`${JSON.stringify(result.violations[0])}\n  ${replayCommand(result.config)}`)
      }
      expect(failures).toEqual([])
    })
  }
})
