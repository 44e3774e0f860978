// The public surface of node/storage: the node's LevelDB store, its WAL and its blob store.

// The job record and its settlement are the API's wire types too: protocol/api owns them.
export {
  JOB_STAGES,
  type JobRecord,
  type JobStage,
  jobRecordSchema,
  type Settlement,
  settlementSchema,
} from '../../protocol/index.ts'
export type { BlobSource, BlobStore } from './blob-store.ts'
export { StorageError, type StorageErrorCode } from './errors.ts'
export type { DurableWal } from './level-wal.ts'
export {
  createNodeStore,
  type DecidedRecordBlob,
  HEAD_KEY,
  type JsonValue,
  type NodeStore,
  type NodeStoreInit,
} from './node-store.ts'
export type { StoredBlock, StoredUpload, StoredVault } from './schemas.ts'
