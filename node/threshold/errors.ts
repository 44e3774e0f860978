import { CodedError } from '../../protocol/errors.ts'

export type ThresholdNodeErrorCode =
  | 'KEY_HASH_MISMATCH'
  /** the member seed file exists but cannot be read or opened with this validator key */
  | 'SEED_UNREADABLE'
  /** a DKG blob fetched or stored does not decode as what its message says */
  | 'DKG_BLOB_INVALID'
  /** a blob the DKG needs is neither held here nor reachable */
  | 'BLOB_UNAVAILABLE'
  /** an instance cannot go on (too few qualified dealers, a deadline missed): the next round starts */
  | 'DKG_FAILED'
  /** a member's threshold release does not verify against the certified job or its committee */
  | 'RELEASE_INVALID'
  /** no committee key with that hash or epoch is held here (a reshare names one this node lacks) */
  | 'KEY_UNKNOWN'
  /** a reshare instance cannot go on (a dealer convicted or silent): the next round drops it */
  | 'RESHARE_FAILED'

/** A committee-key or threshold-release failure inside the daemon. */
export class ThresholdNodeError extends CodedError<ThresholdNodeErrorCode> {}
