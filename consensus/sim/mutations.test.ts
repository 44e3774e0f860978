import { describe, expect, it } from 'vitest'
import type { Mutation } from '../mutation.ts'
import type { ViolationKind } from './invariants.ts'
import { FAULT_CLASSES } from './scenario.ts'
import { runSimulation } from './simulation.ts'

/**
 * Each deliberately broken core must be caught within 1,000 seeds, by the
 * invariant that its bug breaks. The unbroken core passes these same seeds
 * (seeds.test.ts), so what fails here is the mutation.
 */
const EXPECTED: Record<Mutation, readonly ViolationKind[]> = {
  'quorum-2f': ['invalid-certificate', 'conflicting-certificates', 'agreement'],
  'prevote-ignoring-lock': ['conflicting-certificates', 'agreement'],
  'ignore-valid-round': ['liveness'],
  'broadcast-before-persist': ['honest-double-sign'],
}

function firstFailingSeed(mutation: Mutation): { seed: number; kind: ViolationKind } | null {
  for (let seed = 1; seed <= 1000; seed++) {
    const result = runSimulation({
      seed,
      n: 4,
      byzantine: 1,
      faults: new Set(FAULT_CLASSES),
      heights: 4,
      mutation,
    })
    const violation = result.violations[0]
    if (violation) return { seed, kind: violation.kind }
  }
  return null
}

describe('the simulator catches broken consensus', () => {
  for (const [mutation, kinds] of Object.entries(EXPECTED) as [Mutation, readonly ViolationKind[]][]) {
    it(`catches ${mutation} within 1,000 seeds`, () => {
      const caught = firstFailingSeed(mutation)
      expect(caught).not.toBeNull()
      expect(kinds).toContain(caught?.kind)
      console.info(`${mutation}: caught by ${caught?.kind} at seed ${caught?.seed}`)
    })
  }
})
