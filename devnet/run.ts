/**
 * `npm run devnet`: the whole system on this machine, end to end. A dev
 * chain with the contracts, N validator processes, the demo seller's vault
 * encrypted and published, the vault agent running, the demo buyer's job
 * submitted, its released result unsealed and checked against the same
 * statistics computed in plaintext, and its escrow settled on chain by the
 * validators on their own (owner and validators credited).
 *
 *   npm run devnet [-- --validators 4] [--keep] [--headless] [--dir DIR]
 *
 * --keep leaves the network running (until Ctrl-C) and prints the endpoints
 * for the CLIs; --headless prints JSON and exits non-zero if a check fails.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { formatEther } from 'ethers'
import { table } from '../node/cli/table.ts'
import { Client } from '../node/sdk/index.ts'
import { type Hex32, writeKeystoreFile } from '../protocol/index.ts'
import {
  createVault,
  generateKeys,
  type OutputValue,
  PolicySchema,
  parseSpecJson,
  VaultSchemaSchema,
  type Withheld,
  writeKeyDir,
} from '../sandbox/index.ts'
import { type PlainValue, plaintextOutputs, readCsvRows } from '../sandbox/reference/plaintext.ts'
import { withinStatedError } from '../sandbox/reference/within-error.ts'
import { CLUSTER_PASSPHRASE, type Cluster, startCluster } from './cluster.ts'
import { apiPort, CHAIN_RPC_PORT, LOCAL, p2pPort, validatorEnv } from './topology.ts'

const { values: args } = parseArgs({
  options: {
    validators: { type: 'string', default: '4' },
    keep: { type: 'boolean', default: false },
    headless: { type: 'boolean', default: false },
    dir: { type: 'string', default: 'devnet/.run' },
  },
})

const DATA = (f: string) => fileURLToPath(new URL(`./data/${f}`, import.meta.url))
const BIN = fileURLToPath(new URL('../bin/tcf.ts', import.meta.url))

interface Check {
  readonly output: string
  readonly op: string
  readonly tcf: string
  readonly plaintext: string
  /** |released - plaintext| / the release's stated 95% error, worst field */
  readonly error: number
  readonly ok: boolean
}

const say = (line = '') => {
  if (!args.headless) console.log(line)
}
const started = Date.now()
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`

let cluster: Cluster | undefined
let agent: ChildProcess | undefined

async function shutdown(): Promise<void> {
  agent?.kill('SIGTERM')
  await cluster?.stop()
}

process.once('SIGINT', () => {
  say('\nSIGINT: stopping the devnet')
  void shutdown().then(() => process.exit(130))
})

try {
  const dir = resolve(args.dir)
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const validators = Number(args.validators)

  say(`[${elapsed()}] starting a dev chain and ${validators} validators in ${dir}`)
  // The topology the compose file describes too: its ports, and each validator's environment.
  cluster = await startCluster({
    dir,
    validators,
    ports: { chain: CHAIN_RPC_PORT, p2p: p2pPort, api: apiPort },
    nodeEnv: (i) => validatorEnv(i, LOCAL),
  })
  const [seller, buyer] = [cluster.chain.wallet(1), cluster.chain.wallet(2)]
  say(
    `[${elapsed()}] chain ${cluster.chain.rpcUrl} (id ${cluster.chain.chainId}), contracts deployed, validators staked`,
  )
  for (const n of cluster.nodes) say(`    validator ${n.index} ${n.address} api ${n.apiUrl}`)

  // The seller: HE keys, the encrypted vault, its publication.
  const sellerDir = join(dir, 'seller')
  const passphraseFile = join(dir, 'passphrase')
  await writeKeyDir(
    join(sellerDir, 'keys'),
    await generateKeys('ckks-8192', CLUSTER_PASSPHRASE, { N: 1024, r: 8, p: 1 }),
  )
  const schema = VaultSchemaSchema.parse(JSON.parse(await readFile(DATA('schema.json'), 'utf8')))
  const policy = PolicySchema.parse(JSON.parse(await readFile(DATA('policy.json'), 'utf8')))
  const manifest = await createVault({
    csv: DATA('heart.csv'),
    schema,
    policy,
    keysDir: join(sellerDir, 'keys'),
    passphrase: CLUSTER_PASSPHRASE,
    outDir: join(sellerDir, 'vault'),
  })
  say(`[${elapsed()}] seller encrypted ${manifest.recordCount} records into vault ${manifest.vaultId}`)
  const sellerClient = new Client({ url: cluster.nodes[0]!.apiUrl, key: seller.privateKey as Hex32 })
  await sellerClient.publishVault(join(sellerDir, 'vault'))
  await sellerClient.close()
  say(`[${elapsed()}] seller registered the vault on chain and published it to validator 0`)

  const ownerKey = join(sellerDir, 'owner.json')
  await writeKeystoreFile(ownerKey, seller.privateKey as Hex32, CLUSTER_PASSPHRASE, { scryptN: 1024 })
  const agentLog = createWriteStream(join(sellerDir, 'agent.log'))
  agent = spawn(
    process.execPath,
    [
      BIN,
      'vault',
      'serve',
      '--vault',
      join(sellerDir, 'vault'),
      '--keys',
      join(sellerDir, 'keys'),
      ...cluster.nodes.flatMap((n) => ['--node', n.apiUrl]),
      '--owner-key',
      ownerKey,
      '--passphrase-file',
      passphraseFile,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TCF_SCRYPT_N: '1024' } },
  )
  agent.stdout?.pipe(agentLog)
  agent.stderr?.pipe(agentLog)
  say(`[${elapsed()}] vault agent running (log ${join(sellerDir, 'agent.log')})`)

  // The buyer: the demo spec, escrow, submission, the sealed result.
  const specText = await readFile(DATA('algo.json'), 'utf8')
  const spec = parseSpecJson(specText)
  const buyerClient = new Client({ url: cluster.nodes[1]!.apiUrl, key: buyer.privateKey as Hex32 })
  const submittedAt = new Date().toISOString()
  const job = await buyerClient.submitJob({ vaultId: manifest.vaultId as Hex32, spec: JSON.parse(specText) })
  say(`[${elapsed()}] buyer opened escrow and submitted job ${job.jobId} to validator 1`)
  const stages: Record<string, string> = { submitted: submittedAt }
  const record = await buyerClient.waitForJob(job.jobId, ['released'], {
    timeoutMs: 180_000,
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
  const result = await buyerClient.result(job.jobId, job.sealingKey.privateKey)
  // The validators settle the escrow once the release's block is anchored; nobody asks them to.
  for (const deadline = Date.now() + 60_000; !anchored.settlement && Date.now() < deadline; ) {
    await new Promise((ok) => setTimeout(ok, 250))
    anchored = await buyerClient.job(job.jobId)
  }
  // Read back from the chain; settling again is a no-op that reports the settlement (sentNow false).
  const settled = await buyerClient.settle(job.jobId)
  const settlement = {
    status: settled.status,
    txHash: settled.txHash,
    owner: settled.owner,
    validators: settled.validators ?? [],
    byNode: anchored.settlement !== undefined && !settled.sentNow,
  }
  await buyerClient.close()

  // The plaintext truth of the same spec on the same CSV.
  const truth = plaintextOutputs(readCsvRows(DATA('heart.csv')), schema, spec)
  // Each released value against the truth, within twice the 95% error its release states.
  const checks = Object.entries(result.outputs).map(([name, out]) =>
    check(name, out, truth[name], policy.minAggregation),
  )
  const allOk =
    checks.every((c) => c.ok) &&
    result.quality.score > 0 &&
    result.anchorTx !== undefined &&
    settlement.status === 'paid' &&
    settlement.byNode
  const timings = stageTimings(stages)

  if (args.headless) {
    console.log(
      JSON.stringify({
        ok: allOk,
        jobId: job.jobId,
        vaultId: manifest.vaultId,
        checks,
        quality: result.quality,
        heights: result.heights,
        anchorTx: result.anchorTx,
        settlement,
        timings,
      }),
    )
  } else {
    say(`\nresults (job ${job.jobId})`)
    say(
      table(
        ['output', 'op', 'tcf (± stated 95%)', 'plaintext', 'error / 95%', ''],
        checks.map((c) => [c.output, c.op, c.tcf, c.plaintext, c.error.toFixed(2), c.ok ? 'ok' : 'MISMATCH']),
      ),
    )
    say(`\nquality score ${result.quality.score.toFixed(4)}`)
    say(
      table(
        ['component', 'value'],
        Object.entries(result.quality.components).map(([k, v]) => [k, v.toFixed(4)]),
      ),
    )
    for (const d of result.quality.details) say(`  ${d}`)
    say(
      `\nblocks: admitted at ${result.heights.admitted}, certified at ${result.heights.certified}, released at ${result.heights.released}`,
    )
    say(`anchor tx ${result.anchorTx?.txHash ?? '(none)'} (height ${result.anchorTx?.height ?? '-'})`)
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
        ],
      ),
    )
    say(`\ntime per stage`)
    say(
      table(
        ['stage', 'seconds'],
        timings.map((t) => [t.stage, t.seconds.toFixed(2)]),
      ),
    )
    say(`\n${allOk ? 'every check passed' : 'SOME CHECKS FAILED'} in ${elapsed()}`)
  }

  if (args.keep && !args.headless) {
    say('\nthe devnet keeps running; try:')
    say(`  npm run tcf -- node status --node ${cluster.nodes[0]!.apiUrl}`)
    say(`  npm run tcf -- job status ${job.jobId} --node ${cluster.nodes[0]!.apiUrl}`)
    say(`  chain RPC ${cluster.chain.rpcUrl}; node homes and logs in ${dir}`)
    say('Ctrl-C stops everything.')
    await new Promise<never>(() => {})
  }
  await shutdown()
  process.exit(allOk ? 0 : 1)
} catch (e) {
  console.error(`devnet failed: ${e instanceof Error ? e.message : String(e)}`)
  await shutdown().catch(() => undefined)
  process.exit(1)
}

function check(
  output: string,
  out: OutputValue | Withheld,
  expected: PlainValue | undefined,
  minAggregation: number,
): Check {
  const c = withinStatedError(out, expected, minAggregation)
  return { output, op: out.op, tcf: c.released, plaintext: c.truth, error: c.ratio, ok: c.ok }
}

function stageTimings(stages: Record<string, string>): { stage: string; seconds: number }[] {
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
