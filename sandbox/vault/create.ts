import { createReadStream } from 'node:fs'
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import type { Readable } from 'node:stream'
import { SandboxError } from '../errors.ts'
import type { Hex32 } from '../he/hash.ts'
import { KEY_FILES, openSecretFile, readKeyMeta } from '../he/keys.ts'
import { PROFILES } from '../he/profiles.ts'
import { WorkerPool } from '../pool/worker-pool.ts'
import { putBlob } from './blob-dir.ts'
import { readCsv } from './csv.ts'
import type { EncryptRequest, EncryptResult, EncryptWorkerData } from './encrypt-task.ts'
import { storedColumns } from './layout.ts'
import { BLOB_DIR, MANIFEST_FILE, type VaultManifest, vaultIdOf } from './manifest.ts'
import type { Policy } from './policy.ts'
import type { VaultSchema } from './schema.ts'

export interface CreateVaultOptions {
  readonly csv: string | Readable
  readonly schema: VaultSchema
  readonly policy: Policy
  readonly keysDir: string
  readonly passphrase: string
  readonly outDir: string
  /** encryption workers; defaults to every core */
  readonly workers?: number
  /** called with the running record count after each encrypted chunk */
  readonly onProgress?: (records: number) => void
}

/**
 * Streams a CSV into an encrypted vault: rows are parsed and checked one at
 * a time, gathered into chunks of slotCount records, and encrypted by a
 * pool of workers, so memory stays flat whatever the file's size. The vault
 * is built in a scratch directory and renamed into place only when every
 * row has been accepted: a bad row leaves nothing behind.
 */
export async function createVault(options: CreateVaultOptions): Promise<VaultManifest> {
  const meta = await readKeyMeta(options.keysDir)
  const profile = PROFILES[meta.profile]
  const layout = storedColumns(options.schema)
  await ensureFreshTarget(options.outDir)
  const scratch = join(dirname(options.outDir), `.${Date.now()}-${process.pid}.partial`)
  const blobDir = join(scratch, BLOB_DIR)
  await mkdir(blobDir, { recursive: true })

  const workerData: EncryptWorkerData = {
    profile: meta.profile,
    secretKey: await openSecretFile(options.keysDir, options.passphrase, meta.keyId),
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
  let records = 0
  let chunkIndex = 0
  let batch = newBatch(layout.length, profile.slotCount)
  let filled = 0

  const flush = async () => {
    const index = chunkIndex++
    const columns = batch
    const count = filled
    batch = newBatch(layout.length, profile.slotCount)
    filled = 0
    const job = pool
      .run({ columns }, { transfer: columns.map((c) => c.buffer as ArrayBuffer) })
      .then(async ({ blobs }) => {
        const ids = await Promise.all(blobs.map((b) => putBlob(blobDir, b)))
        ids.forEach((id, c) => {
          chunks[c]![index] = id
        })
        records += count
        options.onProgress?.(records)
      })
    inFlight.add(job)
    void job.finally(() => inFlight.delete(job)).catch(() => {})
    // Bounded look-ahead keeps memory flat on million-row files.
    if (inFlight.size >= size * 2) await Promise.race(inFlight)
  }

  try {
    const input = typeof options.csv === 'string' ? createReadStream(options.csv) : options.csv
    for await (const row of readCsv(input, options.schema)) {
      for (let c = 0; c < layout.length; c++) batch[c]![filled] = row.values[c]!
      filled++
      if (filled === profile.slotCount) await flush()
    }
    if (filled > 0) await flush()
    await Promise.all(inFlight)
    const keyBlobs = await Promise.all(
      [KEY_FILES.relinKeys, KEY_FILES.galoisKeys].map(async (f) =>
        putBlob(blobDir, await readFile(join(options.keysDir, f))),
      ),
    )
    if (keyBlobs[0] !== meta.relinKeys || keyBlobs[1] !== meta.galoisKeys) {
      throw new SandboxError('KEY_MISMATCH', `the key files in ${options.keysDir} do not match its keys.json`)
    }
    const withoutId = {
      version: 1 as const,
      profile: meta.profile,
      schema: options.schema,
      recordCount: records,
      chunkCount: chunkIndex,
      slotCount: profile.slotCount,
      keys: {
        publicKey: meta.keyId,
        relinKeys: meta.relinKeys,
        galoisKeys: meta.galoisKeys,
        galoisSteps: meta.galoisSteps,
      },
      columns: layout.map((s, i) => ({ ...s, chunks: chunks[i]! })),
      policy: options.policy,
      createdAt: new Date().toISOString(),
    }
    const manifest: VaultManifest = { ...withoutId, vaultId: vaultIdOf(withoutId) }
    await writeFile(join(scratch, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
    await rm(options.outDir, { recursive: true, force: true })
    await rename(scratch, options.outDir)
    return manifest
  } catch (e) {
    await Promise.allSettled(inFlight)
    await rm(scratch, { recursive: true, force: true })
    throw e
  } finally {
    await pool.stop()
    workerData.secretKey.fill(0)
  }
}

function newBatch(columns: number, slots: number): Float64Array[] {
  return Array.from({ length: columns }, () => new Float64Array(slots))
}

async function ensureFreshTarget(dir: string): Promise<void> {
  try {
    const entries = await readdir(dir)
    if (entries.length > 0) {
      throw new SandboxError(
        'MANIFEST_INVALID',
        `${dir} exists and is not empty; refusing to overwrite a vault`,
        {
          field: dir,
        },
      )
    }
  } catch (e) {
    if (e instanceof SandboxError) throw e
  }
}
