import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { copyFile, link, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { TcfError } from '../../protocol/errors.ts'

const run = promisify(execFile)

/**
 * The images are built from this checkout's own `npm ci` output, so an image
 * build needs no registry: the packages an image needs are linked from
 * node_modules into `.docker-stage/<name>/node_modules`, which the Dockerfiles
 * copy. npm itself says which packages those are (`npm query`), from the
 * installed tree, offline.
 */
export const STAGE_DIR = '.docker-stage'

export interface StagePlan {
  /** the directory name under STAGE_DIR */
  readonly name: string
  /** an `npm query` selector for the installed packages the image needs */
  readonly selector: string
}

/** The tcf image: production dependencies only. */
export const APP_STAGE: StagePlan = { name: 'app', selector: '.prod' }

export class StageError extends TcfError {
  override readonly name = 'StageError'
  readonly code = 'IMAGE_STAGE_FAILED'
}

/**
 * Links the selected packages into `<repo>/.docker-stage/<name>/node_modules`.
 * Skipped when the stage was made from the same lockfile and selector; returns
 * the number of packages staged (0 when reused).
 */
export async function stageDependencies(repo: string, plan: StagePlan): Promise<number> {
  const target = join(repo, STAGE_DIR, plan.name)
  const stamp = join(target, '.stamp')
  const lock = await readFile(join(repo, 'package-lock.json')).catch((cause: unknown) => {
    throw new StageError(`no package-lock.json in ${repo}: run npm ci first`, { cause })
  })
  const wanted = createHash('sha256').update(lock).update(plan.selector).digest('hex')
  if ((await readFile(stamp, 'utf8').catch(() => '')) === wanted) return 0

  const { stdout } = await run('npm', ['query', plan.selector], {
    cwd: repo,
    maxBuffer: 64 * 2 ** 20,
  }).catch((cause: unknown) => {
    throw new StageError(`npm query '${plan.selector}' failed in ${repo}`, { cause })
  })
  const locations = (JSON.parse(stdout) as InstalledPackage[])
    // The root package is the project itself; the Dockerfile copies its sources.
    .filter((p) => p.location.startsWith('node_modules/') && runsOnLinuxGlibc(p))
    .map((p) => p.location)
  if (locations.length === 0) throw new StageError(`npm query '${plan.selector}' found no installed package`)
  await rm(target, { recursive: true, force: true })
  for (const location of locations) {
    const from = join(repo, location)
    if (!(await stat(from).catch(() => undefined)))
      throw new StageError(`${location} is in the lockfile but not installed: run npm ci`)
    await linkTree(from, join(target, location))
  }
  await writeFile(stamp, wanted)
  return locations.length
}

interface InstalledPackage {
  readonly name: string
  readonly location: string
  readonly os?: readonly string[]
  readonly cpu?: readonly string[]
  readonly libc?: readonly string[]
}

/** A native build's platform suffix, as napi packages name them. */
const PLATFORM_SUFFIX = /-(darwin|win32|linux|freebsd|android)-(x64|arm64|ia32|arm)(-(gnu|musl|msvc))?$/

/**
 * The node_modules here may hold every platform's native build of a package
 * (some ship one per OS and libc and name them without os/cpu fields); the
 * image is Debian (glibc) on this machine's CPU, so only that one goes in.
 */
function runsOnLinuxGlibc(p: InstalledPackage): boolean {
  const allows = (list: readonly string[] | undefined, value: string) =>
    list === undefined || (list.includes(value) && !list.includes(`!${value}`))
  const suffix = PLATFORM_SUFFIX.exec(p.name)
  const named =
    suffix === null || (suffix[1] === 'linux' && suffix[2] === process.arch && suffix[4] !== 'musl')
  return named && allows(p.os, 'linux') && allows(p.cpu, process.arch) && allows(p.libc, 'glibc')
}

/**
 * Hard links where the filesystem allows (the stage costs no space), a copy
 * where it does not. A nested package's own node_modules is skipped: npm lists
 * it separately when the image needs it.
 */
async function linkTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true })
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name)
    const dest = join(to, entry.name)
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') await linkTree(source, dest)
    } else if (entry.isFile()) {
      await link(source, dest).catch(async () => {
        await mkdir(dirname(dest), { recursive: true })
        await copyFile(source, dest)
      })
    }
    // Symbolic links (node_modules/.bin) stay out: the image runs scripts by path.
  }
}
