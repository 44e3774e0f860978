import { createHash } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { PackPlan, StatPlan } from '../compiler/circuit.ts'
import type { ProfileName } from '../he/profiles.ts'

/**
 * Accumulated stats, stats made ready for a pack, and finished packs, kept across jobs. A stat's accumulator (Σ over the
 * vault's chunks of its product, before any relinearization) depends only
 * on its factors' ciphertexts, which are immutable and content-addressed,
 * and SEAL is deterministic, so a later job reading it back continues with
 * the very bytes it would have computed. The key is a hash of what the
 * accumulator is made of; privacy budgets are charged per job elsewhere,
 * whatever this saves.
 */
export interface StatCache {
  read(key: string): Uint8Array | undefined
  write(key: string, bytes: Uint8Array): void
}

/**
 * What an accumulator is made of: profile, evaluator version, factors (in its product tree's order),
 * every chunk's blob id, and the level its product was taken at when below the top.
 */
export function statKey(
  profile: ProfileName,
  version: number,
  stat: Pick<StatPlan, 'factors'>,
  chunksOf: (factor: string) => readonly string[],
  level?: number,
): string {
  const h = createHash('sha256')
  h.update(`tcf-stat/${version}\n${profile}\n`)
  if (level !== undefined) h.update(`level ${level}\n`)
  for (const f of stat.factors) h.update(`${f}\n${chunksOf(f).join(',')}\n`)
  return h.digest('hex')
}

/**
 * What a pack's result is made of: its stats' accumulators (by their keys, in the pack's order)
 * and how they are reduced. The same key gives the same result bytes, so a later job asking for
 * the same statistics of the same vault skips the evaluation altogether.
 */
export function packKey(
  version: number,
  pack: Pick<PackPlan, 'classes' | 'window' | 'level' | 'masks'>,
  statKeys: readonly string[],
): string {
  const h = createHash('sha256')
  // The masks change the result bytes; 0/1-masked packs keep the keys they had before integer masks.
  const masks = pack.masks ? `,${pack.masks}` : ''
  h.update(
    `tcf-pack/${version}\n${pack.classes},${pack.window},${pack.level}${masks}\n${statKeys.join('\n')}`,
  )
  return h.digest('hex')
}

/**
 * What a packed stat is made ready as: its accumulator relinearized and rescaled, switched down
 * to the `level` (data primes) where its pack's masks apply and summed over the pack's `window`. A later job packing the stat with other stats, at the same level and window, starts
 * its pack from these bytes, which are the ones it would have computed.
 */
export function preparedKey(statKey: string, level: number, window: number): string {
  return createHash('sha256').update(`tcf-prepared/${statKey}\n${level},${window}`).digest('hex')
}

export interface DirStatCacheLimits {
  /** bytes kept on disk; the least recently written go first */
  readonly maxDiskBytes: number
  /** bytes kept in this process's memory; the least recently used go first */
  readonly maxMemoryBytes: number
}

export const DEFAULT_STAT_CACHE_LIMITS: DirStatCacheLimits = {
  maxDiskBytes: 2 * 1024 ** 3,
  maxMemoryBytes: 256 * 1024 ** 2,
}

/**
 * A StatCache in a directory (one file per key, written through a
 * temporary name and a rename) with an in-memory LRU in front. Several
 * workers may share the directory; each keeps the total under the bound
 * when it writes. A file that cannot be read is a miss, never an error: the
 * stat is recomputed.
 */
export class DirStatCache implements StatCache {
  readonly #dir: string
  readonly #limits: DirStatCacheLimits
  readonly #memory = new Map<string, Uint8Array>()
  #memoryBytes = 0
  hits = 0
  misses = 0

  constructor(dir: string, limits: DirStatCacheLimits = DEFAULT_STAT_CACHE_LIMITS) {
    this.#dir = dir
    this.#limits = limits
    mkdirSync(dir, { recursive: true })
  }

  read(key: string): Uint8Array | undefined {
    const held = this.#memory.get(key)
    if (held) {
      this.#memory.delete(key)
      this.#memory.set(key, held)
      this.hits++
      return held
    }
    try {
      const bytes = new Uint8Array(readFileSync(join(this.#dir, key)))
      this.#remember(key, bytes)
      this.hits++
      return bytes
    } catch {
      this.misses++
      return undefined
    }
  }

  write(key: string, bytes: Uint8Array): void {
    this.#remember(key, bytes)
    if (bytes.length > this.#limits.maxDiskBytes) return
    try {
      const path = join(this.#dir, key)
      const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
      writeFileSync(tmp, bytes)
      renameSync(tmp, path)
      this.#trimDisk()
    } catch {
      // A full or read-only disk costs the reuse, not the job.
    }
  }

  #remember(key: string, bytes: Uint8Array): void {
    if (bytes.length > this.#limits.maxMemoryBytes) return
    const old = this.#memory.get(key)
    if (old) this.#memoryBytes -= old.length
    this.#memory.delete(key)
    this.#memory.set(key, bytes)
    this.#memoryBytes += bytes.length
    for (const [k, v] of this.#memory) {
      if (this.#memoryBytes <= this.#limits.maxMemoryBytes) break
      this.#memory.delete(k)
      this.#memoryBytes -= v.length
    }
  }

  #trimDisk(): void {
    const files = readdirSync(this.#dir)
      .filter((f) => !f.includes('.tmp-'))
      .flatMap((f) => {
        try {
          const s = statSync(join(this.#dir, f))
          return [{ f, size: s.size, mtime: s.mtimeMs }]
        } catch {
          return []
        }
      })
    let total = files.reduce((a, x) => a + x.size, 0)
    for (const x of files.sort((a, b) => a.mtime - b.mtime)) {
      if (total <= this.#limits.maxDiskBytes) break
      rmSync(join(this.#dir, x.f), { force: true })
      total -= x.size
    }
  }
}
