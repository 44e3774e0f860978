import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Client, ClientError } from '../../node/sdk/index.ts'
import type { Hex32 } from '../../protocol/index.ts'
import { compile, DEFAULT_LIMITS, readManifest } from '../../sandbox/index.ts'
import { REGRESSION_SPEC, REGRESSION_VAULT } from '../../sandbox/testing/regression.ts'
import { type SingleNode, startSingleNode } from '../support/single-node.ts'

/**
 * Compile limits are a rule of the network, not a node's setting: every
 * node's block rules and every vault owner's agent compile a spec with the
 * same limits (the network's, lowered by the vault policy's maxCost). A
 * node configured otherwise must not judge blocks by its own numbers: that
 * splits honest nodes, and lets a node admit what the owner then refuses.
 */
let one: SingleNode
let seller: Client
let buyer: Client

beforeAll(async () => {
  // This operator wants no job over 1 ms of estimated work on its machine.
  one = await startSingleNode({
    node: { limits: { maxCostMs: 1, maxMemoryBytes: 2 ** 20 }, gcIntervalMs: 0 },
  })
  seller = new Client({ url: one.url, key: one.chain.wallet(1).privateKey as Hex32 })
  buyer = new Client({ url: one.url, key: one.chain.wallet(2).privateKey as Hex32 })
  await seller.publishVault(REGRESSION_VAULT)
}, 180_000)
afterAll(async () => {
  await seller?.close()
  await buyer?.close()
  await one?.stop()
})

describe('compile limits', () => {
  it('a node with its own lower limits does not refuse by them what the network admits', async () => {
    const manifest = await readManifest(REGRESSION_VAULT)
    // The vault owner's agent compiles with the network's limits and accepts this spec.
    expect(() => compile(REGRESSION_SPEC, manifest, DEFAULT_LIMITS)).not.toThrow()
    const refusal = await buyer.submitJob({ vaultId: manifest.vaultId as Hex32, spec: REGRESSION_SPEC }).then(
      () => undefined,
      (e: unknown) => (e instanceof ClientError ? e.apiCode : String(e)),
    )
    // The node may decline to take the job itself, but not as a rule violation (COST_EXCEEDED) that
    // its block validation would then hold against every block carrying it.
    expect(refusal).toBe('OVER_LOCAL_CAPACITY')
  })
})
