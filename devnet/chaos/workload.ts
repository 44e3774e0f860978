import type { JobRecord, NodeStatus, StoredBlock } from '../../node/index.ts'
import type { Hex32 } from '../../protocol/index.ts'
import { REGRESSION_SPEC, REGRESSION_VAULT } from '../../sandbox/testing/regression.ts'
import { DevnetError } from '../errors.ts'
import { buyer, publishVault, submitJob } from '../testing/actors.ts'
import { startChaosNetwork } from './network.ts'
import type { Scenario } from './scenarios.ts'
import type { ChaosValidator } from './validator.ts'
import { sleep } from './validator.ts'

const VALIDATORS = 4
/**
 * Within the regression vault's privacy budget (the default: epsilon 10, at most 1 a job), with one
 * job to spare for a submission sent again (SUBMIT_ATTEMPTS), which the killed validator may have
 * taken and gossiped before it died. With 20, the jobs past the budget were refused (422) or,
 * accepted before an admitted job spent the last of it, never admitted: every run ended with
 * unsettled jobs and records that disagreed.
 */
const JOBS = 9
/** The fault strikes once this many jobs are in. */
const STRIKE_AFTER = 4
/** Spreads the submissions over ~8 s, so that the fault strikes among them. */
const SUBMIT_GAP_MS = 800
/** Validators a job is offered to, one after another, while the one asked stops answering. */
const SUBMIT_ATTEMPTS = 2
const DEADLINE_HEIGHTS = 40
/** How long the jobs, then the validators, get to settle once all are submitted. */
const SETTLE_MS = 150_000

export interface ScenarioResult {
  readonly scenario: string
  readonly description: string
  readonly submitted: number
  readonly certified: number
  readonly failed: number
  /** jobs neither settled on chain nor failed when the time ran out */
  readonly unsettled: number
  readonly p50Ms: number | null
  readonly p95Ms: number | null
  readonly heights: number
  readonly roundsAboveZero: number
  readonly restarts: number
  /** every validator holds the same block at every height */
  readonly blocksAgree: boolean
  /** every validator (the restarted and the healed ones too) holds the same record of every job */
  readonly recordsAgree: boolean
  readonly errors: readonly string[]
}

const TERMINAL: ReadonlySet<JobRecord['stage']> = new Set(['anchored', 'released', 'failed'])

async function record(v: ChaosValidator, jobId: Hex32): Promise<JobRecord | undefined> {
  const { status, body } = await v.api.api<JobRecord>(`/v1/jobs/${jobId}`)
  return status === 200 ? body : undefined
}

async function height(v: ChaosValidator): Promise<number> {
  return (await v.api.api<NodeStatus>('/v1/status')).body.height
}

async function until(probe: () => Promise<boolean>, deadline: number): Promise<boolean> {
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return true
    await sleep(1_000)
  }
  return false
}

/**
 * What every validator must agree on about a job: what the decided blocks
 * say. Not the stage itself (a node marks `anchored` when it sees the
 * anchoring transaction, a moment after the others), and the result hash
 * only once certified (before that it is this node's own evaluation, which a
 * node that never evaluated lacks).
 */
const outcome = (r: JobRecord | undefined, asOf: number) => {
  if (!r) return undefined
  // The chain goes on while records are read: judge every record as of the same height.
  const at = (h: number | undefined) => (h !== undefined && h <= asOf ? h : undefined)
  const certified = at(r.certifiedHeight)
  return JSON.stringify([
    at(r.admittedHeight),
    certified,
    at(r.failedHeight),
    certified === undefined ? undefined : r.resultHash,
  ])
}

export async function runScenario(scenario: Scenario, dir: string): Promise<ScenarioResult> {
  const net = await startChaosNetwork(dir, VALIDATORS)
  const errors: string[] = []
  try {
    const [first] = net.validators
    const manifest = await publishVault(
      first!.api,
      REGRESSION_VAULT,
      net.chain.wallet(1),
      net.network.addresses,
    )
    scenario.setup?.(net)
    const who = buyer(net.chain.wallet(2))
    const submittedAt = new Map<Hex32, number>()
    let strike: Promise<void> | undefined
    for (let i = 0; i < JOBS; i++) {
      if (i === STRIKE_AFTER && scenario.strike) strike = scenario.strike(net)
      // A validator the strike kills while it takes a submission fails it, as a buyer's would; the
      // buyer then sends the job (a new request: a fresh nonce, its own escrow) to another validator.
      for (let attempt = 0; attempt < SUBMIT_ATTEMPTS; attempt++) {
        const live = await liveValidators(net.validators)
        const target = live[(i + attempt) % live.length]
        if (target === undefined) throw new DevnetError('NO_VALIDATOR_ANSWERS', 'no validator answers')
        const at = Date.now()
        try {
          const submission = await submitJob(target.api, {
            buyer: who,
            domain: net.network.domain,
            addresses: net.network.addresses,
            manifest,
            spec: REGRESSION_SPEC,
            deadline: (await height(target)) + DEADLINE_HEIGHTS,
          })
          if (submission.status === 202) submittedAt.set(submission.jobId, at)
          else errors.push(`job ${i} refused by validator ${target.index}: ${submission.status}`)
          break
        } catch (error) {
          if (attempt + 1 < SUBMIT_ATTEMPTS && !(await target.answers())) continue
          errors.push(`job ${i} via validator ${target.index}: ${String(error)}`)
          break
        }
      }
      await sleep(SUBMIT_GAP_MS)
    }
    await strike
    const jobs = [...submittedAt.keys()]
    const settleBy = Date.now() + SETTLE_MS
    const final = new Map<Hex32, JobRecord>()
    await until(async () => {
      for (const jobId of jobs) {
        if (final.has(jobId)) continue
        const r = await record(first!, jobId)
        if (r && TERMINAL.has(r.stage)) final.set(jobId, r)
      }
      return final.size === jobs.length
    }, settleBy)
    // Every validator, the restarted and the healed one too, must reach the height the most advanced one is at.
    const top = Math.max(0, ...(await Promise.all(net.validators.map((v) => height(v).catch(() => 0)))))
    const caughtUp = await until(
      async () => (await Promise.all(net.validators.map(height))).every((h) => h >= top),
      settleBy,
    )
    if (!caughtUp) errors.push(`not every validator reached height ${top}`)
    const heights = Math.min(...(await Promise.all(net.validators.map((v) => height(v).catch(() => 0)))))
    const { agree: blocksAgree, roundsAboveZero } = await compareBlocks(net.validators, heights)
    const disagreeing = await compareRecords(net.validators, jobs, heights)
    errors.push(...disagreeing)
    const recordsAgree = disagreeing.length === 0
    const latencies = [...final.entries()]
      .filter(([, r]) => r.stages.certified !== undefined)
      .map(([jobId, r]) => Date.parse(r.stages.certified!) - submittedAt.get(jobId)!)
      .sort((a, b) => a - b)
    const certified = [...final.values()].filter((r) => r.certifiedHeight !== undefined).length
    return {
      scenario: scenario.name,
      description: scenario.description,
      submitted: jobs.length,
      certified,
      failed: [...final.values()].filter((r) => r.stage === 'failed').length,
      unsettled: jobs.length - final.size,
      p50Ms: percentile(latencies, 0.5),
      p95Ms: percentile(latencies, 0.95),
      heights,
      roundsAboveZero,
      restarts: net.validators.reduce((n, v) => n + v.restarts, 0),
      blocksAgree,
      recordsAgree,
      errors,
    }
  } finally {
    await net.stop()
  }
}

async function liveValidators(validators: readonly ChaosValidator[]): Promise<ChaosValidator[]> {
  const answering = await Promise.all(validators.map((v) => v.answers()))
  return validators.filter((_, i) => answering[i])
}

async function compareBlocks(
  validators: readonly ChaosValidator[],
  top: number,
): Promise<{ agree: boolean; roundsAboveZero: number }> {
  let agree = true
  let roundsAboveZero = 0
  for (let h = 1; h <= top; h++) {
    const blocks = await Promise.all(validators.map((v) => v.api.api<StoredBlock>(`/v1/blocks/${h}`)))
    if (new Set(blocks.map((b) => b.body.blockHash)).size !== 1) agree = false
    if ((blocks[0]?.body.certificate.round ?? 0) > 0) roundsAboveZero++
  }
  return { agree, roundsAboveZero }
}

/** The jobs on which validators disagree, each with every validator's view. */
async function compareRecords(
  validators: readonly ChaosValidator[],
  jobs: readonly Hex32[],
  asOf: number,
): Promise<string[]> {
  const disagreements: string[] = []
  for (const jobId of jobs) {
    const outcomes = (await Promise.all(validators.map((v) => record(v, jobId)))).map((r) => outcome(r, asOf))
    if (new Set(outcomes).size !== 1) disagreements.push(`job ${jobId}: ${outcomes.join(' | ')}`)
  }
  return disagreements
}

function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
}
