import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { Hex32 } from '../protocol/index.ts'
import { hex32Of as idOf } from '../protocol/testing/hex32.ts'
import type { VaultManifest } from '../sandbox/index.ts'
import type { VaultWarmth } from './jobs/executor.ts'
import type { ChainVault } from './ports.ts'
import { VaultWarmer, type VaultWarmerDeps } from './vault-warmer.ts'

const logger = pino({ level: 'silent' })
const WARMTH: VaultWarmth = {
  fetchMs: 1,
  ingestMs: 1,
  contextMs: 0,
  keysMs: 0,
  chunksMs: 1,
  ciphertexts: 2,
  workers: 1,
}

/** A vault of `ciphertexts` chunks in one column: only the fields the warmer reads. */
function manifestOf(vaultId: Hex32, ciphertexts = 2, pool = false): VaultManifest {
  return {
    vaultId,
    columns: [{ name: 'x', chunks: Array.from({ length: ciphertexts }, (_, i) => idOf(1000 + i)) }],
    ...(pool ? { pool: {} } : {}),
  } as unknown as VaultManifest
}

/** The chain's registrations as a list of blocks, and a warm that records what it was asked. */
function harness(init: { vaults?: Map<Hex32, VaultManifest>; inactive?: Set<Hex32> } = {}) {
  const blocks: Hex32[][] = [[]]
  const vaults = init.vaults ?? new Map<Hex32, VaultManifest>()
  const warmed: Hex32[] = []
  let running = 0
  let mostAtOnce = 0
  let release: (() => void) | undefined
  let hold = false
  const deps: VaultWarmerDeps = {
    chain: {
      latestBlock: async () => blocks.length - 1,
      vaultsChanged: async (from, to) => blocks.slice(from, to + 1).flat(),
      vault: async (id): Promise<ChainVault | undefined> =>
        vaults.has(id)
          ? { owner: `0x${'22'.repeat(20)}`, active: !init.inactive?.has(id), manifestHash: id, price: 0n }
          : undefined,
    },
    manifest: async (id) => {
      const m = vaults.get(id)
      if (!m) throw new Error(`no manifest ${id}`)
      return m
    },
    warm: async (manifest, idle) => {
      running++
      mostAtOnce = Math.max(mostAtOnce, running)
      await idle()
      if (hold) await new Promise<void>((r) => (release = r))
      warmed.push(manifest.vaultId as Hex32)
      running--
      return WARMTH
    },
    jobsWaiting: () => false,
    logger,
    limits: { pollMs: 10, maxQueued: 3, maxCiphertexts: 8, attempts: 3 },
    retryMs: 5,
  }
  return {
    deps,
    blocks,
    vaults,
    warmed,
    mostAtOnce: () => mostAtOnce,
    holdWarms: () => {
      hold = true
    },
    releaseOne: () => release?.(),
  }
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await sleep(10)
  if (!cond()) throw new Error(`timed out waiting for ${what}`)
}

describe('VaultWarmer', () => {
  it('warms a vault registered on chain after it started, and not those registered before', async () => {
    const h = harness()
    h.vaults.set(idOf(1), manifestOf(idOf(1)))
    h.vaults.set(idOf(2), manifestOf(idOf(2)))
    h.blocks.push([idOf(1)])
    const warmer = new VaultWarmer(h.deps)
    warmer.start()
    try {
      await sleep(50)
      h.blocks.push([idOf(2)])
      await until(() => h.warmed.length === 1, 'the new vault warmed')
      expect(h.warmed).toEqual([idOf(2)])
      // Seen again (its terms updated, say): warmed once.
      h.blocks.push([idOf(2)])
      await sleep(50)
      expect(h.warmed).toEqual([idOf(2)])
    } finally {
      warmer.stop()
    }
  })

  it('readies the vaults it held before its start', async () => {
    const h = harness()
    h.vaults.set(idOf(7), manifestOf(idOf(7)))
    const warmer = new VaultWarmer({ ...h.deps, stored: async () => [idOf(7)] })
    warmer.start()
    await until(() => h.warmed.length === 1, 'the stored vault warmed')
    expect(h.warmed).toEqual([idOf(7)])
    warmer.stop()
  })

  it('a spammer registering many vaults gets at most the queue warmed, one at a time', async () => {
    const h = harness()
    for (let i = 1; i <= 100; i++) h.vaults.set(idOf(i), manifestOf(idOf(i)))
    h.holdWarms()
    const warmer = new VaultWarmer(h.deps)
    warmer.start()
    const offers = Array.from({ length: 100 }, (_, i) => warmer.offer(idOf(i + 1)))
    // One is being warmed (taken off the queue), three wait; the other 96 are left to their first job.
    expect(offers.filter((o) => o === 'queued')).toHaveLength(4)
    expect(offers.filter((o) => o === 'full')).toHaveLength(96)
    expect(warmer.offer(idOf(1))).toBe('known')
    for (let i = 0; i < 4; i++) {
      await until(() => h.warmed.length === i, `warm ${i}`)
      await sleep(10)
      h.releaseOne()
    }
    await until(() => h.warmed.length === 4, 'the queued vaults warmed')
    expect(h.mostAtOnce()).toBe(1)
    warmer.stop()
  })

  it('declines a vault over the size cap, a pool and a deactivated vault without fetching any', async () => {
    const big = idOf(1)
    const pool = idOf(2)
    const inactive = idOf(3)
    const ok = idOf(4)
    const h = harness({ inactive: new Set([inactive]) })
    h.vaults.set(big, manifestOf(big, 9))
    h.vaults.set(pool, manifestOf(pool, 2, true))
    h.vaults.set(inactive, manifestOf(inactive))
    h.vaults.set(ok, manifestOf(ok, 8))
    const warmer = new VaultWarmer(h.deps)
    warmer.start()
    for (const id of [big, pool, inactive, ok]) warmer.offer(id)
    await until(() => h.warmed.length === 1, 'the eligible vault warmed')
    await sleep(50)
    expect(h.warmed).toEqual([ok])
    warmer.stop()
  })

  it('warms at most its hourly ciphertexts, however many vaults are registered', async () => {
    const h = harness()
    for (let i = 1; i <= 12; i++) h.vaults.set(idOf(i), manifestOf(idOf(i), 4))
    let now = 0
    const warmer = new VaultWarmer({
      ...h.deps,
      now: () => now,
      limits: { ...h.deps.limits, maxQueued: 100, maxCiphertextsPerHour: 10 },
    })
    warmer.start()
    for (let i = 1; i <= 6; i++) warmer.offer(idOf(i))
    await sleep(100)
    // 4 + 4 ciphertexts fit in the hour's 10; the other four vaults are left to their first job.
    expect(h.warmed).toEqual([idOf(1), idOf(2)])
    now += 60 * 60_000
    for (let i = 7; i <= 12; i++) warmer.offer(idOf(i))
    await until(() => h.warmed.length === 4, 'the next hour')
    await sleep(50)
    expect(h.warmed.slice(2)).toEqual([idOf(7), idOf(8)])
    warmer.stop()
  })

  it('warms only while no job waits for a worker', async () => {
    const h = harness()
    h.vaults.set(idOf(1), manifestOf(idOf(1)))
    let jobsWaiting = true
    const warmer = new VaultWarmer({ ...h.deps, jobsWaiting: () => jobsWaiting })
    warmer.start()
    warmer.offer(idOf(1))
    await sleep(200)
    expect(h.warmed).toEqual([])
    jobsWaiting = false
    await until(() => h.warmed.length === 1, 'warmed once the jobs are done')
    warmer.stop()
  })

  it('retries a vault whose manifest is not published yet, and gives up after its attempts', async () => {
    const h = harness()
    const late = idOf(1)
    const never = idOf(2)
    let asked = 0
    const manifest = h.deps.manifest
    const warmer = new VaultWarmer({
      ...h.deps,
      retryMs: 40,
      chain: {
        ...h.deps.chain,
        vault: async () => ({ owner: `0x${'22'.repeat(20)}`, active: true, manifestHash: late, price: 0n }),
      },
      manifest: (id) => {
        if (id === never) asked++
        return manifest(id)
      },
    })
    warmer.start()
    warmer.offer(late)
    warmer.offer(never)
    await sleep(60)
    h.vaults.set(late, manifestOf(late)) // published after its registration
    await until(() => h.warmed.length === 1, 'the late vault warmed')
    await sleep(100)
    expect(h.warmed).toEqual([late])
    expect(asked).toBe(3)
    warmer.stop()
  })
})
