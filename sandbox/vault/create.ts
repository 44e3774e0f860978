import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { basename, dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { blobIdOf, type Hex32 } from '../../protocol/index.ts'
import { CsvError, SandboxError } from '../errors.ts'
import { KEY_FILES, openSecretFile, readKeyMeta } from '../he/keys.ts'
import { PROFILES, type ProfileName, rotateAndSumSteps } from '../he/profiles.ts'
import { WorkerPool } from '../pool/worker-pool.ts'
import { putBlob, writeSynced } from './blob-dir.ts'
import { isIoError, readHeader } from './csv.ts'
import { type CsvBlock, csvBlocks } from './csv-blocks.ts'
import type { EncryptRequest, EncryptResult, EncryptWorkerData } from './encrypt-task.ts'
import { storedColumns } from './layout.ts'
import { BLOB_DIR, MANIFEST_FILE, type VaultManifest, vaultIdOf } from './manifest.ts'
import type { Policy } from './policy.ts'
import type { VaultSchema } from './schema.ts'

export interface CreateVaultOptions {
  readonly csv: string | Readable
  readonly schema: VaultSchema
  readonly policy: Policy
  /** owner mode: the seller's key directory and its passphrase */
  readonly keysDir?: string
  readonly passphrase?: string
  /** committee mode instead: the committee's keys, already checked against the chain by the caller */
  readonly committee?: CommitteeKeys
  readonly outDir: string
  /** encryption workers; defaults to every core */
  readonly workers?: number
  /**
   * Values per slot: 2 (two chunks per ciphertext, half the bytes) where the owner's keys include
   * the conjugation, else 1; committee vaults always 1. Asking for 2 without the key is refused.
   */
  readonly valuesPerSlot?: 1 | 2
  /** called with the running record count after each encrypted chunk */
  readonly onProgress?: (records: number) => void
}

/** A committee's keys as a vault under them stores them, and the manifest's keyHolder. */
export interface CommitteeKeys {
  readonly profile: ProfileName
  /** stored bytes of SEAL PublicKey, RelinKeys and GaloisKeys */
  readonly publicKey: Uint8Array
  readonly relinKeys: Uint8Array
  readonly galoisKeys: Uint8Array
  readonly keyHolder: NonNullable<VaultManifest['keyHolder']>
}

interface KeySource {
  readonly profile: ProfileName
  readonly worker: Pick<EncryptWorkerData, 'secretKey' | 'publicKey'>
  /** the blobs of the relinearization and Galois keys, written into the vault */
  readonly evaluationKeys: () => Promise<readonly [Uint8Array, Uint8Array]>
  readonly keys: Omit<VaultManifest['keys'], 'galoisSteps'> & { galoisSteps: readonly number[] }
  readonly keyHolder?: VaultManifest['keyHolder']
  /** the Galois keys hold the conjugation that separates a complex slot's two values */
  readonly conjugation: boolean
}

/** Owner mode reads the seller's key directory; committee mode takes the committee's keys as given. */
async function keySource(options: CreateVaultOptions): Promise<KeySource> {
  if (options.committee) {
    const c = options.committee
    return {
      profile: c.profile,
      worker: { publicKey: c.publicKey },
      evaluationKeys: async () => [c.relinKeys, c.galoisKeys],
      keys: {
        publicKey: blobIdOf(c.publicKey),
        relinKeys: blobIdOf(c.relinKeys),
        galoisKeys: blobIdOf(c.galoisKeys),
        galoisSteps: rotateAndSumSteps(PROFILES[c.profile].slotCount),
      },
      keyHolder: c.keyHolder,
      conjugation: false,
    }
  }
  if (options.keysDir === undefined || options.passphrase === undefined) {
    throw new SandboxError('KEY_INVALID', 'a vault needs a key directory and passphrase, or a committee key')
  }
  const { keysDir, passphrase } = options
  const meta = await readKeyMeta(keysDir)
  return {
    profile: meta.profile,
    worker: { secretKey: await openSecretFile(keysDir, passphrase, meta.keyId) },
    evaluationKeys: async () => [
      await readFile(join(keysDir, KEY_FILES.relinKeys)),
      await readFile(join(keysDir, KEY_FILES.galoisKeys)),
    ],
    keys: {
      publicKey: meta.keyId,
      relinKeys: meta.relinKeys,
      galoisKeys: meta.galoisKeys,
      galoisSteps: meta.galoisSteps,
    },
    conjugation: meta.conjugation === true,
  }
}

/** Two values per slot where the keys allow it, unless the caller asked for one. */
function valuesPerSlotOf(options: CreateVaultOptions, source: KeySource): 1 | 2 {
  const asked = options.valuesPerSlot
  if (asked === 2 && !source.conjugation) {
    throw new SandboxError(
      'KEY_INVALID',
      source.keyHolder
        ? 'a committee vault holds one value per slot: the committee keys have no conjugation'
        : `the keys in ${options.keysDir} have no conjugation key (made before it was added): generate keys again for two values per slot`,
      { field: 'valuesPerSlot' },
    )
  }
  return asked ?? (source.conjugation ? 2 : 1)
}

/**
 * Streams a CSV into an encrypted vault: the main thread cuts it into
 * chunks of slotCount records, and a pool of workers parses, checks and
 * encrypts them, so memory stays flat whatever the file's size and the
 * parsing is shared between the cores. The vault
 * is built in a scratch directory of its own, synced, and renamed into
 * place only when every row has been accepted: a bad row, an unreadable
 * file or a full disk leaves nothing behind, each as a typed SandboxError
 * naming the path, and of two runs at once on one output one wins.
 */
export async function createVault(options: CreateVaultOptions): Promise<VaultManifest> {
  const source = await keySource(options)
  const profile = PROFILES[source.profile]
  const layout = storedColumns(options.schema)
  const valuesPerSlot = valuesPerSlotOf(options, source)
  await ensureFreshTarget(options.outDir)
  // Opened before anything is written: a missing CSV leaves nothing behind.
  const csvFile =
    typeof options.csv === 'string'
      ? await open(options.csv, 'r').catch((e: unknown) => {
          throw ioError('FILE_UNREADABLE', `cannot read the CSV ${options.csv}`, options.csv as string, e)
        })
      : undefined
  const parent = dirname(options.outDir)
  let scratch: string
  try {
    await mkdir(parent, { recursive: true })
    // Unique per run, next to the output so that the final rename stays on one file system.
    scratch = await mkdtemp(join(parent, `.${basename(options.outDir)}.partial-`))
  } catch (e) {
    await csvFile?.close()
    throw ioError('VAULT_IO', `cannot write next to ${options.outDir}`, parent, e)
  }
  const blobDir = join(scratch, BLOB_DIR)
  try {
    await mkdir(blobDir, { recursive: true })
  } catch (e) {
    await csvFile?.close()
    await rm(scratch, { recursive: true, force: true })
    throw ioError('VAULT_IO', `cannot write ${blobDir}`, blobDir, e)
  }

  const workerData: EncryptWorkerData = {
    profile: source.profile,
    ...source.worker,
    schema: options.schema,
    valuesPerSlot,
  }
  const size = Math.max(1, options.workers ?? availableParallelism())
  const pool = new WorkerPool<EncryptRequest, EncryptResult>({
    script: new URL('./encrypt-worker.ts', import.meta.url),
    size,
    workerData,
  })
  pool.start()

  const chunks: Hex32[][] = layout.map(() => [])
  const inFlight = new Set<Promise<void>>()
  // Workers fail out of order; the vault reports the first bad chunk of the file.
  const failures: Array<{ index: number; error: unknown }> = []
  let records = 0
  let chunkIndex = 0

  const flush = async (block: CsvBlock, header: readonly string[]) => {
    const index = chunkIndex++
    const job = pool
      .run(
        { text: block.text, firstLine: block.firstLine, header },
        { transfer: [block.text.buffer as ArrayBuffer] },
      )
      .then(async ({ blobs, count }) => {
        const ids = await Promise.all(blobs.map((b) => putBlob(blobDir, b)))
        // A ciphertext of two values per slot is named by both its chunks (the second only if it has records).
        const halves = count > profile.slotCount ? 2 : 1
        ids.forEach((id, c) => {
          for (let h = 0; h < halves; h++) chunks[c]![index * valuesPerSlot + h] = id
        })
        records += count
        options.onProgress?.(records)
      })
      .catch((error: unknown) => {
        failures.push({ index, error })
        throw error
      })
    inFlight.add(job)
    void job.finally(() => inFlight.delete(job)).catch(() => {})
    // Bounded look-ahead keeps memory flat on million-row files.
    if (inFlight.size >= size * 2) await Promise.race(inFlight)
  }

  let keyCopy: Promise<Hex32[]> | undefined
  try {
    // Copied while the workers start (most of a small vault's time), not after the last chunk.
    keyCopy = source
      .evaluationKeys()
      .then((keys) => Promise.all(keys.map((bytes) => putBlob(blobDir, bytes))))
    keyCopy.catch(() => undefined) // awaited below; a failure before then is handled there
    const input = csvFile ? csvFile.createReadStream() : (options.csv as Readable)
    const path = csvFile ? (options.csv as string) : 'the CSV stream'
    const blocks = blocksOf(input, profile.slotCount * valuesPerSlot, path)
    const first = await blocks.next()
    if (first.done) throw new CsvError('the file is empty: expected a header line', 1)
    const header = readHeader(
      new TextDecoder().decode(first.value.text),
      options.schema,
      first.value.firstLine,
    )
    for await (const block of blocks) await flush(block, header)
    await Promise.all(inFlight)
    const keyBlobs = await keyCopy
    if (keyBlobs[0] !== source.keys.relinKeys || keyBlobs[1] !== source.keys.galoisKeys) {
      throw new SandboxError('KEY_MISMATCH', `the key files in ${options.keysDir} do not match its keys.json`)
    }
    const withoutId = {
      version: 1 as const,
      profile: source.profile,
      schema: options.schema,
      recordCount: records,
      chunkCount: chunks[0]!.length,
      slotCount: profile.slotCount,
      keys: { ...source.keys, galoisSteps: [...source.keys.galoisSteps] },
      columns: layout.map((s, i) => ({ ...s, chunks: chunks[i]! })),
      policy: options.policy,
      createdAt: new Date().toISOString(),
      ...(source.keyHolder ? { keyHolder: source.keyHolder } : {}),
      ...(valuesPerSlot === 2 ? { valuesPerSlot } : {}),
    }
    const manifest: VaultManifest = { ...withoutId, vaultId: vaultIdOf(withoutId) }
    await writeSynced(join(scratch, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
    await syncDir(blobDir)
    await syncDir(scratch)
    await publish(scratch, options.outDir)
    await syncDir(parent)
    return manifest
  } catch (thrown) {
    await Promise.allSettled([...inFlight, keyCopy])
    await rm(scratch, { recursive: true, force: true })
    const e = failures.sort((a, b) => a.index - b.index)[0]?.error ?? thrown
    if (e instanceof SandboxError) throw e
    if (isIoError(e)) {
      const path = e.path ?? options.outDir
      throw ioError(
        path === options.csv ? 'FILE_UNREADABLE' : 'VAULT_IO',
        `${e.syscall ?? 'I/O'} ${path}`,
        path,
        e,
      )
    }
    throw e
  } finally {
    await csvFile?.close().catch(() => undefined)
    await pool.stop()
    workerData.secretKey?.fill(0)
  }
}

/** The CSV's blocks of records; a read failure (not a format error) names the file. */
async function* blocksOf(input: Readable, recordsPerBlock: number, path: string) {
  try {
    yield* csvBlocks(input, recordsPerBlock)
  } catch (e) {
    if (isIoError(e)) throw ioError('FILE_UNREADABLE', `cannot read the CSV ${path}`, path, e)
    throw e
  }
}

/**
 * Moves the finished vault into place. A rename onto a non-empty directory fails instead of
 * replacing it, so of two runs racing to one output exactly one wins and the other is refused.
 */
async function publish(scratch: string, outDir: string): Promise<void> {
  try {
    await rmdir(outDir) // an empty directory the user made for it
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') throw outputExists(outDir)
    if (code !== 'ENOENT') throw e
  }
  try {
    await rename(scratch, outDir)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR') throw outputExists(outDir)
    throw e
  }
}

/** fsync of a directory: the names created or renamed in it survive a crash. */
async function syncDir(path: string): Promise<void> {
  const dir = await open(path, 'r')
  try {
    await dir.sync()
  } finally {
    await dir.close()
  }
}

const outputExists = (outDir: string) =>
  new SandboxError('OUTPUT_EXISTS', `${outDir} exists and is not empty; refusing to overwrite a vault`, {
    field: outDir,
  })

function ioError(
  code: 'FILE_UNREADABLE' | 'VAULT_IO',
  what: string,
  path: string,
  cause: unknown,
): SandboxError {
  const reason =
    (cause as NodeJS.ErrnoException).code ?? (cause instanceof Error ? cause.message : String(cause))
  return new SandboxError(code, `${what}: ${reason}`, { field: path, cause })
}

async function ensureFreshTarget(dir: string): Promise<void> {
  let entries: string[]
  try {
    entries = await readdir(dir)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return
    if (code === 'ENOTDIR') throw outputExists(dir)
    throw ioError('VAULT_IO', `cannot read ${dir}`, dir, e)
  }
  if (entries.length > 0) throw outputExists(dir)
}
