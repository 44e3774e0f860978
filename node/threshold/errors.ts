import { CodedError } from '../../protocol/errors.ts'

export type ThresholdNodeErrorCode = 'KEY_HASH_MISMATCH' | 'RELEASE_INVALID' | 'KEY_UNKNOWN'

/** A committee-key or threshold-release failure inside the daemon. */
export class ThresholdNodeError extends CodedError<ThresholdNodeErrorCode> {}
