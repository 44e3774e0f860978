import { CodedError } from '../../protocol/errors.ts'

/** Why a contribution or a pool request was refused by this node; the block rules' codes are the same. */
export type PoolErrorCode =
  /** the claim is not signed by the contributor it names */
  | 'BAD_SIGNATURE'
  /** the pool is not known to this node, or the vault named is not a pool */
  | 'POOL_UNKNOWN'
  | 'NOT_A_POOL'
  /** the bytes do not hash to the claim's blob id */
  | 'BLOB_MISMATCH'
  /** the claim is for another window than the one the next block is in */
  | 'WRONG_WINDOW'
  /** the curator banned this contributor key */
  | 'BANNED'
  /** this contributor's sequence number, or these very bytes, were admitted before */
  | 'REPLAYED_SEQUENCE'
  | 'REPLAYED_BLOB'
  /** the contributor reached its bound for the window */
  | 'OVER_BOUND'
  /** the bytes are not at hand to check */
  | 'BYTES_UNAVAILABLE'
  /** more contributions wait here than this node keeps */
  | 'PENDING_FULL'
  /** a snapshot height above the committed head, or with no contribution */
  | 'SNAPSHOT_AHEAD'
  | 'SNAPSHOT_EMPTY'
  /** a job on a pool names no snapshot; a job on a vault names one */
  | 'SNAPSHOT_MISSING'
  | 'SNAPSHOT_NOT_A_POOL'
  /** a job names a height at which its pool did not change (another pool's snapshot, or none) */
  | 'SNAPSHOT_UNKNOWN'
  /** a pool the chain does not mark as one: settlement would pay its curator, not its contributors */
  | 'POOL_NOT_MARKED'

export class PoolError extends CodedError<PoolErrorCode> {}
