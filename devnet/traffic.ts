/**
 * The traffic scenario of issue #14 (`npm run devnet -- --scenario traffic`): a city curates a
 * pool under the committee's key, simulated vehicles, each with its own signing key, contribute a
 * day of trips (grid cell, hour, speed), the network admits them by consensus into the pool's log,
 * and every validator ends with the same snapshot (aggregate bytes and counts) and the same
 * payouts tree. Also tried: a vehicle over its bound (two contributions sent to two nodes at once).
 */
import { join } from 'node:path'
import { Client, ClientError, createPool, PoolContributor } from '../node/index.ts'
import {
  type Address,
  addressOfPrivateKey,
  generatePrivateKey,
  type Hex32,
  type PoolSnapshotView,
  poolPayouts,
} from '../protocol/index.ts'
import { type AlgorithmSpec, type PoolRecord, parseSpec, type VaultSchema } from '../sandbox/index.ts'
import { awaitCommitteeKey, type Say } from './demo.ts'
import { DevnetError } from './errors.ts'
import { buyHeatmap, heatmapLines, printPurchase, type TrafficPurchase } from './traffic-buy.ts'

/**
 * The pool's terms: what a 1,000-vehicle run can release with the contributor as the privacy unit.
 * A released number must describe at least `minContributors` vehicles, with a false-release
 * probability of 2^-20; that gate's margin grows with the trips one vehicle may add
 * (`tripsPerDay`) over the epsilon the heatmap spends. So the scenario sells a coarse heatmap
 * (6 zones × 4 parts of the day), a commute of 2 trips per vehicle, at epsilon 8 for the heatmap
 * and 2 for the speeds (docs/pools.md, "The traffic scenario").
 */
export interface TrafficGrid {
  readonly cells: number
  /** the hour buckets' edges, 0 to 24 */
  readonly hourEdges: readonly number[]
  readonly tripsPerDay: number
  readonly minContributors: number
  readonly epsilon: { readonly trips: number; readonly speed: number }
}

export const DEFAULT_TRAFFIC_GRID: TrafficGrid = {
  cells: 6,
  hourEdges: [0, 8, 12, 17, 24],
  tripsPerDay: 2,
  minContributors: 10,
  epsilon: { trips: 8, speed: 2 },
}
const HOURS = 24

export function trafficSchema(grid: TrafficGrid): VaultSchema {
  return {
    columns: [
      {
        name: 'cell',
        type: 'categorical',
        categories: Array.from({ length: grid.cells }, (_, i) => `g${i}`),
        nullable: false,
      },
      { name: 'hour', type: 'bucketed', edges: [...grid.hourEdges], nullable: false },
      { name: 'speed', type: 'number', min: 0, max: 130, nullable: true },
    ],
  }
}

/** What the city planner buys: trips per cell and hour, and the mean speed per cell. */
export function trafficSpec(grid: TrafficGrid, snapshot?: number): AlgorithmSpec {
  return parseSpec({
    version: 1,
    outputs: {
      trips: { op: 'histogram2d', of: ['cell', 'hour'], epsilon: grid.epsilon.trips },
      speed: { op: 'group_mean', of: 'speed', by: 'cell', epsilon: grid.epsilon.speed },
    },
    ...(snapshot === undefined ? {} : { snapshot }),
  })
}

/** A small deterministic generator (mulberry32): the same fleet on every run. */
function generator(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32
  }
}

/** A vehicle's day: trips around its home cell, mostly at commuting hours, slower at rush hour. */
export function vehicleDay(vehicle: number, grid: TrafficGrid = DEFAULT_TRAFFIC_GRID): PoolRecord[] {
  const random = generator(vehicle + 1)
  const home = Math.floor(random() * grid.cells)
  return Array.from({ length: grid.tripsPerDay }, () => {
    const hour = random() < 0.6 ? [7, 8, 17, 18][Math.floor(random() * 4)]! : Math.floor(random() * HOURS)
    const cell = (home + Math.floor(random() * 3)) % grid.cells
    const rush = hour === 8 || hour === 17
    return {
      cell: `g${cell}`,
      hour,
      speed: random() < 0.05 ? null : Math.round((rush ? 25 : 45) + random() * 40),
    }
  })
}

/** The plaintext truth of the planner's job over the vehicles' days: trips per cell and hour bucket, speed per cell. */
export interface TrafficTruth {
  readonly trips: number[][]
  /** per cell: vehicles with a trip there (what a released number must describe at least minContributors of) */
  readonly vehiclesPerCell: number[][]
  readonly speed: Array<{ readonly sum: number; readonly count: number }>
}

export function trafficTruth(days: readonly PoolRecord[][], grid: TrafficGrid): TrafficTruth {
  const buckets = grid.hourEdges.length - 1
  const trips = Array.from({ length: grid.cells }, () => Array.from({ length: buckets }, () => 0))
  const vehiclesPerCell = Array.from({ length: grid.cells }, () => Array.from({ length: buckets }, () => 0))
  const speed = Array.from({ length: grid.cells }, () => ({ sum: 0, count: 0 }))
  for (const day of days) {
    const seen = new Set<string>()
    for (const trip of day) {
      const cell = Number(String(trip.cell).slice(1))
      const bucket = grid.hourEdges.findIndex(
        (e, i) => Number(trip.hour) >= e && Number(trip.hour) < grid.hourEdges[i + 1]!,
      )
      trips[cell]![bucket]!++
      if (!seen.has(`${cell}/${bucket}`)) vehiclesPerCell[cell]![bucket]!++
      seen.add(`${cell}/${bucket}`)
      if (trip.speed !== null) {
        speed[cell]!.sum += Number(trip.speed)
        speed[cell]!.count++
      }
    }
  }
  return { trips, vehiclesPerCell, speed }
}

export interface TrafficReport {
  readonly poolId: Hex32
  readonly vehicles: number
  readonly admitted: number
  readonly contributors: number
  readonly snapshotHeight: number
  /** the aggregate's blob id and payouts root, the same on every validator */
  readonly aggregate: Hex32
  readonly payoutsRoot: Hex32
  readonly sameOnAllNodes: boolean
  /** the vehicle that sent two contributions to two nodes at once: how many the log kept */
  readonly overBound: { readonly sent: number; readonly refusedAtIntake: number; readonly admitted: number }
  readonly encryptMsMedian: number
  readonly submitSeconds: number
  readonly admitSeconds: number
  readonly payouts: { readonly leaves: number; readonly total: number; readonly root: Hex32 }
  readonly grid: TrafficGrid
  /** plaintext truth over every admitted vehicle's day */
  readonly truth: TrafficTruth
  /** the city planner's purchase of the heatmap on the snapshot, when a buyer was given */
  readonly purchase?: TrafficPurchase
}

export interface TrafficOptions {
  readonly dir: string
  readonly nodeUrls: readonly string[]
  readonly curatorKey: Hex32
  readonly vehicles: number
  readonly say: Say
  readonly elapsed: () => string
  readonly timeoutMs?: number
  readonly grid?: TrafficGrid
  /** the city planner's key: it buys the heatmap on the snapshot, then the contributors are paid */
  readonly buyerKey?: Hex32
  /** the planner's sealing key (default: a fresh one) */
  readonly sealingKey?: Uint8Array
}

export async function runTrafficScenario(options: TrafficOptions): Promise<TrafficReport> {
  const { say, elapsed, nodeUrls } = options
  const grid = options.grid ?? DEFAULT_TRAFFIC_GRID
  const curator = new Client({ url: nodeUrls[0]!, key: options.curatorKey })
  const clients = nodeUrls.map((url) => new Client({ url }))
  const contributors: PoolContributor[] = []
  try {
    await awaitCommitteeKey(curator, say, elapsed, options.timeoutMs)
    const marked = await createPool(curator, addressOfPrivateKey(options.curatorKey), {
      schema: trafficSchema(grid),
      specs: [trafficSpec(grid)],
      policy: {
        allowedOps: ['histogram2d', 'group_mean'],
        minAggregation: 1,
        price: '1000000000000000',
        privacy: {
          epsilon: 10 * (grid.epsilon.trips + grid.epsilon.speed),
          maxEpsilonPerJob: grid.epsilon.trips + grid.epsilon.speed,
          unit: 'contributor',
        },
      },
      maxRecords: grid.tripsPerDay,
      bound: { perWindow: 1, windowBlocks: 100_000 },
      minContributors: grid.minContributors,
      out: join(options.dir, 'pool'),
    })
    const { manifest, published } = marked
    const poolId = manifest.vaultId as Hex32
    say(
      `[${elapsed()}] city curated pool ${poolId}: ${manifest.pool!.monomials.length} slots, registered on chain${published.registeredTx ? ` (tx ${published.registeredTx})` : ''}, marked a pool${marked.markedTx ? ` (tx ${marked.markedTx})` : ''}`,
    )
    for (const client of clients) contributors.push(await PoolContributor.open(client, poolId))

    // The fleet: each vehicle its own key, its day encrypted and sent to one of the nodes.
    const keys = Array.from({ length: options.vehicles }, () => generatePrivateKey())
    const encryptMs: number[] = []
    const submitStarted = performance.now()
    let next = 0
    const worker = async () => {
      while (next < keys.length) {
        const v = next++
        const started = performance.now()
        await contributors[v % contributors.length]!.contribute(vehicleDay(v, grid), keys[v]!, {
          sequence: 0,
        })
        encryptMs.push(performance.now() - started)
        if ((v + 1) % 100 === 0) say(`[${elapsed()}] ${v + 1} vehicles contributed`)
      }
    }
    await Promise.all(Array.from({ length: 2 * contributors.length }, worker))
    const submitSeconds = (performance.now() - submitStarted) / 1000
    say(`[${elapsed()}] ${keys.length} contributions accepted by the nodes in ${submitSeconds.toFixed(1)} s`)

    // The adversary: one more vehicle sends two contributions (bound: one per window) to two nodes at once.
    const greedy = generatePrivateKey()
    const attempts = await Promise.allSettled(
      [0, 1].map((i) =>
        contributors[i % contributors.length]!.contribute(vehicleDay(keys.length + i, grid), greedy, {
          sequence: i,
        }),
      ),
    )
    const refusedAtIntake = attempts.filter(
      (a) => a.status === 'rejected' && a.reason instanceof ClientError && a.reason.apiCode === 'OVER_BOUND',
    ).length
    const unexpected = attempts.find(
      (a) =>
        a.status === 'rejected' && !(a.reason instanceof ClientError && a.reason.apiCode === 'OVER_BOUND'),
    )
    if (unexpected?.status === 'rejected') throw unexpected.reason

    // Every node's log reaches every admitted contribution.
    const expected = keys.length + 1
    const admitStarted = performance.now()
    const deadline = Date.now() + (options.timeoutMs ?? 300_000)
    for (const client of clients) {
      for (;;) {
        const info = await client.pool(poolId)
        if (info.size >= expected && info.pending === 0) break
        if (Date.now() > deadline)
          throw new DevnetError(
            'SCENARIO_TIMEOUT',
            `${client.api.url} holds ${info.size} of ${expected} contributions`,
          )
        await new Promise((ok) => setTimeout(ok, 500))
      }
    }
    const admitSeconds = (performance.now() - admitStarted) / 1000
    const heads = await Promise.all(clients.map((c) => c.pool(poolId)))
    const head = Math.max(...heads.map((h) => h.head ?? 0))
    const snapshots = await Promise.all(clients.map((c) => c.poolSnapshot(poolId, head)))
    const first = snapshots[0]
    if (!first) throw new DevnetError('SCENARIO_FAILED', `no snapshot of pool ${poolId} at height ${head}`)
    const same = (s: PoolSnapshotView | undefined) =>
      s !== undefined &&
      s.height === first.height &&
      s.aggregate === first.aggregate &&
      s.payoutsRoot === first.payoutsRoot &&
      JSON.stringify(s.counts) === JSON.stringify(first.counts)
    const counts = new Map(first.counts.map((c) => [c.contributor as Address, c.contributions]))
    const payouts = poolPayouts(counts)
    const greedyAdmitted = counts.get(addressOfPrivateKey(greedy).toLowerCase() as Address) ?? 0
    const days = keys.map((_, v) => vehicleDay(v, grid))
    // The greedy vehicle's admitted contribution is one of its two days: whichever the log kept.
    const greedyDays = attempts.flatMap((a, i) =>
      a.status === 'fulfilled' ? [vehicleDay(keys.length + i, grid)] : [],
    )
    const truth = trafficTruth([...days, ...greedyDays.slice(0, greedyAdmitted)], grid)
    const purchase = options.buyerKey
      ? await buyHeatmap({
          nodeUrl: nodeUrls[0]!,
          buyerKey: options.buyerKey,
          relayerKey: options.curatorKey,
          poolId,
          snapshot: first.height,
          spec: trafficSpec(grid, first.height),
          truth,
          claimFor: keys.slice(0, 3).map((k) => addressOfPrivateKey(k)),
          say,
          elapsed,
          ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
          ...(options.sealingKey ? { sealingKey: options.sealingKey } : {}),
        })
      : undefined
    const sorted = [...encryptMs].sort((a, b) => a - b)
    return {
      poolId,
      vehicles: keys.length,
      admitted: first.count,
      contributors: first.contributors,
      snapshotHeight: first.height,
      aggregate: first.aggregate,
      payoutsRoot: first.payoutsRoot,
      sameOnAllNodes: snapshots.every(same),
      overBound: { sent: 2, refusedAtIntake, admitted: greedyAdmitted },
      encryptMsMedian: sorted[Math.floor(sorted.length / 2)] ?? 0,
      submitSeconds,
      admitSeconds,
      payouts: { leaves: payouts.leaves.length, total: payouts.total, root: payouts.root },
      grid,
      truth,
      ...(purchase ? { purchase } : {}),
    }
  } finally {
    for (const c of contributors) c.close()
    await Promise.all([curator, ...clients].map((c) => c.close()))
  }
}

/** The report as the devnet prints it, with the planner's heatmap beside the plaintext truth. */
export function printTrafficReport(report: TrafficReport, say: Say): void {
  say('')
  say(`pool ${report.poolId}`)
  say(
    `  ${report.admitted} contributions from ${report.contributors} contributors admitted by consensus, snapshot at height ${report.snapshotHeight}`,
  )
  say(`  aggregate ${report.aggregate}, payouts root ${report.payoutsRoot}`)
  say(`  the same snapshot on every validator: ${report.sameOnAllNodes ? 'yes' : 'NO'}`)
  say(
    `  bound (1 per window): a vehicle sent ${report.overBound.sent} to two nodes at once; ${report.overBound.refusedAtIntake} refused at intake, ${report.overBound.admitted} admitted`,
  )
  say(
    `  contribute (encrypt + sign + submit): median ${report.encryptMsMedian.toFixed(0)} ms; all accepted in ${report.submitSeconds.toFixed(1)} s, all admitted on every node ${report.admitSeconds.toFixed(1)} s later`,
  )
  say(
    `  payouts tree: ${report.payouts.leaves} leaves, ${report.payouts.total} contributions in all, root ${report.payouts.root}`,
  )
  if (report.purchase) printPurchase(report.purchase, report.grid, report.truth, say)
  else {
    say('\n  plaintext truth, trips per cell and hour:')
    for (const line of heatmapLines(report.truth.trips, report.grid)) say(`    ${line}`)
  }
}
