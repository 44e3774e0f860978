import { TcfError } from '../errors.ts'

/** Why DKG evidence was refused. Stable: peers score and log on these. */
export type DkgEvidenceCode =
  | 'WRONG_INSTANCE'
  | 'WRONG_MEMBER'
  | 'BAD_SIGNATURE'
  | 'COMMITMENTS_MISMATCH'
  | 'BAD_POINT_PROOF'
  | 'BLOB_MISSING'
  | 'BLOB_MISMATCH'

/** Evidence that does not hold: it convicts no one, and whoever sent it is the one misbehaving. */
export class DkgEvidenceError extends TcfError {
  override readonly name = 'DkgEvidenceError'
  readonly code: DkgEvidenceCode
  /** the part of the evidence at fault, e.g. 'openings.0.proof' */
  readonly field: string

  constructor(code: DkgEvidenceCode, field: string, detail: string) {
    super(`${field}: ${code}: ${detail}`)
    this.code = code
    this.field = field
  }
}
