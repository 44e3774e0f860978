import { TcfError } from '../../protocol/errors.ts'

/**
 * Why a threshold-CKKS input was refused. Stable: the node layer scores peers
 * and files complaints on these, never on the message.
 */
export type ThresholdErrorCode =
  /** bytes that are not the uncompressed SEAL object expected (header, sizes, a value not below its prime) */
  | 'SEAL_BYTES_INVALID'
  /** a polynomial or share of the wrong ring: degree, number of RNS limbs, or a value not below its prime */
  | 'SHARE_INVALID'
  /** a participant set that cannot combine: wrong size, duplicates, an index outside 1..n */
  | 'PARTICIPANTS_INVALID'
  /** protocol parameters that do not hold together (t, n, smudging bits, seeds) */
  | 'PARAMS_INVALID'
  /** a dealt Shamir share that does not match its dealer's commitment */
  | 'SHARE_INCONSISTENT'
  /** a combined opening further from its reference than the stated error bound allows */
  | 'OUTSIDE_ERROR_BOUND'

export class ThresholdError extends TcfError {
  override readonly name = 'ThresholdError'
  readonly code: ThresholdErrorCode
  /** what was wrong, e.g. `ciphertext.data[3]` or `participants` */
  readonly field: string

  constructor(code: ThresholdErrorCode, field: string, message: string) {
    super(`${field}: ${message}`)
    this.code = code
    this.field = field
  }
}
