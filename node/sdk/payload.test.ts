import { describe, expect, it } from 'vitest'
import { decodePayload, encodePayload, type ResultPayload } from './payload.ts'

const hash = `0x${'ab'.repeat(32)}` as const

describe('the result payload', () => {
  it('carries heatmaps, group means and quantiles through sealing, suppressed entries as null', () => {
    const payload: ResultPayload = {
      version: 1,
      jobId: hash,
      vaultId: hash,
      resultHash: hash,
      certifiedHeight: 7,
      outputs: {
        heat: {
          op: 'histogram2d',
          rows: ['F', 'M'],
          columns: ['young', 'old'],
          cells: [
            [120, null],
            [0, 98],
          ],
          n: 240,
          epsilon: 1,
          error95: { cell: 3.1 },
          grid: { cell: 1 },
        },
        hr: {
          op: 'group_mean',
          groups: { young: { mean: 71.5, count: 130 }, old: null },
          n: 240,
          error95: { count: 9.4, 'mean:young': 0.44 },
        },
        sbp: { op: 'quantiles', quantiles: { '0.5': 130, '0.99': null }, n: 240, error95: { '0.5': 10 } },
      },
      quality: {
        score: 1,
        components: { sampleSize: 1, completeness: 1, plausibility: 1, fitness: 1 },
        details: [],
      },
    }
    expect(decodePayload(encodePayload(payload))).toEqual(payload)
  })

  it('refuses a heatmap whose cells are not numbers', () => {
    const bad = {
      version: 1,
      jobId: hash,
      vaultId: hash,
      resultHash: hash,
      certifiedHeight: 7,
      outputs: { heat: { op: 'histogram2d', rows: ['a'], columns: ['b'], cells: [['x']], n: 1 } },
      quality: {
        score: 1,
        components: { sampleSize: 1, completeness: 1, plausibility: 1, fitness: 1 },
        details: [],
      },
    }
    expect(() => decodePayload(new TextEncoder().encode(JSON.stringify(bad)))).toThrow(
      expect.objectContaining({ code: 'BAD_RELEASE' }),
    )
  })
})
