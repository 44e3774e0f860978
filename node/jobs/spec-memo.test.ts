import { describe, expect, it } from 'vitest'
import { sampleManifest } from '../../protocol/testing/samples.ts'
import { type CompileLimits, DEFAULT_LIMITS, type VaultManifest } from '../../sandbox/index.ts'
import { SpecMemo } from './spec-memo.ts'

const manifest = sampleManifest as VaultManifest
const spec = { stats: [{ op: 'sum', column: 'a' }] }

/** A memo over a computation that counts its calls and answers from the spec's first column. */
function counted(perVault = 4) {
  const memo = new SpecMemo<{ column: string }>(perVault)
  let calls = 0
  const get = (
    s: { stats: { op?: string; column: string }[] },
    m = manifest,
    limits: CompileLimits = DEFAULT_LIMITS,
  ) =>
    memo.get(m, limits, s, () => {
      calls++
      return { column: s.stats[0]!.column }
    })
  return { get, calls: () => calls }
}

describe('SpecMemo', () => {
  it('answers a spec again without computing, and another spec, vault or limits by computing', () => {
    const m = counted()
    expect(m.get(spec)).toEqual({ column: 'a' })
    expect(m.get(JSON.parse(JSON.stringify(spec)))).toEqual({ column: 'a' })
    expect(m.calls()).toBe(1)
    // One character changed is another spec, and is answered for itself.
    expect(m.get({ stats: [{ op: 'sum', column: 'b' }] })).toEqual({ column: 'b' })
    expect(m.get(spec, { ...manifest })).toEqual({ column: 'a' })
    expect(m.get(spec, manifest, { ...DEFAULT_LIMITS, maxCostMs: 1 })).toEqual({ column: 'a' })
    expect(m.calls()).toBe(4)
  })

  it('hands out frozen answers, so no caller changes what the next one gets', () => {
    const m = counted()
    const answer = m.get(spec)
    expect(() => {
      ;(answer as { column: string }).column = 'x'
    }).toThrow(TypeError)
    expect(m.get(spec).column).toBe('a')
  })

  it('remembers nothing that threw, and keeps at most its bound a vault', () => {
    const memo = new SpecMemo<number>(2)
    let calls = 0
    const fail = () => {
      calls++
      throw new Error('does not compile')
    }
    expect(() => memo.get(manifest, DEFAULT_LIMITS, spec, fail)).toThrow('does not compile')
    expect(() => memo.get(manifest, DEFAULT_LIMITS, spec, fail)).toThrow('does not compile')
    expect(calls).toBe(2)
    const m = counted(2)
    for (const column of ['a', 'b', 'c']) m.get({ stats: [{ column }] })
    m.get({ stats: [{ column: 'c' }] })
    expect(m.calls()).toBe(3)
    // 'a' was evicted by the bound: computed again, and right.
    expect(m.get({ stats: [{ column: 'a' }] })).toEqual({ column: 'a' })
    expect(m.calls()).toBe(4)
  })
})
