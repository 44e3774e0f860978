import { CodedError } from '../../protocol/errors.ts'

/**
 * Why a pool contribution, or the layout it follows, was refused. Stable:
 * the node part of pools (admission, peer scoring) branches on these.
 */
export type ContributionErrorCode =
  /** a layout that cannot be built: unknown factor, no or too many monomials, no room for its bound */
  | 'LAYOUT_INVALID'
  /** a contributor's record does not fit the pool schema; `field` is `records.<i>.<column>` */
  | 'RECORD_INVALID'
  /** more records in one contribution than the layout's bound */
  | 'TOO_MANY_RECORDS'
  /** bytes longer or shorter than a contribution of this layout is */
  | 'SIZE_INVALID'
  /** bytes that are not a contribution: magic, version, SEAL header or data */
  | 'MALFORMED'
  /** a contribution made for another pool layout */
  | 'WRONG_LAYOUT'
  /** a contribution that names another key than the pool's */
  | 'WRONG_KEY'
  /** a ciphertext of another profile, level, scale or shape than contributions have */
  | 'WRONG_PARAMS'
  /** one more contribution could overflow what the aggregate can decrypt */
  | 'POOL_FULL'
  /** an aggregate with no contribution yet has nothing to serialize or open */
  | 'AGGREGATE_EMPTY'
  /** a job's stat that is no slot of the pool's layout */
  | 'MONOMIAL_MISSING'
  /** a vault that is not a pool (no pool section or no committee key) where a pool is needed */
  | 'NOT_A_POOL'

export class ContributionError extends CodedError<ContributionErrorCode> {
  override readonly name = 'ContributionError'
  /** what was wrong: `records.3.speed`, `bytes`, `ciphertext.scale`, `outputs.heat` */
  readonly field: string

  constructor(code: ContributionErrorCode, field: string, message: string, options?: ErrorOptions) {
    super(code, `${field}: ${message}`, options)
    this.field = field
  }
}
