import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { NODE_RUNTIME_FLAGS } from '../../node/index.ts'
import type { ClusterNode } from '../cluster.ts'
import { DevnetError } from '../errors.ts'

const BIN = fileURLToPath(new URL('../../bin/tcf.ts', import.meta.url))

/**
 * One `tcf node start` process inside a network namespace. ClusterNode runs
 * its process in the caller's namespace, so here it serves only as the API
 * handle (what devnet/testing/actors.ts takes); this class owns the process.
 */
export class ChaosValidator {
  readonly api: ClusterNode
  readonly #prefix: readonly string[]
  readonly #passphraseFile: string
  #process: ChildProcess | undefined
  restarts = 0

  constructor(api: ClusterNode, namespacePrefix: readonly string[], passphraseFile: string) {
    this.api = api
    this.#prefix = namespacePrefix
    this.#passphraseFile = passphraseFile
  }

  get index(): number {
    return this.api.index
  }

  get running(): boolean {
    const p = this.#process
    return p !== undefined && p.exitCode === null && p.signalCode === null
  }

  /** Spawns the daemon in its namespace and resolves once its API answers. */
  async start(timeoutMs = 60_000): Promise<void> {
    const [command, ...args] = this.#prefix
    // The node writes its log file itself, as in ClusterNode.
    const logFd = openSync(this.api.logFile, 'a')
    let child: ChildProcess
    try {
      child = spawn(
        command!,
        [
          ...args,
          process.execPath,
          ...NODE_RUNTIME_FLAGS,
          BIN,
          'node',
          'start',
          '--home',
          this.api.home,
          '--passphrase-file',
          this.#passphraseFile,
        ],
        { env: { ...process.env, TCF_LOG_LEVEL: 'info' }, stdio: ['ignore', logFd, logFd] },
      )
    } finally {
      closeSync(logFd)
    }
    this.#process = child
    const deadline = Date.now() + timeoutMs
    while (!(await this.answers())) {
      if (!this.running)
        throw new DevnetError(
          'NODE_EXITED',
          `validator ${this.index} exited while starting; see ${this.api.logFile}`,
        )
      if (Date.now() > deadline)
        throw new DevnetError('START_TIMEOUT', `validator ${this.index} did not start in ${timeoutMs} ms`)
      await sleep(250)
    }
  }

  async answers(): Promise<boolean> {
    try {
      return (await fetch(`${this.api.apiUrl}/v1/status`, { signal: AbortSignal.timeout(2_000) })).ok
    } catch {
      return false
    }
  }

  /** `ip netns exec` execs the daemon, so the signal reaches it; resolves once it is gone. */
  async kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const child = this.#process
    if (!child || !this.running) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill(signal)
    await exited
  }

  async restart(): Promise<void> {
    await this.start()
    this.restarts++
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
