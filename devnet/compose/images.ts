import { execFile, spawn } from 'node:child_process'
import { copyFile, link, mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { anvilBinary } from '../../protocol/index.ts'
import { ComposeError, exitOf } from './engine.ts'
import { APP_STAGE, STAGE_DIR, stageDependencies } from './stage.ts'

const exec = promisify(execFile)

/** What the Dockerfile builds on for real users: the official image of the Node major `engines` asks for. */
export const PUBLIC_BASE = 'node:24-bookworm-slim'
/** Debian bookworm, made with debootstrap where no registry is reachable; cached in docker's image store. */
export const LOCAL_DEBIAN = 'tcf-base:bookworm'
/** That Debian plus this machine's Node binary; the tag names the Node version, so a new Node makes a new base. */
export const localNodeBase = (): string => `tcf-node:${process.versions.node}-bookworm`
export const APP_IMAGE = 'tcf:devnet'
export const CHAIN_IMAGE = 'tcf-chain:devnet'

type Log = (line: string) => void

const imageExists = async (image: string): Promise<boolean> =>
  exec('docker', ['image', 'inspect', image]).then(
    () => true,
    () => false,
  )

/** Runs docker with its output on the caller's stderr; throws a ComposeError naming the step on failure. */
async function docker(step: string, args: readonly string[], stdin?: NodeJS.ReadableStream): Promise<void> {
  const child = spawn('docker', args, { stdio: [stdin ? 'pipe' : 'ignore', 'ignore', 'inherit'] })
  if (stdin && child.stdin) stdin.pipe(child.stdin)
  const code = await exitOf(child)
  if (code !== 0) throw new ComposeError('COMPOSE_FAILED', `${step}: docker ${args.join(' ')} exited ${code}`)
}

/**
 * The base to build on: the public Node image when it is here or can be
 * pulled, otherwise a local one made without any registry (built once, then
 * reused from docker's image store).
 */
export async function resolveBase(repo: string, log: Log): Promise<string> {
  if (await imageExists(PUBLIC_BASE)) return PUBLIC_BASE
  const pulled = await exec('docker', ['pull', PUBLIC_BASE], { timeout: 300_000 }).then(
    () => true,
    (e: { stderr?: string }) => {
      log(
        `cannot pull ${PUBLIC_BASE} (${e.stderr?.trim().split('\n').at(-1) ?? 'no registry'}); using a local base`,
      )
      return false
    },
  )
  if (pulled) return PUBLIC_BASE
  const base = localNodeBase()
  if (await imageExists(base)) return base
  if (!(await imageExists(LOCAL_DEBIAN))) await importDebian(log)
  log(`building ${base}: ${LOCAL_DEBIAN} and this machine's Node ${process.version}`)
  const context = await mkdtemp(join(tmpdir(), 'tcf-node-base-'))
  try {
    await link(process.execPath, join(context, 'node')).catch(() =>
      copyFile(process.execPath, join(context, 'node')),
    )
    await docker('local Node base', [
      'build',
      '-q',
      '--build-arg',
      `DEBIAN=${LOCAL_DEBIAN}`,
      '-t',
      base,
      '-f',
      join(repo, 'devnet/compose/node-base.Dockerfile'),
      context,
    ])
  } finally {
    await rm(context, { recursive: true, force: true })
  }
  return base
}

/**
 * debootstrap's minimal bookworm from the Debian mirror apt already uses,
 * imported as an image without docs, man pages, locales or apt caches.
 */
async function importDebian(log: Log): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new ComposeError(
      'DOCKER_UNAVAILABLE',
      `${PUBLIC_BASE} cannot be pulled and building ${LOCAL_DEBIAN} with debootstrap needs root: run once as root, or pull ${PUBLIC_BASE}`,
    )
  const mirror = await debianMirror()
  const root = await mkdtemp(join(tmpdir(), 'tcf-debian-'))
  try {
    log(`debootstrap --variant=minbase bookworm from ${mirror} (once; cached as ${LOCAL_DEBIAN})`)
    await exec('debootstrap', ['--variant=minbase', 'bookworm', join(root, 'rootfs'), mirror], {
      timeout: 900_000,
      maxBuffer: 64 * 2 ** 20,
    }).catch((cause: unknown) => {
      throw new ComposeError('COMPOSE_FAILED', `debootstrap failed (is the debootstrap package installed?)`, {
        cause,
      })
    })
    const tar = spawn(
      'tar',
      [
        '-C',
        join(root, 'rootfs'),
        ...['usr/share/doc', 'usr/share/man', 'usr/share/locale', 'var/cache/apt', 'var/lib/apt/lists'].map(
          (d) => `--exclude=./${d}/*`,
        ),
        '-c',
        '.',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    // Listened for before the import ends: tar closes first, and a missed 'close' never comes again.
    const tarExit = exitOf(tar)
    await docker('import the Debian root', ['import', '-', LOCAL_DEBIAN], tar.stdout)
    if ((await tarExit) !== 0) throw new ComposeError('COMPOSE_FAILED', 'tar of the Debian root failed')
  } finally {
    await rm(root, { recursive: true, force: true })
  }
}

/** The first Debian mirror in apt's sources (deb822 `URIs:` or one-line `deb`), else deb.debian.org. */
export async function debianMirror(): Promise<string> {
  if (process.env.TCF_DEBIAN_MIRROR) return process.env.TCF_DEBIAN_MIRROR
  const files = ['/etc/apt/sources.list']
  const dir = '/etc/apt/sources.list.d'
  for (const f of await readdir(dir).catch(() => []))
    if (/\.(sources|list)$/.test(f)) files.push(join(dir, f))
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '')
    const found =
      /^URIs:\s*(\S+\/debian)\/?\s*$/m.exec(text)?.[1] ??
      /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+/m.exec(text)?.[1]
    if (found) return found
  }
  return 'http://deb.debian.org/debian'
}

/**
 * Stages the dependencies from this checkout's node_modules and builds the
 * tcf and dev chain images on `base`. No network: everything comes from the
 * checkout. Returns the seconds each image took.
 */
export async function buildImages(repo: string, base: string, log: Log): Promise<Record<string, number>> {
  await stageDependencies(repo, APP_STAGE)
  // The web app every validator serves: built here from the checkout, copied into the image.
  await exec('npm', ['run', '-s', 'build:web'], { cwd: repo }).catch((cause: unknown) => {
    throw new ComposeError('COMPOSE_FAILED', 'npm run build:web failed', { cause })
  })
  // The dev chain image holds one file: this checkout's anvil binary (a hard link where it can be).
  const chainContext = join(repo, STAGE_DIR, 'chain')
  await rm(chainContext, { recursive: true, force: true })
  await mkdir(chainContext, { recursive: true })
  const anvil = anvilBinary()
  await link(anvil, join(chainContext, 'anvil')).catch(() => copyFile(anvil, join(chainContext, 'anvil')))
  const seconds: Record<string, number> = {}
  for (const [image, dockerfile, context] of [
    [APP_IMAGE, join(repo, 'Dockerfile'), repo],
    [CHAIN_IMAGE, join(repo, 'devnet/compose/chain.Dockerfile'), chainContext],
  ] as const) {
    const t = Date.now()
    log(`building ${image} on ${base}`)
    await docker(`build ${image}`, [
      'build',
      '-q',
      '--build-arg',
      `BASE=${base}`,
      '-t',
      image,
      '-f',
      dockerfile,
      context,
    ])
    seconds[image] = (Date.now() - t) / 1000
  }
  return seconds
}
