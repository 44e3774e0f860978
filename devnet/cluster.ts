import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  type DaemonInfo,
  generatePeerKey,
  INFO_FILE,
  initHome,
  NODE_RUNTIME_FLAGS,
  type NodeConfigInput,
  peerIdOf,
} from '../node/index.ts'
import {
  type DevChain,
  freePorts,
  startDevChain,
  startTestNetwork,
  type TestNetwork,
} from '../protocol/index.ts'
import { DevnetError } from './errors.ts'
import { DEVNET_PASSPHRASE } from './topology.ts'

/**
 * A local tcf network of real processes: an anvil dev chain with the
 * contracts deployed and the validators registered with stake, and one
 * `tcf node start` process per validator, on 127.0.0.1.
 */
export interface ClusterOptions {
  readonly dir: string
  readonly validators: number
  /** per-node config overrides, by index */
  readonly overrides?: (index: number) => Partial<NodeConfigInput>
  /** environment for every node process (TCF_* overrides, TCF_LOG_LEVEL) */
  readonly env?: Record<string, string>
  /** per-node environment on top of `env` (the devnet's topology sets each node's this way) */
  readonly nodeEnv?: (index: number) => Record<string, string>
  /**
   * The script a node runs instead of `tcf node start`, by index; it gets the same `--home` and
   * `--passphrase-file` arguments (the Byzantine e2e runs one validator this way).
   */
  readonly entry?: (index: number) => string | undefined
  /**
   * Runs once every node's home is initialised and before any starts (its store is free to open):
   * tests seed what a node would otherwise have to make first, such as a committee key.
   */
  readonly beforeStart?: (
    nodes: readonly ClusterNode[],
    network: TestNetwork,
    chain: DevChain,
  ) => Promise<void>
  /** fixed ports instead of free ones: the chain's, and each validator's p2p and API */
  readonly ports?: {
    readonly chain: number
    readonly p2p: (index: number) => number
    readonly api: (index: number) => number
  }
}

/** The passphrase of every key in a cluster: the devnet's, from its topology. */
export const CLUSTER_PASSPHRASE = DEVNET_PASSPHRASE
const BIN = fileURLToPath(new URL('../bin/tcf.ts', import.meta.url))

/**
 * How a local network paces itself: shorter timeouts and block interval than
 * a production validator's defaults (peers are on loopback), a quick anchor
 * takeover, and one evaluation worker per node since they share the cores.
 */
export const DEVNET_PACE = {
  consensus: {
    timeouts: {
      propose: { base: 1500, delta: 500 },
      prevote: { base: 500, delta: 250 },
      precommit: { base: 500, delta: 250 },
    },
    blockIntervalMs: 250,
  },
  anchor: { takeoverDelayMs: 2000 },
  sandbox: { workers: 1 },
} as const satisfies Partial<NodeConfigInput>

/**
 * The dev chain is one anvil process: a mined block is never reorganised, so the depth a real
 * chain needs (the default 2, blocks judged 2 below latest) would only make every escrow wait two
 * more chain blocks before its job can be admitted.
 */
export const DEVNET_FINALITY_DEPTH = 0

/** The dev chain mines at least this often, so blocks reading it `finalityDepth` below latest see fresh escrows. */
export const CHAIN_INTERVAL_MS = 1000

export class ClusterNode {
  readonly index: number
  readonly home: string
  readonly address: string
  readonly peerId: string
  readonly apiUrl: string
  readonly logFile: string
  #process: ChildProcess | undefined
  readonly #env: Record<string, string>
  readonly #passphraseFile: string
  readonly #command: readonly string[]

  constructor(init: {
    index: number
    home: string
    address: string
    peerId: string
    apiUrl: string
    env: Record<string, string>
    passphraseFile: string
    entry?: string | undefined
  }) {
    this.index = init.index
    this.home = init.home
    this.address = init.address
    this.peerId = init.peerId
    this.apiUrl = init.apiUrl
    this.logFile = join(init.home, 'node.log')
    this.#env = init.env
    this.#passphraseFile = init.passphraseFile
    this.#command = init.entry ? [init.entry] : [BIN, 'node', 'start']
  }

  get running(): boolean {
    return this.#process !== undefined && this.#process.exitCode === null && this.#process.signalCode === null
  }

  get pid(): number | undefined {
    return this.#process?.pid
  }

  /** The exit code of the last process, once it exited (null while running or if killed by a signal). */
  get exitCode(): number | null {
    return this.#process?.exitCode ?? null
  }

  /** Spawns `tcf node start` and resolves once its API answers. */
  async start(timeoutMs = 60_000): Promise<void> {
    await rm(join(this.home, INFO_FILE), { force: true })
    // The node writes its log file itself (both streams, appended): piped through this process,
    // every batch of lines cost it a read and a write, which a bench counted as the buyers' CPU.
    const logFd = openSync(this.logFile, 'a')
    let child: ChildProcess
    try {
      child = spawn(
        process.execPath,
        [
          ...NODE_RUNTIME_FLAGS,
          ...this.#command,
          '--home',
          this.home,
          '--passphrase-file',
          this.#passphraseFile,
        ],
        { env: { ...process.env, ...this.#env }, stdio: ['ignore', logFd, logFd] },
      )
    } finally {
      closeSync(logFd)
    }
    this.#process = child
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (!this.running) {
        // The log's last lines in the error itself: a CI run keeps the message, not the node's home.
        const tail = (await this.log()).trimEnd().split('\n').slice(-20).join('\n')
        throw new DevnetError(
          'NODE_EXITED',
          `node ${this.index} exited while starting (code ${child.exitCode}, signal ${child.signalCode}); ${this.logFile} ends:\n${tail}`,
        )
      }
      if (await this.#answers()) return
      if (Date.now() > deadline)
        throw new DevnetError(
          'START_TIMEOUT',
          `node ${this.index} did not start in ${timeoutMs} ms; see ${this.logFile}`,
        )
      await sleep(200)
    }
  }

  async #answers(): Promise<boolean> {
    try {
      const info = JSON.parse(await readFile(join(this.home, INFO_FILE), 'utf8')) as DaemonInfo
      return info.pid === this.#process?.pid && (await fetch(`${this.apiUrl}/v1/status`)).ok
    } catch {
      return false
    }
  }

  /** Sends a signal; for SIGTERM/SIGINT/SIGKILL waits until the process is gone. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#process
    if (!child || !this.running) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill(signal)
    if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') await exited
  }

  async stop(): Promise<void> {
    await this.signal('SIGTERM')
  }

  async api<T>(path: string, init?: RequestInit): Promise<{ status: number; body: T }> {
    const response = await fetch(`${this.apiUrl}${path}`, init)
    return { status: response.status, body: (await response.json()) as T }
  }

  /**
   * The node's log so far, whole lines only: the node writes its lines in batches (node/log.ts),
   * and a batch may be read from the file half-written while the node runs.
   */
  async log(): Promise<string> {
    const text = await readFile(this.logFile, 'utf8').catch(() => '')
    return text.slice(0, text.lastIndexOf('\n') + 1)
  }

  /**
   * What a failing test prints of this node: its last `lines` log lines, and before them the last
   * lines that mention `about` (a job id, say), which the tail alone has often scrolled past.
   */
  async logTail(lines: number, about?: string): Promise<string> {
    const all = (await this.log()).trimEnd().split('\n')
    const tail = all.slice(-lines)
    const mentions =
      about === undefined
        ? []
        : all
            .slice(0, -lines)
            .filter((l) => l.includes(about))
            .slice(-lines)
    return [
      `--- node ${this.index} (${this.running ? 'running' : 'not running'}) ${this.logFile}`,
      ...(mentions.length > 0 ? [`[last lines naming ${about}]`, ...mentions, '[last lines]'] : []),
      ...tail,
    ].join('\n')
  }
}

export interface Cluster {
  readonly chain: DevChain
  readonly network: TestNetwork
  readonly nodes: readonly ClusterNode[]
  stop(): Promise<void>
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  await mkdir(options.dir, { recursive: true })
  const chain = await startDevChain({
    ...(options.ports ? { port: options.ports.chain } : {}),
    intervalMiningMs: CHAIN_INTERVAL_MS,
  })
  try {
    const network = await startTestNetwork(chain, { validators: options.validators })
    const passphraseFile = join(options.dir, 'passphrase')
    await writeFile(passphraseFile, CLUSTER_PASSPHRASE, { mode: 0o600 })
    const peerKeys = network.validatorKeys.map(() => generatePeerKey())
    const indices = Array.from({ length: options.validators }, (_, i) => i)
    // One call for both kinds: two calls could each find the same port free.
    const free = options.ports ? [] : await freePorts(2 * options.validators)
    const p2pPorts = options.ports ? indices.map(options.ports.p2p) : free.slice(0, options.validators)
    const apiPorts = options.ports ? indices.map(options.ports.api) : free.slice(options.validators)
    const multiaddr = (i: number) => `/ip4/127.0.0.1/tcp/${p2pPorts[i]}/p2p/${peerIdOf(peerKeys[i]!)}`
    const nodes: ClusterNode[] = []
    for (let i = 0; i < options.validators; i++) {
      const home = join(options.dir, `node${i}`)
      await rm(home, { recursive: true, force: true })
      const overrides = options.overrides?.(i) ?? {}
      const config: NodeConfigInput = {
        chain: {
          rpcUrl: chain.rpcUrl,
          chainId: Number(chain.chainId),
          addresses: network.addresses,
          finalityDepth: DEVNET_FINALITY_DEPTH,
        },
        p2p: {
          listen: [`/ip4/127.0.0.1/tcp/${p2pPorts[i]}`],
          bootstrap: peerKeys
            .map((_, j) => j)
            .filter((j) => j !== i)
            .map(multiaddr),
        },
        api: { host: '127.0.0.1', port: apiPorts[i]! },
        ...DEVNET_PACE,
        ...overrides,
      }
      const initialized = await initHome({
        home,
        config,
        passphrase: CLUSTER_PASSPHRASE,
        validatorKey: network.validatorKeys[i]!,
        peerKey: peerKeys[i]!,
        scryptN: 1024,
      })
      nodes.push(
        new ClusterNode({
          index: i,
          home,
          address: initialized.address,
          peerId: initialized.peerId,
          apiUrl: `http://127.0.0.1:${apiPorts[i]}`,
          env: { TCF_LOG_LEVEL: 'info', ...options.env, ...options.nodeEnv?.(i) },
          passphraseFile,
          entry: options.entry?.(i),
        }),
      )
    }
    await options.beforeStart?.(nodes, network, chain)
    await Promise.all(nodes.map((n) => n.start()))
    return {
      chain,
      network,
      nodes,
      async stop() {
        await Promise.all(nodes.map((n) => n.stop()))
        await chain.stop()
      },
    }
  } catch (e) {
    await chain.stop()
    throw e
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
