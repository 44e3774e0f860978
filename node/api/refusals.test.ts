import { describe, expect, it } from 'vitest'
import { CompileError } from '../../sandbox/index.ts'
import {
  MalformedRequest,
  NodeBusy,
  NotPermitted,
  QuotaExceeded,
  Refused,
  StateConflict,
  TooManyPending,
  Unauthenticated,
} from '../errors.ts'
import { refusalAnswer } from './refusals.ts'
import { ApiError } from './service.ts'

describe('refusalAnswer', () => {
  it('answers each kind of domain refusal with its one status, code, message and details', () => {
    const cases = [
      [new MalformedRequest('MALFORMED', 'm'), 400],
      [new Unauthenticated('BAD_SIGNATURE', 'm'), 401],
      [new NotPermitted('NOT_VAULT_OWNER', 'm'), 403],
      [new StateConflict('JOB_CLOSED', 'm'), 409],
      [new QuotaExceeded('QUOTA_EXCEEDED', 'm'), 413],
      [new Refused('BLOBS_MISSING', 'm', { missing: ['0x01'] }), 422],
      [new TooManyPending('TOO_MANY_PENDING', 'm'), 429],
      [new NodeBusy('PENDING_FULL', 'm'), 503],
    ] as const
    for (const [refusal, status] of cases) {
      expect(refusalAnswer(refusal)).toEqual({
        status,
        body: { error: { code: refusal.code, message: 'm', ...refusal.details } },
      })
    }
  })

  it("keeps the API's own status and names the field of a sandbox error", () => {
    expect(refusalAnswer(new ApiError(404, 'JOB_NOT_FOUND', 'no job'))).toEqual({
      status: 404,
      body: { error: { code: 'JOB_NOT_FOUND', message: 'no job' } },
    })
    const compile = new CompileError('UNKNOWN_COLUMN', 'no such column', { field: 'outputs.x.of' })
    expect(refusalAnswer(compile)).toMatchObject({
      status: 422,
      body: { error: { code: 'UNKNOWN_COLUMN', field: 'outputs.x.of' } },
    })
  })

  it('leaves anything else to the server', () => {
    expect(refusalAnswer(new Error('boom'))).toBeUndefined()
    expect(refusalAnswer('not an error')).toBeUndefined()
  })
})
