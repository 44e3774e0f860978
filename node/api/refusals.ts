import { isSandboxError } from '../../sandbox/index.ts'
import {
  MalformedRequest,
  NodeBusy,
  NotPermitted,
  QuotaExceeded,
  Refusal,
  Refused,
  StateConflict,
  TooManyPending,
  Unauthenticated,
} from '../errors.ts'
import { ApiError } from './service.ts'

/** What the API answers a refusal with: a status and `{ error: { code, message, ...details } }`. */
export interface RefusalAnswer {
  readonly status: number
  readonly body: { readonly error: Readonly<Record<string, unknown>> & { code: string; message: string } }
}

/** The one place a kind of domain refusal becomes an HTTP status. */
const STATUS_OF = new Map<abstract new (...args: never[]) => Refusal, number>([
  [MalformedRequest, 400],
  [Unauthenticated, 401],
  [NotPermitted, 403],
  [StateConflict, 409],
  [QuotaExceeded, 413],
  [Refused, 422],
  [TooManyPending, 429],
  [NodeBusy, 503],
])

/**
 * The answer to an error the API can explain: a domain refusal by its kind, the API's own
 * refusals by their status, a sandbox error (the spec or manifest at fault) as 422 naming the
 * field. Anything else is undefined: the server decides.
 */
export function refusalAnswer(error: unknown): RefusalAnswer | undefined {
  if (error instanceof ApiError) return answer(error.status, error.code, error.message, error.details)
  if (error instanceof Refusal) {
    for (const [kind, status] of STATUS_OF)
      if (error instanceof kind) return answer(status, error.code, error.message, error.details)
  }
  if (isSandboxError(error))
    return answer(422, error.code, error.message, error.field ? { field: error.field } : undefined)
  return undefined
}

function answer(
  status: number,
  code: string,
  message: string,
  details: Readonly<Record<string, unknown>> | undefined,
): RefusalAnswer {
  return { status, body: { error: { code, message, ...details } } }
}
