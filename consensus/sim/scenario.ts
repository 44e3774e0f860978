import type { Mutation } from '../mutation.ts'
import type { ConsensusParams } from '../params.ts'
import type { Prng } from './prng.ts'

export type FaultClass = 'network' | 'partition' | 'crash' | 'byzantine'
export const FAULT_CLASSES: readonly FaultClass[] = ['network', 'partition', 'crash', 'byzantine']

export type ByzantineBehaviour = 'silent' | 'equivocating-proposer' | 'double-voter' | 'twins' | 'amnesia'
export const BYZANTINE_BEHAVIOURS: readonly ByzantineBehaviour[] = [
  'silent',
  'equivocating-proposer',
  'double-voter',
  'twins',
  'amnesia',
]

export interface SimConfig {
  readonly seed: number
  /** Validators, one unit of power each. */
  readonly n: number
  /** Faulty keys (twins count once); at most f = floor((n - 1) / 3). */
  readonly byzantine: number
  readonly faults: ReadonlySet<FaultClass>
  /** Heights every honest validator must decide. */
  readonly heights: number
  readonly mutation?: Mutation
  /** The benchmark's clean network: every message takes exactly this long and GST is 0. */
  readonly fixedDelay?: number
  /** Forces the behaviour of every faulty key instead of drawing it from the seed. */
  readonly behaviour?: ByzantineBehaviour
}

export interface LinkModel {
  readonly baseDelay: number
  readonly jitter: number
}

export interface Partition {
  readonly start: number
  readonly end: number
  /** Side of each validator key; messages between sides are lost while it lasts. */
  readonly side: readonly number[]
}

export interface Crash {
  readonly key: number
  readonly at: number
  readonly downFor: number
  /** Crash during the next WAL write instead of between steps: that write is lost. */
  readonly tornWrite: boolean
}

/** Everything the seed decides about a run, drawn up front. */
export interface Scenario {
  /** Global stabilisation time: from here on links are reliable, bounded and whole, and all nodes are up. */
  readonly gst: number
  readonly links: readonly (readonly LinkModel[])[]
  readonly dropRate: number
  readonly duplicateRate: number
  /** Extra delay up to this many ms for a fraction of messages before GST, which reorders them. */
  readonly reorderDelay: number
  readonly partitions: readonly Partition[]
  readonly crashes: readonly Crash[]
  readonly faulty: ReadonlyMap<number, ReadonlySet<ByzantineBehaviour>>
  readonly params: ConsensusParams
}

/** The largest delay of a link after GST; timeouts are set well above it. */
export const MAX_STABLE_DELAY = 80

export function maxFaulty(n: number): number {
  return Math.floor((n - 1) / 3)
}

export function drawScenario(config: SimConfig, rng: Prng): Scenario {
  const { n, faults } = config
  const fixed = config.fixedDelay
  const links = Array.from({ length: n }, () =>
    Array.from({ length: n }, () =>
      fixed === undefined
        ? { baseDelay: rng.int(1, MAX_STABLE_DELAY - 30), jitter: rng.int(0, 30) }
        : { baseDelay: fixed, jitter: 0 },
    ),
  )
  const unstable = fixed === undefined
  const gst = unstable ? rng.int(0, 6000) : 0
  const network = unstable && faults.has('network')
  const faultyKeys = rng.shuffle([...Array(n).keys()]).slice(0, config.byzantine)
  const faulty = new Map(faultyKeys.map((key) => [key, drawBehaviours(config, rng)]))
  const honest = [...Array(n).keys()].filter((key) => !faulty.has(key))
  return {
    gst,
    links,
    dropRate: network ? rng.pick([0, 0.05, 0.2, 0.4]) : 0,
    duplicateRate: network ? rng.pick([0, 0.05, 0.2]) : 0,
    reorderDelay: network ? rng.pick([0, 200, 1000]) : 0,
    partitions: unstable && faults.has('partition') ? drawPartitions(n, gst, rng) : [],
    crashes: unstable && faults.has('crash') ? drawCrashes(honest, gst, rng) : [],
    faulty,
    params: {
      timeouts: {
        propose: { base: 300, delta: 100 },
        prevote: { base: 200, delta: 100 },
        precommit: { base: 200, delta: 100 },
      },
      ...(config.mutation ? { mutation: config.mutation } : {}),
    },
  }
}

function drawBehaviours(config: SimConfig, rng: Prng): ReadonlySet<ByzantineBehaviour> {
  if (config.behaviour) return new Set([config.behaviour])
  if (!config.faults.has('byzantine')) return new Set(['silent'])
  const first = rng.pick(BYZANTINE_BEHAVIOURS)
  // Silence and twins are whole personalities; the active attacks combine.
  if (first === 'silent' || first === 'twins') return new Set([first])
  const active: ByzantineBehaviour[] = ['equivocating-proposer', 'double-voter', 'amnesia']
  return new Set([first, ...active.filter(() => rng.chance(0.4))])
}

function drawPartitions(n: number, gst: number, rng: Prng): Partition[] {
  return Array.from({ length: rng.int(0, 2) }, () => {
    const start = rng.int(0, gst)
    return {
      start,
      end: rng.int(start, gst),
      side: Array.from({ length: n }, () => rng.int(0, 1)),
    }
  })
}

function drawCrashes(honest: readonly number[], gst: number, rng: Prng): Crash[] {
  return rng
    .shuffle(honest)
    .slice(0, rng.int(0, Math.min(2, honest.length)))
    .map((key) => ({ key, at: rng.int(0, gst), downFor: rng.int(50, 2000), tornWrite: rng.chance(0.5) }))
}
