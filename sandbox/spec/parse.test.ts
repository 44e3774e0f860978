import { describe, expect, it } from 'vitest'
import { deepFreeze } from '../../protocol/index.ts'
import { SandboxError } from '../errors.ts'
import { minQualityOf } from './min-quality.ts'
import { parseSpec, parseSpecJson } from './parse.ts'

function specError(value: unknown): SandboxError {
  try {
    parseSpec(value)
  } catch (e) {
    expect(e).toBeInstanceOf(SandboxError)
    return e as SandboxError
  }
  throw new Error('expected SPEC_INVALID')
}

describe('parseSpec', () => {
  it('accepts the brief example shape and fills expect', () => {
    const spec = parseSpec({
      version: 1,
      outputs: {
        mean_hr: { op: 'mean', of: 'heart_rate' },
        corr: { op: 'correlation', of: ['age', 'systolic_bp'] },
        fit: {
          op: 'linear_model_fit',
          model: { weights: { age: 0.4, 'bmi^2': 1.1 }, bias: 60 },
          label: 'systolic_bp',
        },
      },
    })
    expect(spec.expect).toEqual({})
  })

  it.each([
    [{ version: 2, outputs: { a: { op: 'count' } } }, 'version'],
    [{ version: 1, outputs: {} }, 'outputs'],
    [{ version: 1, outputs: { a: { op: 'median', of: 'x' } } }, 'outputs.a.op'],
    [{ version: 1, outputs: { a: { op: 'mean', of: 'x+y' } } }, 'outputs.a.of'],
    [{ version: 1, outputs: { a: { op: 'mean', of: 'x', code: 'rm -rf' } } }, 'outputs.a'],
    [{ version: 1, outputs: { a: { op: 'correlation', of: ['x'] } } }, 'outputs.a.of'],
    [{ version: 1, outputs: { 'bad name': { op: 'count' } } }, 'outputs.bad name'],
    [{ version: 1, outputs: { a: { op: 'count' } }, expect: { minR2: 2 } }, 'expect.minR2'],
    [{ version: 1, outputs: { a: { op: 'count' } }, expect: { minQuality: 1.01 } }, 'expect.minQuality'],
    [{ version: 1, outputs: { a: { op: 'count' } }, expect: { minQuality: -0.1 } }, 'expect.minQuality'],
    [{ version: 1, outputs: { a: { op: 'count' } }, expect: { minQuality: '0.9' } }, 'expect.minQuality'],
    [{ version: 1, outputs: { a: { op: 'count' } }, expect: { minQuality: 0.9999995 } }, 'expect.minQuality'],
  ])('names the offending field of %j', (value, field) => {
    const e = specError(value)
    expect(e.code).toBe('SPEC_INVALID')
    expect(e.field).toBe(field)
  })

  it('reads the least quality paid for in the fixed point of the signed score, 0 when unstated', () => {
    const spec = (minQuality?: number) =>
      parseSpec({
        version: 1,
        outputs: { a: { op: 'count' } },
        ...(minQuality === undefined ? {} : { expect: { minQuality } }),
      })
    expect(minQualityOf(spec())).toBe(0)
    expect(minQualityOf(spec(0.99))).toBe(990_000)
    expect(minQualityOf(spec(0.57))).toBe(570_000)
    expect(minQualityOf(spec(0.123456))).toBe(123_456)
    expect(minQualityOf(spec(1))).toBe(1_000_000)
  })

  it('rejects text that is not JSON', () => {
    expect(() => parseSpecJson('{ version: 1')).toThrow(expect.objectContaining({ code: 'SPEC_INVALID' }))
  })
})

describe('parseSpec of a deeply frozen spec', () => {
  const spec = () => ({ version: 1, outputs: { mean_hr: { op: 'mean', of: 'heart_rate' } } })

  it('parses it once: every later call gets the same frozen spec', () => {
    const value = deepFreeze(spec())
    const first = parseSpec(value)
    expect(Object.isFrozen(first.outputs)).toBe(true)
    expect(parseSpec(value)).toBe(first)
    expect(first).toEqual(parseSpec(spec()))
  })

  it('parses anything that could still change every time, and refuses an invalid frozen spec every time', () => {
    const open = spec()
    expect(parseSpec(open)).not.toBe(parseSpec(open))
    // Frozen on top only: its outputs could still change, so nothing is remembered.
    const shallow = Object.freeze(spec())
    expect(parseSpec(shallow)).not.toBe(parseSpec(shallow))
    const invalid = deepFreeze({ version: 1, outputs: { x: { op: 'mean', of: 7 } } })
    expect(specError(invalid).code).toBe('SPEC_INVALID')
    expect(specError(invalid).code).toBe('SPEC_INVALID')
  })
})
