/**
 * The devnet's demo, wherever the network runs: the seller's vault encrypted
 * and published, the buyer's job submitted and its released result unsealed
 * and checked against the same statistics computed in plaintext, its escrow
 * settled on chain by the validators on their own, and the report both
 * `npm run devnet` and `npm run devnet:compose` print.
 */

import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { formatEther } from 'ethers'
import {
  Client,
  ClientError,
  committeeVaultKeys,
  fetchCommitteeKey,
  type JobResult,
  type JobSettlement,
  table,
  thresholdResult,
} from '../node/index.ts'
import { type Hex32, writeKeystoreFile } from '../protocol/index.ts'
import {
  createVault,
  generateKeys,
  type OutputValue,
  type PlainValue,
  PolicySchema,
  parseSpecJson,
  plaintextOutputs,
  readCsvRows,
  VaultSchemaSchema,
  type Withheld,
  withinStatedError,
  writeKeyDir,
} from '../sandbox/index.ts'

const DATA = (f: string) => fileURLToPath(new URL(`./data/${f}`, import.meta.url))

export type Say = (line?: string) => void

export interface Check {
  readonly output: string
  readonly op: string
  readonly tcf: string
  readonly plaintext: string
  /**
   * Worst field's |released - plaintext| over its allowance: the release's stated 95% error (owner
   * mode, and committee mode, whose stated errors count the t members' noises).
   */
  readonly error: number
  readonly ok: boolean
}

/** The seller's files, laid out as `tcf vault serve --vault --keys --owner-key` takes them. */
export interface SellerFiles {
  readonly vaultId: Hex32
  readonly recordCount: number
  readonly vault: string
  readonly keys: string
  readonly ownerKey: string
}

/** HE keys, the demo CSV encrypted into a vault under `dir`, registered on chain and published to `nodeUrl`. */
export async function prepareSeller(options: {
  readonly dir: string
  readonly nodeUrl: string
  readonly sellerKey: Hex32
  readonly passphrase: string
  readonly say: Say
  readonly elapsed: () => string
}): Promise<SellerFiles> {
  const { dir, say, elapsed } = options
  await mkdir(dir, { recursive: true })
  const keys = join(dir, 'keys')
  const vault = join(dir, 'vault')
  await writeKeyDir(keys, await generateKeys('ckks-8192', options.passphrase, { N: 1024, r: 8, p: 1 }))
  const schema = VaultSchemaSchema.parse(JSON.parse(await readFile(DATA('schema.json'), 'utf8')))
  const policy = PolicySchema.parse(JSON.parse(await readFile(DATA('policy.json'), 'utf8')))
  const manifest = await createVault({
    csv: DATA('heart.csv'),
    schema,
    policy,
    keysDir: keys,
    passphrase: options.passphrase,
    outDir: vault,
  })
  say(`[${elapsed()}] seller encrypted ${manifest.recordCount} records into vault ${manifest.vaultId}`)
  const sellerClient = new Client({ url: options.nodeUrl, key: options.sellerKey })
  await sellerClient.publishVault(vault)
  await sellerClient.close()
  say(`[${elapsed()}] seller registered the vault on chain and published it to ${options.nodeUrl}`)
  const ownerKey = join(dir, 'owner.json')
  await writeKeystoreFile(ownerKey, options.sellerKey, options.passphrase, { scryptN: 1024 })
  return { vaultId: manifest.vaultId as Hex32, recordCount: manifest.recordCount, vault, keys, ownerKey }
}

/**
 * Committee mode: waits until the validators' DKG has registered the epoch's committee key on chain,
 * then encrypts the demo CSV under it (checked against the Anchor by the SDK) and publishes the
 * vault. The seller holds no HE secret key and runs no agent.
 */
/** Waits until the validators' DKG has registered the committee key on chain and the node serves it. */
export async function awaitCommitteeKey(
  client: Client,
  say: Say,
  elapsed: () => string,
  timeoutMs = 600_000,
): Promise<void> {
  say(`[${elapsed()}] waiting for the validators' DKG to register the committee key on chain`)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await client.committeeKey()
      return
    } catch (e) {
      // Not formed or not registered yet: the DKG is a few rounds of gossip and one transaction.
      const pending =
        e instanceof ClientError &&
        (e.code === 'COMMITTEE_KEY_UNAVAILABLE' || e.code === 'COMMITTEE_KEY_INVALID')
      if (!pending || Date.now() > deadline) throw e
      await new Promise((ok) => setTimeout(ok, 1000))
    }
  }
}

export async function prepareCommitteeSeller(options: {
  readonly dir: string
  readonly nodeUrl: string
  readonly sellerKey: Hex32
  readonly say: Say
  readonly elapsed: () => string
  readonly timeoutMs?: number
}): Promise<{ readonly vaultId: Hex32; readonly recordCount: number }> {
  const { dir, say, elapsed } = options
  await mkdir(dir, { recursive: true })
  const client = new Client({ url: options.nodeUrl, key: options.sellerKey })
  try {
    await awaitCommitteeKey(client, say, elapsed, options.timeoutMs)
    const material = await fetchCommitteeKey(client)
    say(`[${elapsed()}] committee key ${material.keyHash} of epoch ${material.epoch} registered and checked`)
    const schema = VaultSchemaSchema.parse(JSON.parse(await readFile(DATA('schema.json'), 'utf8')))
    const policy = PolicySchema.parse(JSON.parse(await readFile(DATA('policy.json'), 'utf8')))
    const vault = join(dir, 'vault')
    const manifest = await createVault({
      csv: DATA('heart.csv'),
      schema,
      policy,
      committee: committeeVaultKeys(material),
      outDir: vault,
    })
    say(`[${elapsed()}] seller encrypted ${manifest.recordCount} records under the committee key`)
    await client.publishVault(vault)
    say(`[${elapsed()}] seller registered the vault on chain and published it; no agent runs`)
    return { vaultId: manifest.vaultId as Hex32, recordCount: manifest.recordCount }
  } finally {
    await client.close()
  }
}

/**
 * The escrow's settlement as the chain reports it; `byNode`: the validators settled it unasked.
 * `rejected`: the certified score was below the spec's minQuality, so `buyer` got the escrow back less
 * the validators' evaluation fee.
 */
export interface Settlement {
  readonly status: JobSettlement['status']
  readonly txHash: JobSettlement['txHash']
  readonly owner: JobSettlement['owner']
  readonly buyer: JobSettlement['buyer']
  readonly validators: NonNullable<JobSettlement['validators']>
  readonly qualityScore?: number
  readonly minQuality?: number
  readonly byNode: boolean
}

export interface DemoReport {
  readonly ok: boolean
  readonly jobId: Hex32
  readonly vaultId: Hex32
  readonly checks: readonly Check[]
  /** owner mode: the released score with its components; committee mode: the score the block agreed */
  readonly quality: {
    readonly score: number
    readonly components: Readonly<Record<string, number>>
    readonly details: readonly string[]
  }
  readonly heights: JobResult['heights']
  readonly anchorTx: JobResult['anchorTx']
  readonly settlement: Settlement
  readonly timings: readonly { stage: string; seconds: number }[]
}

/**
 * The buyer: the demo spec, escrow, submission to `nodeUrl`, the wait for the
 * release and for the validators' settlement, the sealed result opened and
 * checked against plaintext.
 */
export async function runDemoJob(options: {
  readonly nodeUrl: string
  readonly buyerKey: Hex32
  readonly vaultId: Hex32
  readonly say: Say
  readonly elapsed: () => string
  readonly timeoutMs?: number
  /** a committee vault: the buyer combines the members' sealed shares instead of unsealing the owner's release */
  readonly threshold?: boolean
}): Promise<DemoReport> {
  const { say, elapsed } = options
  const specText = await readFile(DATA('algo.json'), 'utf8')
  const spec = parseSpecJson(specText)
  const buyerClient = new Client({ url: options.nodeUrl, key: options.buyerKey })
  try {
    const submittedAt = new Date().toISOString()
    const job = await buyerClient.submitJob({ vaultId: options.vaultId, spec: JSON.parse(specText) })
    say(`[${elapsed()}] buyer opened escrow and submitted job ${job.jobId} to ${options.nodeUrl}`)
    const stages: Record<string, string> = { submitted: submittedAt }
    const record = await buyerClient.waitForJob(job.jobId, ['released'], {
      timeoutMs: options.timeoutMs ?? 180_000,
      onStage: (stage, at) => {
        stages[stage] = at
        say(`[${elapsed()}]   ${stage}`)
      },
    })
    // Non-proposers learn of an anchor after their takeover delay: give the buyer's node that long.
    let anchored = record
    for (const deadline = Date.now() + 30_000; !anchored.anchorTx && Date.now() < deadline; ) {
      await new Promise((ok) => setTimeout(ok, 250))
      anchored = await buyerClient.job(job.jobId)
    }
    Object.assign(stages, record.stages, anchored.stages)
    const result = options.threshold
      ? await committeeResult(buyerClient, job.jobId, job.sealingKey.privateKey)
      : await buyerClient.result(job.jobId, job.sealingKey.privateKey)
    // The validators settle the escrow once the release's block is anchored; nobody asks them to.
    for (const deadline = Date.now() + 60_000; !anchored.settlement && Date.now() < deadline; ) {
      await new Promise((ok) => setTimeout(ok, 250))
      anchored = await buyerClient.job(job.jobId)
    }
    // Read back from the chain; settling again is a no-op that reports the settlement (sentNow false).
    const settled = await buyerClient.settle(job.jobId)
    const settlement: Settlement = {
      status: settled.status,
      txHash: settled.txHash,
      owner: settled.owner,
      buyer: settled.buyer,
      validators: settled.validators ?? [],
      ...(settled.qualityScore === undefined ? {} : { qualityScore: settled.qualityScore }),
      ...(settled.minQuality === undefined ? {} : { minQuality: settled.minQuality }),
      byNode: anchored.settlement !== undefined && !settled.sentNow,
    }

    // The plaintext truth of the same spec on the same CSV.
    const schema = VaultSchemaSchema.parse(JSON.parse(await readFile(DATA('schema.json'), 'utf8')))
    const policy = PolicySchema.parse(JSON.parse(await readFile(DATA('policy.json'), 'utf8')))
    const truth = plaintextOutputs(readCsvRows(DATA('heart.csv')), schema, spec)
    // Each released value against the truth, within RELEASE_ERROR_FACTOR times the 95% error its release states.
    const checks = Object.entries(result.outputs).map(([name, out]) =>
      check(name, out, truth[name], policy.minAggregation),
    )
    const ok =
      checks.every((c) => c.ok) &&
      result.quality.score > 0 &&
      result.anchorTx !== undefined &&
      settlement.status === 'paid' &&
      settlement.byNode
    return {
      ok,
      jobId: job.jobId,
      vaultId: options.vaultId,
      checks,
      quality: result.quality,
      heights: result.heights,
      anchorTx: result.anchorTx,
      settlement,
      timings: stageTimings(stages),
    }
  } finally {
    await buyerClient.close()
  }
}

/** The report as `npm run devnet` prints it. */
export function printReport(report: DemoReport, say: Say, elapsed: () => string): void {
  say(`\nresults (job ${report.jobId})`)
  say(
    table(
      ['output', 'op', 'tcf (± stated 95%)', 'plaintext', 'error / 95%', ''],
      report.checks.map((c) => [
        c.output,
        c.op,
        c.tcf,
        c.plaintext,
        c.error.toFixed(2),
        c.ok ? 'ok' : 'MISMATCH',
      ]),
    ),
  )
  say(`\nquality score ${report.quality.score.toFixed(4)}`)
  // A committee's score comes out of the block as one number: there are no components to list.
  const components = Object.entries(report.quality.components)
  if (components.length > 0) {
    say(
      table(
        ['component', 'value'],
        components.map(([k, v]) => [k, v.toFixed(4)]),
      ),
    )
  }
  for (const d of report.quality.details) say(`  ${d}`)
  say(
    `\nblocks: admitted at ${report.heights.admitted}, certified at ${report.heights.certified}, released at ${report.heights.released}`,
  )
  say(`anchor tx ${report.anchorTx?.txHash ?? '(none)'} (height ${report.anchorTx?.height ?? '-'})`)
  const { settlement } = report
  say(
    `\nescrow ${settlement.status} in tx ${settlement.txHash}` +
      (settlement.byNode ? ' by the validators, unasked' : ' (NOT by the validators)'),
  )
  say(
    table(
      ['credited', 'address', 'ETH'],
      [
        ...(settlement.owner
          ? [['owner', settlement.owner.address, formatEther(settlement.owner.amount)]]
          : []),
        ...settlement.validators.map((v) => ['validator', v.address, formatEther(v.amount)]),
        ...(settlement.buyer
          ? [['buyer', settlement.buyer.address, formatEther(settlement.buyer.amount)]]
          : []),
      ],
    ),
  )
  say(`\ntime per stage`)
  say(
    table(
      ['stage', 'seconds'],
      report.timings.map((t) => [t.stage, t.seconds.toFixed(2)]),
    ),
  )
  say(`\n${report.ok ? 'every check passed' : 'SOME CHECKS FAILED'} in ${elapsed()}`)
}

/** Written last by a seller whose agent runs elsewhere (a container): the agent serves once it exists. */
export const READY_FILE = 'ready'

export async function markSellerReady(dir: string): Promise<void> {
  await writeFile(join(dir, READY_FILE), new Date().toISOString())
}

export function check(
  output: string,
  out: OutputValue | Withheld,
  expected: PlainValue | undefined,
  minAggregation: number,
): Check {
  const c = withinStatedError(out, expected, minAggregation)
  return { output, op: out.op, tcf: c.released, plaintext: c.truth, error: c.ratio, ok: c.ok }
}

export function stageTimings(stages: Record<string, string>): { stage: string; seconds: number }[] {
  const span = (stage: string, from: string, to: string) => {
    const a = stages[from]
    const b = stages[to]
    return a && b ? [{ stage, seconds: (Date.parse(b) - Date.parse(a)) / 1000 }] : []
  }
  return [
    ...span('admission (submitted -> admitted)', 'pending', 'admitted'),
    ...span('execution (admitted -> attested)', 'admitted', 'attested'),
    ...span('certification (admitted -> certified)', 'admitted', 'certified'),
    ...span('anchoring (certified -> anchored)', 'certified', 'anchored'),
    ...span('release (certified -> released)', 'certified', 'released'),
    ...span('total (submitted -> released)', 'pending', 'released'),
  ]
}

/**
 * A committee vault's result as the devnet reports it: the members' sealed shares combined by the
 * buyer; the score is the one the committee agreed in the block (its components stay with the
 * committee), the heights and anchor come from the job record.
 */
async function committeeResult(
  client: Client,
  jobId: Hex32,
  sealingKey: Uint8Array,
): Promise<Pick<JobResult, 'outputs' | 'heights' | 'anchorTx'> & Pick<DemoReport, 'quality'>> {
  const opened = await thresholdResult(client, jobId, sealingKey, { waitMs: 60_000 })
  const record = await client.job(jobId)
  const score = opened.qualityScore / 1e6
  return {
    outputs: opened.outputs,
    quality: {
      score,
      components: {},
      details: [`agreed by members ${opened.participants.join(', ')} of the committee in the block`],
    },
    heights: {
      admitted: record.admittedHeight,
      certified: record.certifiedHeight ?? 0,
      released: record.releasedHeight,
    },
    anchorTx: record.anchorTx,
  }
}
