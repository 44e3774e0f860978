import { describe, expect, it } from 'vitest'
import { ThresholdError } from './errors.ts'
import { bindInputs, Prg } from './prg.ts'

const seed = new Uint8Array(32).fill(7)

describe('Prg: deterministic sampling from a seed and a label', () => {
  it('gives the same stream for the same seed and label, another for another label', () => {
    const a = new Prg(seed, 'ckg/1').bytes(100)
    expect(new Prg(seed, 'ckg/1').bytes(100)).toEqual(a)
    expect(new Prg(seed, 'ckg/2').bytes(100)).not.toEqual(a)
  })

  it('samples uniform values below q', () => {
    const q = 1099510890497n
    const v = new Prg(seed, 'u').uniformMod(q, 20_000)
    expect(v.every((x) => x < q)).toBe(true)
    const mean = v.reduce((a, x) => a + Number(x), 0) / v.length
    // a uniform mean has standard error q/sqrt(12·20000) ≈ 0.002·q
    expect(Math.abs(mean / Number(q) - 0.5)).toBeLessThan(0.01)
  })

  it('samples ternary secrets evenly', () => {
    const v = new Prg(seed, 't').ternary(30_000)
    const counts = [-1, 0, 1].map((s) => v.filter((x) => x === s).length / v.length)
    for (const c of counts) expect(Math.abs(c - 1 / 3)).toBeLessThan(0.015)
  })

  it('samples the error Gaussian with σ ≈ 3.19, cut at 6σ', () => {
    const v = new Prg(seed, 'g').gaussian(30_000)
    const sd = Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length)
    expect(Math.abs(sd - 3.19)).toBeLessThan(0.1)
    expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(20)
  })

  it('samples smudging noise uniform in [-2^k, 2^k]', () => {
    const v = new Prg(seed, 's').smudging(20, 30_000)
    const bound = 1n << 20n
    expect(v.every((x) => x >= -bound && x <= bound)).toBe(true)
    const sd = Math.sqrt(v.reduce((a, x) => a + Number(x) ** 2, 0) / v.length)
    // uniform on [-B, B] has sd B/sqrt(3)
    expect(Math.abs(sd / (2 ** 20 / Math.sqrt(3)) - 1)).toBeLessThan(0.02)
  })

  it('refuses a short seed and an impossible smudging width', () => {
    expect(() => new Prg(new Uint8Array(16), 'x')).toThrow(ThresholdError)
    expect(() => new Prg(seed, 'x').smudging(0, 1)).toThrow(/smudgingBits/)
  })

  it('binds inputs unambiguously (lengths are part of the hash)', () => {
    expect(bindInputs(['ab', 'c'])).not.toEqual(bindInputs(['a', 'bc']))
  })
})
