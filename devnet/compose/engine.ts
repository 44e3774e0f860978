import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { promisify } from 'node:util'
import { TcfError } from '../../protocol/errors.ts'

const exec = promisify(execFile)

export type ComposeErrorCode = 'DOCKER_UNAVAILABLE' | 'COMPOSE_UNAVAILABLE' | 'COMPOSE_FAILED'

export class ComposeError extends TcfError {
  override readonly name = 'ComposeError'
  readonly code: ComposeErrorCode
  constructor(code: ComposeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/**
 * The Compose a machine has: v2 is the `docker compose` plugin real users
 * have, v1 the `docker-compose` program Debian packages (1.29). Only commands
 * and options both have are used: `up -d --no-build`, `ps -a -q`, `restart`,
 * `logs --no-color`, `down -v --remove-orphans`.
 */
export interface ComposeCli {
  readonly program: string
  readonly prefix: readonly string[]
  readonly version: string
}

/** Why docker is not usable here, or undefined when the daemon answers. */
export async function dockerUnavailable(): Promise<string | undefined> {
  try {
    await exec('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 20_000 })
    return undefined
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim()
    return stderr || (e instanceof Error ? e.message : String(e))
  }
}

export async function detectCompose(): Promise<ComposeCli> {
  try {
    const { stdout } = await exec('docker', ['compose', 'version', '--short'], { timeout: 20_000 })
    return { program: 'docker', prefix: ['compose'], version: stdout.trim() }
  } catch {
    // no compose plugin: try the standalone program
  }
  try {
    const { stdout } = await exec('docker-compose', ['version', '--short'], { timeout: 20_000 })
    return { program: 'docker-compose', prefix: [], version: stdout.trim() }
  } catch (cause) {
    throw new ComposeError(
      'COMPOSE_UNAVAILABLE',
      'neither `docker compose` (v2) nor `docker-compose` (v1) runs here; install one of them',
      { cause },
    )
  }
}

/** One compose project: the devnet file under a fixed project name, so that its volumes are findable. */
export class ComposeProject {
  readonly cli: ComposeCli
  readonly file: string
  readonly name: string

  constructor(cli: ComposeCli, file: string, name: string) {
    this.cli = cli
    this.file = file
    this.name = name
  }

  /** Runs a compose command; its output goes to the caller's terminal when `inherit`. */
  async run(args: readonly string[], options: { inherit?: boolean } = {}): Promise<string> {
    const argv = [...this.cli.prefix, '-p', this.name, '-f', this.file, ...args]
    const child = spawn(this.cli.program, argv, {
      stdio: ['ignore', 'pipe', options.inherit ? 'inherit' : 'pipe'],
    })
    let out = ''
    let err = ''
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
    })
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString()
    })
    const code = await exitOf(child)
    if (code !== 0)
      throw new ComposeError(
        'COMPOSE_FAILED',
        `${this.cli.program} ${argv.join(' ')} exited ${code}\n${err.trim()}`.trim(),
      )
    return out
  }

  /** Starts every service, each once what it depends on is healthy or done (both versions wait for that). */
  async up(): Promise<void> {
    await this.run(['up', '-d', '--no-build'], { inherit: true })
  }

  async restart(service: string): Promise<void> {
    await this.run(['restart', service])
  }

  /** A new container for the service, on the same volumes. */
  async recreate(service: string): Promise<void> {
    await this.run(['up', '-d', '--no-build', '--no-deps', '--force-recreate', service])
  }

  /** Containers, networks and volumes, including those of an earlier run. */
  async down(): Promise<void> {
    await this.run(['down', '-v', '--remove-orphans'])
  }

  async containerId(service: string): Promise<string> {
    const id = (await this.run(['ps', '-a', '-q', service])).trim().split('\n')[0]
    if (!id) throw new ComposeError('COMPOSE_FAILED', `no container for service ${service}`)
    return id
  }

  /** The last lines of every service's log, for a failure report. */
  async logs(tail = 40): Promise<string> {
    return this.run(['logs', '--no-color', '--tail', String(tail)]).catch((e: unknown) => String(e))
  }
}

/**
 * Follows a container's log until it exits (plain `docker logs -f`: no
 * per-version prefix) and returns its exit code.
 */
export async function followContainer(id: string, onLine: (line: string) => void): Promise<number> {
  const child = spawn('docker', ['logs', '-f', id], { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines = (stream: NodeJS.ReadableStream | null) => {
    let rest = ''
    stream?.on('data', (d: Buffer) => {
      const parts = (rest + d.toString()).split('\n')
      rest = parts.pop() ?? ''
      for (const line of parts) onLine(line)
    })
    stream?.on('end', () => {
      if (rest) onLine(rest)
    })
  }
  lines(child.stdout)
  lines(child.stderr)
  await exitOf(child)
  const { stdout } = await exec('docker', ['wait', id])
  return Number(stdout.trim())
}

/** A container's healthcheck status (`healthy`, `unhealthy`, `starting`), or `none`. */
export async function healthOf(id: string): Promise<string> {
  const { stdout } = await exec('docker', [
    'inspect',
    '--format',
    '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}',
    id,
  ])
  return stdout.trim()
}

/** Everything a container has logged, across its restarts. */
export async function logsOf(id: string): Promise<string> {
  const { stdout, stderr } = await exec('docker', ['logs', id], { maxBuffer: 256 * 2 ** 20 })
  return stdout + stderr
}

export function exitOf(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => resolve(code ?? 1))
  })
}
