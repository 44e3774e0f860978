import { readFileSync } from 'node:fs'
import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { PolicySchema, parseSpecJson, VaultSchemaSchema } from '../../sandbox/index.ts'
import { ageBucket, generateHeartCsv, HEADER } from './generate.ts'

const here = (f: string) => new URL(`./${f}`, import.meta.url)

describe('demo dataset', () => {
  it('is exactly what the seeded generator produces', () => {
    expect(readFileSync(here('heart.csv'), 'utf8')).toBe(generateHeartCsv(10_000, 42))
  })

  it('has its documented shape: missing cells and the planted relationships', () => {
    const rows = parse(readFileSync(here('heart.csv')), { columns: true }) as Record<string, string>[]
    expect(Object.keys(rows[0]!)).toEqual([...HEADER])
    const missing = (c: string) => rows.filter((r) => r[c] === '').length / rows.length
    expect(missing('bmi')).toBeGreaterThan(0.02)
    expect(missing('bmi')).toBeLessThan(0.04)
    expect(missing('daily_steps')).toBeGreaterThan(0.03)
    expect(rows.every((r) => r.age_bucket === ageBucket(Number(r.age)))).toBe(true)
    const smokers = rows.filter((r) => r.smoker === 'true')
    const mean = (rs: typeof rows) => rs.reduce((a, r) => a + Number(r.systolic_bp), 0) / rs.length
    expect(mean(smokers) - mean(rows.filter((r) => r.smoker === 'false'))).toBeGreaterThan(4)
  })

  it('ships a schema, policy and spec that validate', () => {
    VaultSchemaSchema.parse(JSON.parse(readFileSync(here('schema.json'), 'utf8')))
    PolicySchema.parse(JSON.parse(readFileSync(here('policy.json'), 'utf8')))
    parseSpecJson(readFileSync(here('algo.json'), 'utf8'))
  })
})
