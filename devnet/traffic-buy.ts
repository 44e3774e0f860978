/**
 * The traffic scenario's purchase: a city planner buys the heatmap of trips per cell and hour and
 * the mean speed per cell on the pool's snapshot, the committee releases it to the planner alone,
 * the validators settle the escrow, and the contributors' share is claimed on chain.
 */
import { Client, type JobSettlement, type PoolJobResult, poolResult } from '../node/index.ts'
import type { Address, Hex32 } from '../protocol/index.ts'
import { type AlgorithmSpec, RELEASE_ERROR_FACTOR } from '../sandbox/index.ts'
import type { Say } from './demo.ts'
import { DevnetError } from './errors.ts'
import type { TrafficGrid, TrafficTruth } from './traffic.ts'

export interface TrafficPurchase {
  readonly jobId: Hex32
  readonly resultHash: Hex32
  readonly participants: readonly number[]
  readonly qualityScore: number
  readonly epsilon: number
  /** the released heatmap, cells[cell][hour bucket], null where suppressed */
  readonly trips: ReadonlyArray<ReadonlyArray<number | null>>
  readonly tripsError95: number
  /** the released mean speed per cell, null where suppressed */
  readonly speed: ReadonlyArray<number | null>
  readonly speedError95: number
  /** the gate a released number's noisy contributor count had to reach */
  readonly gate: number
  readonly checks: {
    readonly released: number
    readonly cells: number
    /** released cells within RELEASE_ERROR_FACTOR times the stated 95% error of the truth */
    readonly withinError: number
    /** released cells with fewer vehicles than the pool's minimum: must be 0 */
    readonly underMinimum: number
    readonly speedReleased: number
    readonly speedWithinError: number
  }
  readonly settlement: JobSettlement & { readonly byNode: boolean }
  /** contributors' payouts claimed on chain by a relayer, and their JobMarket balances after */
  readonly claims: ReadonlyArray<{
    readonly contributor: Address
    readonly contributions: number
    readonly total: number
    readonly amount: string
    readonly txHash?: Hex32
    readonly balance: string
  }>
}

export interface BuyOptions {
  readonly nodeUrl: string
  readonly buyerKey: Hex32
  /** sends the contributors' claims (anyone may: the vehicles hold no ETH for gas) */
  readonly relayerKey: Hex32
  readonly poolId: Hex32
  readonly snapshot: number
  readonly spec: AlgorithmSpec
  readonly truth: TrafficTruth
  readonly claimFor: readonly Address[]
  readonly say: Say
  readonly elapsed: () => string
  readonly timeoutMs?: number
  /** the planner's sealing key (default: a fresh one), so that `tcf job result` can open it again */
  readonly sealingKey?: Uint8Array
}

export async function buyHeatmap(options: BuyOptions): Promise<TrafficPurchase> {
  const { say, elapsed, truth } = options
  const buyer = new Client({ url: options.nodeUrl, key: options.buyerKey })
  const relayer = new Client({ url: options.nodeUrl, key: options.relayerKey })
  try {
    const job = await buyer.submitJob({
      vaultId: options.poolId,
      spec: options.spec,
      ...(options.sealingKey ? { sealingKey: options.sealingKey } : {}),
    })
    say(
      `[${elapsed()}] city planner opened escrow and submitted job ${job.jobId} on snapshot ${options.snapshot}`,
    )
    await buyer.waitForJob(job.jobId, ['released'], {
      timeoutMs: options.timeoutMs ?? 180_000,
      onStage: (stage) => say(`[${elapsed()}]   ${stage}`),
    })
    const result = await poolResult(buyer, job.jobId, job.sealingKey.privateKey, { waitMs: 120_000 })
    say(`[${elapsed()}] planner opened the release from members ${result.participants.join(', ')}`)
    // The validators settle once the release's block is anchored; nobody asks them to.
    let record = await buyer.job(job.jobId)
    for (const deadline = Date.now() + 90_000; !record.settlement && Date.now() < deadline; ) {
      await new Promise((ok) => setTimeout(ok, 500))
      record = await buyer.job(job.jobId)
    }
    const settled = await buyer.settle(job.jobId)
    const settlement = { ...settled, byNode: record.settlement !== undefined && !settled.sentNow }
    say(`[${elapsed()}] escrow ${settled.status} in tx ${settled.txHash}`)
    const chain = await relayer.chain()
    const claims = []
    for (const contributor of options.claimFor) {
      const claimed = await relayer.claimPayout(job.jobId, contributor)
      const balance = await chain.market.balance(contributor)
      claims.push({
        contributor,
        contributions: claimed.contributions,
        total: claimed.total,
        amount: claimed.amount.toString(),
        ...(claimed.txHash ? { txHash: claimed.txHash } : {}),
        balance: balance.toString(),
      })
    }
    return { ...judged(result, truth), jobId: job.jobId, settlement, claims }
  } finally {
    await Promise.all([buyer.close(), relayer.close()])
  }
}

/**
 * The release against the plaintext truth: each released number within RELEASE_ERROR_FACTOR times its
 * stated 95% error (sandbox/reference/within-error.ts says why that factor).
 */
function judged(
  result: PoolJobResult,
  truth: TrafficTruth,
): Omit<TrafficPurchase, 'jobId' | 'settlement' | 'claims'> {
  const trips = result.outputs.trips
  const speed = result.outputs.speed
  if (!trips || 'withheld' in trips || trips.op !== 'histogram2d')
    throw new DevnetError('SCENARIO_FAILED', `the heatmap was not released: ${JSON.stringify(trips)}`)
  if (!speed || 'withheld' in speed || speed.op !== 'group_mean')
    throw new DevnetError('SCENARIO_FAILED', `the speeds were not released: ${JSON.stringify(speed)}`)
  const tripsError95 = trips.error95?.cell ?? 0
  // A group mean states an error per group (`mean:g0`) and one for the counts: the widest mean's.
  const speedError95 = Math.max(
    0,
    ...Object.entries(speed.error95 ?? {}).flatMap(([k, v]) => (k.startsWith('mean:') ? [v] : [])),
  )
  const minimum = result.plan.minContributors
  let released = 0
  let withinError = 0
  let underMinimum = 0
  for (const [c, row] of trips.cells.entries()) {
    for (const [b, v] of row.entries()) {
      if (v === null) continue
      released++
      if (Math.abs(v - truth.trips[c]![b]!) <= RELEASE_ERROR_FACTOR * tripsError95) withinError++
      if (truth.vehiclesPerCell[c]![b]! < minimum) underMinimum++
    }
  }
  const means = truth.speed.map((_, c) => speed.groups[`g${c}`]?.mean ?? null)
  const speedReleased = means.filter((m) => m !== null).length
  const speedWithinError = means.filter((m, c) => {
    const t = truth.speed[c]!
    return m !== null && t.count > 0 && Math.abs(m - t.sum / t.count) <= RELEASE_ERROR_FACTOR * speedError95
  }).length
  return {
    resultHash: result.resultHash,
    participants: result.participants,
    qualityScore: result.qualityScore,
    epsilon: result.epsilon,
    trips: trips.cells,
    tripsError95,
    speed: means,
    speedError95,
    gate: result.plan.gates.find((g) => g.output === 'trips')?.threshold ?? 0,
    checks: {
      released,
      cells: trips.cells.flat().length,
      withinError,
      underMinimum,
      speedReleased,
      speedWithinError,
    },
  }
}

const SHADES = ' .:-=+*#%@'

/** A heatmap as terminal lines: a row per cell, a column per hour bucket, shaded and numbered. */
export function heatmapLines(
  cells: ReadonlyArray<ReadonlyArray<number | null>>,
  grid: TrafficGrid,
): string[] {
  const max = Math.max(1, ...cells.flat().map((v) => v ?? 0))
  const hours = grid.hourEdges
    .slice(0, -1)
    .map((e, i) => `${e}-${grid.hourEdges[i + 1]}h`.padStart(7))
    .join('')
  const shade = (v: number | null) =>
    v === null
      ? '??'
      : SHADES[Math.min(SHADES.length - 1, Math.floor((Math.max(0, v) / max) * (SHADES.length - 1)))]!.repeat(
          2,
        )
  return [
    `      ${' '.repeat(2 * (grid.hourEdges.length - 1))}  ${hours}`,
    ...cells.map(
      (row, c) =>
        `g${String(c).padEnd(3)}  ${row.map(shade).join('')}  ${row.map((v) => (v === null ? 'supp.' : String(Math.round(v))).padStart(7)).join('')}`,
    ),
  ]
}

export function printPurchase(p: TrafficPurchase, grid: TrafficGrid, truth: TrafficTruth, say: Say): void {
  const c = p.checks
  say(`\n  the city planner's job ${p.jobId}`)
  say(
    `  released to the planner alone from the shares of members ${p.participants.join(', ')}; quality score ${(p.qualityScore / 1e6).toFixed(4)}; epsilon ${p.epsilon} of every vehicle's budget`,
  )
  say(
    `  trips per cell and hour (tcf, ±${p.tripsError95.toFixed(1)} stated 95% error; ?? = suppressed: its noisy count of vehicles is under the gate ${p.gate.toFixed(1)}, for a minimum of ${grid.minContributors}):`,
  )
  for (const line of heatmapLines(p.trips, grid)) say(`    ${line}`)
  say('  plaintext truth:')
  for (const line of heatmapLines(truth.trips, grid)) say(`    ${line}`)
  say(
    `  ${c.released} of ${c.cells} cells released, ${c.withinError} within ${RELEASE_ERROR_FACTOR}x the stated error of the truth; released cells with fewer than ${grid.minContributors} vehicles: ${c.underMinimum}`,
  )
  say(`  mean speed per cell (tcf ±${p.speedError95.toFixed(1)} km/h | truth):`)
  say(
    `    ${p.speed
      .map((m, i) => {
        const t = truth.speed[i]!
        return `g${i} ${m === null ? 'supp.' : m.toFixed(1)} | ${t.count ? (t.sum / t.count).toFixed(1) : '-'}`
      })
      .join('   ')}`,
  )
  const s = p.settlement
  say(
    `\n  settlement: ${s.status} in tx ${s.txHash}${s.byNode ? ' (by the validators, unasked)' : ''}; held for the contributors ${s.heldForContributors ?? '0'} wei; the curator credited ${s.owner ? s.owner.amount : 'nothing'}`,
  )
  for (const claim of p.claims) {
    say(
      `  contributor ${claim.contributor}: ${claim.contributions} of ${claim.total} contributions, ${claim.amount} wei claimed${claim.txHash ? ` in tx ${claim.txHash}` : ' (before)'}; JobMarket balance ${claim.balance} wei`,
    )
  }
}
