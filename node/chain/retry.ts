import { isError } from 'ethers'
import { ChainError } from './errors.ts'

export interface RetryPolicy {
  /** Total attempts, the first included. */
  readonly attempts: number
  readonly baseDelayMs: number
  readonly maxDelayMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 200, maxDelayMs: 3_000 }

// Socket-level failures surface from ethers as the raw Node error (e.g. code ECONNREFUSED).
const TRANSIENT_SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
])

/** Whether an RPC failure may go away by itself: the node is down, restarting or overloaded. */
export function isTransient(error: unknown): boolean {
  if (isError(error, 'NETWORK_ERROR') || isError(error, 'SERVER_ERROR') || isError(error, 'TIMEOUT'))
    return true
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && TRANSIENT_SOCKET_CODES.has(code)) return true
  }
  return false
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs `call`, retrying transient RPC failures with exponential backoff. Anything else (a revert, a
 * refused transaction) is not retried: doing it again would fail again. When the retries run out
 * the last failure is wrapped in RPC_UNAVAILABLE.
 */
export async function withRetry<T>(
  what: string,
  call: () => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      if (!isTransient(error)) throw error
      if (attempt >= policy.attempts) {
        throw new ChainError('RPC_UNAVAILABLE', `${what}: RPC failed ${attempt} times: ${String(error)}`, {
          cause: error,
        })
      }
      await sleep(Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)))
    }
  }
}
