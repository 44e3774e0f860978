/**
 * `npm run devnet`: the whole system on this machine, end to end. A dev
 * chain with the contracts, N validator processes, the demo seller's vault
 * encrypted and published, the vault agent running, the demo buyer's job
 * submitted, its released result unsealed and checked against the same
 * statistics computed in plaintext, and its escrow settled on chain by the
 * validators on their own (owner and validators credited).
 *
 *   npm run devnet [-- --validators 4] [--keep] [--headless] [--threshold] [--dir DIR]
 *   npm run devnet -- --scenario traffic [--vehicles 1000]
 *
 * --threshold: threshold mode. The validators run the DKG, the vault is encrypted under the
 * committee's key (no seller key, no vault agent), the committee releases the result to the buyer
 * and agrees the quality score in a block.
 * --scenario traffic: a city's pool under the committee key, --vehicles simulated vehicles each
 * contributing a day of trips with their own key, admitted by consensus; the snapshot compared on
 * every validator; a city planner buys the heatmap on it, and the contributors are paid
 * (devnet/traffic.ts).
 * --keep leaves the network running (until Ctrl-C) and prints the endpoints
 * for the CLIs; --headless prints JSON and exits non-zero if a check fails.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Hex32 } from '../protocol/index.ts'
import { CLUSTER_PASSPHRASE, type Cluster, startCluster } from './cluster.ts'
import { commandLine, wholeNumber } from './command-line.ts'
import { prepareCommitteeSeller, prepareSeller, printReport, runDemoJob } from './demo.ts'
import { DevnetError } from './errors.ts'
import { apiPort, CHAIN_RPC_PORT, LOCAL, p2pPort, validatorEnv } from './topology.ts'
import { printTrafficReport, runTrafficScenario } from './traffic.ts'

const SCENARIOS = ['traffic'] as const
const args = commandLine(
  {
    command: 'npm run devnet --',
    summary:
      'The whole system on this machine, end to end: a dev chain, validators, the demo vault and its agent, a job, its result checked and its escrow settled.',
    options: {
      validators: { type: 'string', default: '4' },
      keep: { type: 'boolean', default: false },
      headless: { type: 'boolean', default: false },
      threshold: { type: 'boolean', default: false },
      scenario: { type: 'string' },
      vehicles: { type: 'string', default: '1000' },
      dir: { type: 'string', default: 'devnet/.run' },
    },
    describe: {
      validators: 'validator processes to start',
      keep: 'leave the network running until Ctrl-C and print its endpoints',
      headless: 'print JSON and exit non-zero if a check fails',
      threshold: "threshold mode: the vault is encrypted under the committee's key",
      scenario: `run a scenario instead of the demo job: ${SCENARIOS.join(', ')}`,
      vehicles: 'simulated vehicles of the traffic scenario',
      dir: 'where the run keeps its files',
    },
  },
  (values) => {
    const scenario = values.scenario
    if (scenario !== undefined && !(SCENARIOS as readonly string[]).includes(scenario))
      throw new DevnetError(
        'BAD_OPTION',
        `--scenario: no scenario "${scenario}"; there is ${SCENARIOS.join(', ')}`,
      )
    return {
      ...values,
      scenario: scenario as (typeof SCENARIOS)[number] | undefined,
      validators: wholeNumber('validators', values.validators, 1, 16),
      vehicles: wholeNumber('vehicles', values.vehicles, 1, 1_000_000),
    }
  },
)

const BIN = fileURLToPath(new URL('../bin/tcf.ts', import.meta.url))
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

/** Owner mode: the seller's HE keys, the encrypted vault, its publication, and the vault agent. */
async function ownerSeller(cluster: Cluster, dir: string, sellerKey: Hex32): Promise<Hex32> {
  const sellerDir = join(dir, 'seller')
  const passphraseFile = join(dir, 'passphrase')
  const seller = await prepareSeller({
    dir: sellerDir,
    nodeUrl: cluster.nodes[0]!.apiUrl,
    sellerKey,
    passphrase: CLUSTER_PASSPHRASE,
    say,
    elapsed,
  })

  const agentLog = createWriteStream(join(sellerDir, 'agent.log'))
  agent = spawn(
    process.execPath,
    [
      BIN,
      'vault',
      'serve',
      '--vault',
      seller.vault,
      '--keys',
      seller.keys,
      ...cluster.nodes.flatMap((n) => ['--node', n.apiUrl]),
      '--owner-key',
      seller.ownerKey,
      '--passphrase-file',
      passphraseFile,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TCF_SCRYPT_N: '1024' } },
  )
  agent.stdout?.pipe(agentLog)
  agent.stderr?.pipe(agentLog)
  say(`[${elapsed()}] vault agent running (log ${join(sellerDir, 'agent.log')})`)
  return seller.vaultId
}

process.once('SIGINT', () => {
  say('\nSIGINT: stopping the devnet')
  void shutdown().then(() => process.exit(130))
})

try {
  const dir = resolve(args.dir)
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir, { recursive: true })
  const validators = args.validators

  say(`[${elapsed()}] starting a dev chain and ${validators} validators in ${dir}`)
  // The topology the compose file describes too: its ports, and each validator's environment.
  cluster = await startCluster({
    dir,
    validators,
    ports: { chain: CHAIN_RPC_PORT, p2p: p2pPort, api: apiPort },
    nodeEnv: (i) => validatorEnv(i, LOCAL),
  })
  const [sellerWallet, buyer] = [cluster.chain.wallet(1), cluster.chain.wallet(2)]
  say(
    `[${elapsed()}] chain ${cluster.chain.rpcUrl} (id ${cluster.chain.chainId}), contracts deployed, validators staked`,
  )
  for (const n of cluster.nodes) say(`    validator ${n.index} ${n.address} api ${n.apiUrl}`)
  say(`    web app ${cluster.nodes[0]!.apiUrl}/ (every validator serves it, once npm run build:web built it)`)

  if (args.scenario !== undefined) {
    const report = await runTrafficScenario({
      dir: join(dir, 'traffic'),
      nodeUrls: cluster.nodes.map((n) => n.apiUrl),
      curatorKey: sellerWallet.privateKey as Hex32,
      buyerKey: buyer.privateKey as Hex32,
      vehicles: args.vehicles,
      say,
      elapsed,
    })
    if (args.headless) console.log(JSON.stringify(report))
    else printTrafficReport(report, say)
    const bought = report.purchase
    const ok =
      report.sameOnAllNodes &&
      report.admitted === report.vehicles + 1 &&
      report.overBound.admitted === 1 &&
      bought !== undefined &&
      bought.checks.underMinimum === 0 &&
      bought.checks.withinError === bought.checks.released &&
      bought.settlement.status === 'paid'

    await shutdown()
    process.exit(ok ? 0 : 1)
  }

  const vaultId = args.threshold
    ? (
        await prepareCommitteeSeller({
          dir: join(dir, 'seller'),
          nodeUrl: cluster.nodes[0]!.apiUrl,
          sellerKey: sellerWallet.privateKey as Hex32,
          say,
          elapsed,
        })
      ).vaultId
    : await ownerSeller(cluster, dir, sellerWallet.privateKey as Hex32)

  // The buyer: the demo spec, escrow, submission, the sealed result checked against plaintext.
  const report = await runDemoJob({
    nodeUrl: cluster.nodes[1]!.apiUrl,
    buyerKey: buyer.privateKey as Hex32,
    vaultId,
    say,
    elapsed,
    threshold: args.threshold,
  })
  if (args.headless) console.log(JSON.stringify(report))
  else printReport(report, say, elapsed)

  if (args.keep && !args.headless) {
    say('\nthe devnet keeps running; try:')
    // A default account the dev chain funds: public, so fit for a devnet and nothing else.
    say(`  dev buyer key for its Buy page (funded, devnet only): ${buyer.privateKey}`)
    say(`  npm run tcf -- node status --node ${cluster.nodes[0]!.apiUrl}`)
    say(`  npm run tcf -- job status ${report.jobId} --node ${cluster.nodes[0]!.apiUrl}`)
    say(`  chain RPC ${cluster.chain.rpcUrl}; node homes and logs in ${dir}`)
    say('Ctrl-C stops everything.')
    await new Promise<never>(() => {})
  }
  await shutdown()
  process.exit(report.ok ? 0 : 1)
} catch (e) {
  console.error(`devnet failed: ${e instanceof Error ? e.message : String(e)}`)
  await shutdown().catch(() => undefined)
  process.exit(1)
}
