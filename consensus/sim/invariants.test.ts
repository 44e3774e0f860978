import { describe, expect, it } from 'vitest'
import type { ValueId } from '../../protocol/index.ts'
import { ValidatorSet } from '../validator-set.ts'
import { InvariantChecker, type ValueRecord } from './invariants.ts'
import { SimSigner, SimVerifier, simKey } from './sim-crypto.ts'

const keys = [0, 1, 2, 3].map((i) => simKey(`invariants-${i}`))
const signers = keys.map((k) => new SimSigner(k))
const validators = new ValidatorSet(keys.map((k) => ({ address: k.address, power: 1 })))
const A: ValueId = `0x${'a'.repeat(64)}`
const B: ValueId = `0x${'b'.repeat(64)}`

function checker(honest = [0, 1, 2], values: [ValueId, ValueRecord][] = [[A, { valid: true }]]) {
  const honestKeys = new Set(honest.map((i) => keys[i]!.address))
  return new InvariantChecker(validators, new SimVerifier(keys), honestKeys, new Map(values))
}
const precommit = (i: number, valueId: ValueId | null, round = 0) =>
  signers[i]!.signVote({ type: 'precommit', height: 1, round, valueId, validator: signers[i]!.address })

describe('InvariantChecker', () => {
  it('accepts a decision on a quorum certificate for a valid proposed value', () => {
    const c = checker()
    const precommits = [0, 1, 2].map((i) => precommit(i, A))
    for (const p of precommits) c.onVoteSent(p, 0)
    c.onDecide('v0', { height: 1, round: 0, valueId: A, precommits }, 0)
    c.onDecide('v1', { height: 1, round: 0, valueId: A, precommits }, 0)
    expect(c.violations).toEqual([])
  })

  it('flags a certificate without a quorum, an unknown value, and disagreement', () => {
    const c = checker()
    c.onDecide('v0', { height: 1, round: 0, valueId: A, precommits: [precommit(0, A), precommit(1, A)] }, 1)
    c.onDecide(
      'v1',
      { height: 1, round: 0, valueId: B, precommits: [0, 1, 2].map((i) => precommit(i, B)) },
      2,
    )
    expect(c.violations.map((v) => v.kind)).toEqual(['invalid-certificate', 'validity', 'agreement'])
  })

  it('flags two precommit quorums for different values at one height, whoever decides', () => {
    const c = checker([0, 1])
    for (const i of [0, 1, 3]) c.onVoteSent(precommit(i, A, 0), 0)
    for (const i of [2, 3, 0]) c.onVoteSent(precommit(i, B, 1), 0)
    expect(c.violations.map((v) => v.kind)).toEqual(['conflicting-certificates'])
  })

  it('flags an honest double-sign but not a faulty one', () => {
    const c = checker([0])
    c.onVoteSent(precommit(3, A), 0)
    c.onVoteSent(precommit(3, null), 0)
    expect(c.ok).toBe(true)
    c.onVoteSent(precommit(0, A), 0)
    c.onVoteSent(precommit(0, A), 0)
    expect(c.ok).toBe(true)
    c.onVoteSent(precommit(0, null), 5)
    expect(c.violations).toMatchObject([{ kind: 'honest-double-sign', at: 5 }])
  })
})
