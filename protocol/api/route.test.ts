import { describe, expect, it } from 'vitest'
import { pathOf, urlOf } from './route.ts'
import { ROUTES } from './routes.ts'

const id = `0x${'ab'.repeat(32)}` as const

describe('routes of the API contract', () => {
  it('fills path parameters and the query, leaving out what is undefined', () => {
    expect(pathOf(ROUTES.sealed, { id })).toBe(`/v1/jobs/${id}/sealed`)
    expect(urlOf(ROUTES.jobs, {}, { vault: id, stage: undefined })).toBe(`/v1/jobs?vault=${id}`)
    expect(urlOf(ROUTES.status, {})).toBe('/v1/status')
  })

  it('encodes a parameter, so that a value cannot reach another route', () => {
    expect(pathOf(ROUTES.job, { id: '0x00/sealed' })).toBe('/v1/jobs/0x00%2Fsealed')
  })

  it('refuses a missing path parameter', () => {
    expect(() => pathOf(ROUTES.block, {})).toThrow(/needs the parameter height/)
  })

  it('parses parameters as the server answers them: 400 codes for malformed ones', () => {
    expect(ROUTES.block.params.height.schema.safeParse('12').data).toBe(12)
    for (const bad of ['0', '-1', '1.5', 'x', '']) {
      expect(ROUTES.block.params.height.schema.safeParse(bad).success).toBe(false)
    }
    expect(ROUTES.job.params.id.schema.safeParse(id.toUpperCase().replace('0X', '0x')).success).toBe(false)
    expect(ROUTES.jobs.query.stage.schema.safeParse('released').success).toBe(true)
    expect(ROUTES.jobs.query.stage.code).toBe('BAD_STAGE')
  })
})
