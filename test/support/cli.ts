import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const BIN = fileURLToPath(new URL('../../bin/tcf.ts', import.meta.url))
const run = promisify(execFile)

export interface CliRun {
  readonly stdout: string
  readonly stderr: string
  readonly ms: number
}

/** Runs `tcf <args>` in its own process, as a user would; rejects with stderr on a non-zero exit. */
export async function tcf(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  const started = performance.now()
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      maxBuffer: 16 * 2 ** 20,
    })
    return { stdout, stderr, ms: performance.now() - started }
  } catch (e) {
    const { stderr, stdout } = e as { stderr?: string; stdout?: string }
    throw new Error(`tcf ${args.join(' ')} failed:\n${stderr ?? ''}${stdout ?? ''}`)
  }
}

/** `tcf <args> --json`, parsed. */
export async function tcfJson<T>(args: readonly string[], env: Record<string, string> = {}): Promise<T> {
  return JSON.parse((await tcf([...args, '--json'], env)).stdout) as T
}

/** A long-running `tcf` process (e.g. `vault serve`) whose output is collected. */
export function tcfBackground(args: readonly string[], env: Record<string, string> = {}) {
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    output: () => output,
    async stop(): Promise<number | null> {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      return exited
    },
  }
}
