import { join } from 'node:path'
import type { Logger } from 'pino'
import type { z } from 'zod'
import {
  type Block,
  blobIdOf,
  blockCodec,
  blockHash,
  type CommitCertificate,
  commitCertificateCodec,
  type Hex32,
  type JobRecord,
  type JobStage,
  jobRecordSchema,
  type VaultManifest,
  vaultManifestCodec,
} from '../../protocol/index.ts'
import { BlobFiles, FILE_BLOB_MIN_BYTES } from './blob-files.ts'
import { type BlobStore, createBlobStore } from './blob-store.ts'
import { type BatchOp, type Database, openDatabase } from './database.ts'
import { StorageError } from './errors.ts'
import { checkJobRecord, rememberCheckedRequest } from './job-record-check.ts'
import { numberKey, parseNumberKey } from './keys.ts'
import { type DurableWal, LevelWal } from './level-wal.ts'
import { RecordCache } from './record-cache.ts'
import {
  type StoredBlock,
  type StoredUpload,
  type StoredVault,
  storedBlockSchema,
  storedUploadSchema,
  storedVaultSchema,
} from './schemas.ts'
import { checkRecord, parseStored } from './stored.ts'
import { WriteQueue } from './write-queue.ts'

export interface NodeStoreInit {
  /** Directory of the LevelDB database, and of the large blobs' files (BLOB_FILES_DIR); created when missing. */
  readonly dir: string
  readonly logger?: Logger
}

/**
 * Where large blobs are files, inside the database's directory: LevelDB touches only the files it
 * names itself there.
 */
export const BLOB_FILES_DIR = 'blob-files'

/** The meta key under which `commitBlock` records the id of the latest decided record. */
export const HEAD_KEY = 'head'

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue }

/**
 * A node's durable state. Every write that resolves is on disk (synced); every multi-key update is
 * one atomic LevelDB batch. Values are validated on the way in and on the way out.
 */
export interface NodeStore {
  open(): Promise<void>
  close(): Promise<void>
  /** Content-addressed blobs; also the p2p layer's BlobSource. Valid once open. */
  readonly blobs: BlobStore
  /** consensus's WAL; await `wal.sync()` before releasing effects that follow a persist. Valid once open. */
  readonly wal: DurableWal
  putVault(manifest: VaultManifest, receivedAt?: Date): Promise<void>
  getVault(vaultId: string): Promise<StoredVault | undefined>
  /** Every stored vault, in vaultId order. */
  listVaults(): Promise<StoredVault[]>
  putJob(jobId: string, record: JobRecord): Promise<void>
  getJob(jobId: string): Promise<JobRecord | undefined>
  /**
   * Every job, or those at one stage and/or of one vault, in jobId order. A full scan: fine for
   * thousands of jobs; only the records that match are checked against the schema.
   */
  listJobs(filter?: { readonly stage?: JobStage; readonly vault?: string }): Promise<JobRecord[]>
  /**
   * Stores a decided block with its certificate, the job records it changes, (optionally) the
   * WAL pruned below a height and the decided record that becomes the `head` meta value, in one
   * synced batch: after a crash either all of it is there or none. Heights are contiguous from 1.
   * Storing the same block again is a no-op; another block at a stored height is CONFLICTING_BLOCK.
   */
  commitBlock(
    height: number,
    block: Block,
    certificate: CommitCertificate,
    jobUpdates: readonly JobRecord[],
    walPruneBelow?: number,
    head?: DecidedRecordBlob,
  ): Promise<void>
  getBlock(height: number): Promise<StoredBlock | undefined>
  decided(height: number): Promise<boolean>
  /** The highest stored height, 0 before the first block. */
  latestHeight(): number
  /**
   * Stores a blob uploaded through the API with its upload record: in one synced batch, or, for a
   * large blob, its file first and then the record.
   */
  putUpload(upload: StoredUpload, bytes: Uint8Array): Promise<void>
  /** Every upload record, in owner then blob order. */
  listUploads(): Promise<StoredUpload[]>
  /**
   * Deletes blobs and upload records (garbage collection): the caller has decided that nothing
   * still needs them. The records and small blobs go in one synced batch, large blobs' files after it.
   */
  collect(
    blobIds: readonly string[],
    uploads: readonly Pick<StoredUpload, 'owner' | 'blobId'>[],
  ): Promise<void>
  putMeta(key: string, value: JsonValue): Promise<void>
  /** A meta value checked against the schema the caller expects (CORRUPT_RECORD if it does not fit). */
  getMeta<T>(key: string, schema: z.ZodType<T>): Promise<T | undefined>
  /** Removes a meta value (a retired secret share); a missing key is no error. */
  delMeta(key: string): Promise<void>
}

/** A decided record as the blob it is served as: `id` is the sha256 of `bytes`. */
export interface DecidedRecordBlob {
  readonly id: Hex32
  readonly bytes: Uint8Array
}

interface Opened {
  readonly database: Database
  readonly files: BlobFiles
  readonly blobs: BlobStore
  readonly wal: LevelWal
  latestHeight: number
}

/** Job records kept decoded (a few KB each): more than the jobs in flight on a busy node. */
const JOB_RECORDS_CACHED = 2048

export function createNodeStore(init: NodeStoreInit): NodeStore {
  const log = init.logger?.child({ module: 'storage' })
  const writes = new WriteQueue()
  const jobRecords = new RecordCache<JobRecord>(JOB_RECORDS_CACHED, rememberCheckedRequest)
  let opened: Opened | undefined

  const state = (): Opened => {
    if (opened === undefined) throw new StorageError('NOT_OPEN', `store at ${init.dir} is not open`)
    return opened
  }

  const readJson = async <T>(
    sublevel: Database['jobs'],
    key: string,
    schema: z.ZodType<T>,
    where: string,
  ): Promise<T | undefined> => {
    const text = await sublevel.get(key)
    return text === undefined ? undefined : parseStored(schema, text, `${where} ${key}`)
  }

  /**
   * Single-key and multi-key writes alike go through the queue and the WAL's batch, so all stay
   * ordered; `landed` runs inside the queue once the batch is on disk, before any later write.
   */
  const write = (ops: readonly BatchOp[], landed?: () => void) =>
    writes.write(landed === undefined ? { ops } : { ops, landed }, (group) => state().wal.writeGroup(group))

  const readLatestHeight = async (database: Database): Promise<number> => {
    const [key] = await database.blocks.keys({ reverse: true, limit: 1 }).all()
    if (key === undefined) return 0
    const height = parseNumberKey(key)
    if (height === undefined) throw new StorageError('CORRUPT_RECORD', `blocks: malformed key ${key}`)
    return height
  }

  /**
   * A job record a listing read from disk, checked; remembered while the cache has room, so that a
   * listing of more records than it holds does not push out the records in flight.
   */
  const readListed = (key: string, text: string, writesBefore: number): JobRecord => {
    const value = parseStored(jobRecordSchema, text, `job ${key}`)
    return jobRecords.size < JOB_RECORDS_CACHED ? jobRecords.read(key, { value, text }, writesBefore) : value
  }

  const getBlock = (height: number) =>
    readJson(state().database.blocks, numberKey(height), storedBlockSchema, 'block')

  return {
    async open() {
      if (opened !== undefined) return
      const database = openDatabase(init.dir)
      jobRecords.clear()
      await database.db.open()
      try {
        const wal = await LevelWal.load(database, writes)
        const files = new BlobFiles(join(init.dir, BLOB_FILES_DIR))
        opened = {
          database,
          files,
          blobs: createBlobStore(database, files),
          wal,
          latestHeight: await readLatestHeight(database),
        }
      } catch (error) {
        await database.db.close()
        throw error
      }
      log?.info({ dir: init.dir, latestHeight: opened.latestHeight }, 'store opened')
    },

    async close() {
      if (opened === undefined) return
      const { database, wal } = opened
      // Let queued writes land (or fail) before the handle goes away.
      await writes.run(() => wal.sync()).catch(() => undefined)
      opened = undefined
      jobRecords.clear()
      await database.db.close()
      log?.info({ dir: init.dir }, 'store closed')
    },

    get blobs() {
      return state().blobs
    },
    get wal() {
      return state().wal
    },

    async putVault(manifest, receivedAt = new Date()) {
      // decode(encode()) also checks that vaultId hashes the manifest, which the schema alone cannot.
      let checked: VaultManifest
      try {
        checked = vaultManifestCodec.decode(vaultManifestCodec.encode(manifest))
      } catch (error) {
        throw new StorageError('INVALID_RECORD', `vault manifest: ${String(error)}`, { cause: error })
      }
      const value: StoredVault = { manifest: checked, receivedAt: receivedAt.toISOString() }
      await write([
        {
          type: 'put',
          sublevel: state().database.vaults,
          key: checked.vaultId,
          value: JSON.stringify(value),
        },
      ])
    },
    getVault: (vaultId) => readJson(state().database.vaults, vaultId, storedVaultSchema, 'vault'),

    async listVaults() {
      const vaults: StoredVault[] = []
      for await (const [key, text] of state().database.vaults.iterator()) {
        vaults.push(parseStored(storedVaultSchema, text, `vault ${key}`))
      }
      return vaults
    },

    async putJob(jobId, record) {
      const checked = checkJobRecord(record, `job ${jobId}`)
      if (checked.jobId !== jobId)
        throw new StorageError('INVALID_RECORD', `job ${jobId}: record is for ${checked.jobId}`)
      const text = JSON.stringify(checked)
      await write([{ type: 'put', sublevel: state().database.jobs, key: jobId, value: text }], () =>
        jobRecords.wrote(jobId, text),
      )
    },
    getJob: (jobId) =>
      jobRecords.through(jobId, async () => {
        const text = await state().database.jobs.get(jobId)
        return text === undefined
          ? undefined
          : { value: parseStored(jobRecordSchema, text, `job ${jobId}`), text }
      }),

    async listJobs(filter = {}) {
      const records: JobRecord[] = []
      // Taken before the iterator's snapshot: a record read from it is remembered only if no write
      // landed since, as a read-through would be.
      const writesBefore = jobRecords.writes
      for await (const [key, text] of state().database.jobs.iterator()) {
        // A poll for a vault's certified jobs read and checked every job ever stored (its request's
        // hash included): a vault agent's 8 polls a second were 2 s of a 40-job burst's CPU on the
        // node it asks. A record whose bytes the cache decoded already is taken from it; others
        // of another stage or vault are skipped on their raw fields; every other record returned
        // is checked whole.
        const known = jobRecords.known(key, text)
        if (known === undefined && !mayMatch(text, filter)) continue
        const record = known ?? readListed(key, text, writesBefore)
        if (filter.stage !== undefined && record.stage !== filter.stage) continue
        if (filter.vault !== undefined && record.request.request.vaultId !== filter.vault) continue
        records.push(record)
      }
      return records
    },

    async commitBlock(height, block, certificate, jobUpdates, walPruneBelow, head) {
      // A block its codec checked (every decided one: a proposal's, or its proposer's) is frozen.
      const checkedBlock = blockCodec.knows(block)
        ? block
        : checkRecord(blockCodec.schema, block, `block ${height}`)
      const checkedCertificate = checkRecord(
        commitCertificateCodec.schema,
        certificate,
        `certificate ${height}`,
      )
      const jobs = jobUpdates.map((r) => checkJobRecord(r, `job ${r.jobId}`))
      const hash = blockHash(checkedBlock)
      const mismatch = blockMismatch(height, checkedBlock, checkedCertificate, hash)
      if (mismatch !== undefined) throw new StorageError('BLOCK_MISMATCH', `height ${height}: ${mismatch}`)
      if (head !== undefined && blobIdOf(head.bytes) !== head.id)
        throw new StorageError('BLOB_ID_MISMATCH', `decided record ${head.id} does not hash to its id`)

      // Decided inside the queue, where no other block write can interleave with the check.
      await writes.run(async () => {
        const current = state()
        if (height <= current.latestHeight) {
          const stored = await getBlock(height)
          if (stored?.blockHash === hash) return
          throw new StorageError(
            'CONFLICTING_BLOCK',
            `height ${height} holds ${stored?.blockHash}, not ${hash}`,
          )
        }
        if (height !== current.latestHeight + 1) {
          throw new StorageError('HEIGHT_GAP', `height ${height} after ${current.latestHeight}`)
        }
        const { blocks, jobs: jobLevel, blobs, meta } = current.database
        const entry: StoredBlock = { blockHash: hash, block: checkedBlock, certificate: checkedCertificate }
        const headOps: BatchOp[] =
          head === undefined
            ? []
            : [
                { type: 'put', sublevel: blobs, key: head.id, value: head.bytes },
                { type: 'put', sublevel: meta, key: HEAD_KEY, value: JSON.stringify(head.id) },
              ]
        const jobTexts = jobs.map((r) => [r.jobId, JSON.stringify(r)] as const)
        await current.wal.writeBatch(
          [
            { type: 'put', sublevel: blocks, key: numberKey(height), value: JSON.stringify(entry) },
            ...jobTexts.map(([key, value]): BatchOp => ({ type: 'put', sublevel: jobLevel, key, value })),
            ...headOps,
          ],
          walPruneBelow,
        )
        for (const [key, text] of jobTexts) jobRecords.wrote(key, text)
        current.latestHeight = height
      })
      log?.debug({ height, blockHash: hash, jobs: jobs.length }, 'block committed')
    },
    getBlock,
    decided: async (height) => (await state().database.blocks.has(numberKey(height))) === true,
    latestHeight: () => state().latestHeight,

    async putUpload(upload, bytes) {
      const checked = checkRecord(storedUploadSchema, upload, `upload ${upload.blobId}`)
      if (blobIdOf(bytes) !== checked.blobId)
        throw new StorageError('BLOB_ID_MISMATCH', `upload ${checked.blobId}: the bytes hash to another id`)
      const { database, files } = state()
      const record: BatchOp = {
        type: 'put',
        sublevel: database.uploads,
        key: uploadKey(checked),
        value: JSON.stringify(checked),
      }
      // A large blob's file is written (synced) before its record: a crash between leaves a file no
      // record names, never a record without its blob.
      if (bytes.length >= FILE_BLOB_MIN_BYTES) {
        await files.write(checked.blobId as Hex32, bytes)
        await write([record])
      } else {
        await write([{ type: 'put', sublevel: database.blobs, key: checked.blobId, value: bytes }, record])
      }
    },
    async listUploads() {
      const records: StoredUpload[] = []
      for await (const [key, text] of state().database.uploads.iterator()) {
        records.push(parseStored(storedUploadSchema, text, `upload ${key}`))
      }
      return records
    },
    async collect(blobIds, uploadRecords) {
      const { database, files } = state()
      await write([
        ...blobIds.map((key): BatchOp => ({ type: 'del', sublevel: database.blobs, key })),
        ...uploadRecords.map(
          (u): BatchOp => ({ type: 'del', sublevel: database.uploads, key: uploadKey(u) }),
        ),
      ])
      // After the records: a crash between leaves files no record names; a dead vault's are found
      // again from its manifest at the next collection, an upload's alone stay as waste.
      for (const id of blobIds) await files.remove(id as Hex32)
    },

    async putMeta(key, value) {
      await write([{ type: 'put', sublevel: state().database.meta, key, value: JSON.stringify(value) }])
    },
    getMeta: (key, schema) => readJson(state().database.meta, key, schema, 'meta'),
    async delMeta(key) {
      await write([{ type: 'del', sublevel: state().database.meta, key }])
    },
  }
}

const uploadKey = (u: Pick<StoredUpload, 'owner' | 'blobId'>) => `${u.owner}:${u.blobId}`

/** Why a block, its height and its certificate do not belong together; undefined when they do. */
function blockMismatch(
  height: number,
  block: Block,
  certificate: CommitCertificate,
  hash: string,
): string | undefined {
  if (block.height !== height) return `block says height ${block.height}`
  if (certificate.height !== height) return `certificate says height ${certificate.height}`
  if (certificate.blockHash !== hash)
    return `certificate is for ${certificate.blockHash}, block hashes to ${hash}`
  if (certificate.epoch !== block.epoch)
    return `certificate epoch ${certificate.epoch}, block epoch ${block.epoch}`
  return undefined
}

/**
 * Whether a stored job record could match a listing filter, read from its raw JSON: false only when
 * it names another stage or vault. Anything unreadable may match, so the full parse reports it.
 */
function mayMatch(text: string, filter: { readonly stage?: JobStage; readonly vault?: string }): boolean {
  if (filter.stage === undefined && filter.vault === undefined) return true
  let raw: { stage?: unknown; request?: { request?: { vaultId?: unknown } } }
  try {
    raw = JSON.parse(text) as typeof raw
  } catch {
    return true
  }
  if (typeof raw !== 'object' || raw === null) return true
  if (filter.stage !== undefined && typeof raw.stage === 'string' && raw.stage !== filter.stage) return false
  const vaultId = raw.request?.request?.vaultId
  return !(filter.vault !== undefined && typeof vaultId === 'string' && vaultId !== filter.vault)
}
