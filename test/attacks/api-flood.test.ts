import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type SingleNode, startSingleNode } from '../support/single-node.ts'

/**
 * The signer-keyed rate limit runs once a body is parsed (the signature
 * covers it). A client sending bodies that never parse, or asking for routes
 * that do not exist, must be counted anyway.
 */
const RATE_LIMIT = 10

let one: SingleNode
beforeAll(async () => {
  one = await startSingleNode({ api: { rateLimitPerMinute: RATE_LIMIT }, node: { gcIntervalMs: 0 } })
}, 120_000)
afterAll(async () => {
  await one?.stop()
})

describe('API flood', () => {
  it('unparseable bodies and unknown routes do not escape the per-IP limit', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 10 * RATE_LIMIT; i++) {
      const response =
        i % 2 === 0
          ? await fetch(`${one.url}/v1/jobs`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: `{"not json${'x'.repeat(10_000)}`,
            })
          : await fetch(`${one.url}/v1/no-such-route/${i}`)
      await response.arrayBuffer()
      statuses.push(response.status)
    }
    const served = statuses.filter((s) => s !== 429).length
    // At most the per-IP ceiling: a few times one client's share, far below what was sent.
    expect(served).toBeLessThanOrEqual(4 * RATE_LIMIT)
  })
})
