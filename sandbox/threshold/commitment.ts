import { createHash } from 'node:crypto'
import { ThresholdError } from './errors.ts'
import { encodePoly } from './poly-codec.ts'
import type { RnsPoly } from './rns.ts'

/**
 * Commit, then reveal. A member who sees the others' shares before sending
 * its own can choose it to cancel theirs (in CKG: −a·x + e − Σ b_j, which
 * leaves a public key whose secret x it alone knows). So every member first
 * broadcasts a hash of its share, and shares are revealed only once all
 * commitments are in; a revealed share that does not open its commitment
 * names its member. The hash binds the protocol, the instance and the
 * member, so a commitment cannot be replayed elsewhere.
 */
export interface CommittedShare {
  readonly member: number
  readonly commitment: Uint8Array
  readonly polys: readonly RnsPoly[]
}

export function shareCommitment(
  protocol: string,
  instanceId: string,
  member: number,
  polys: readonly RnsPoly[],
): Uint8Array {
  const h = createHash('sha256').update(`tcf/threshold/commit/v1\0${protocol}\0${instanceId}\0${member}\0`)
  for (const p of polys) h.update(encodePoly(p))
  return new Uint8Array(h.digest())
}

/** Checks that every revealed share opens its commitment and that members are distinct. */
export function openCommitments(
  protocol: string,
  instanceId: string,
  shares: readonly CommittedShare[],
): void {
  const seen = new Set<number>()
  for (const s of shares) {
    if (seen.has(s.member)) {
      throw new ThresholdError('PARTICIPANTS_INVALID', `member ${s.member}`, `sent two ${protocol} shares`)
    }
    seen.add(s.member)
    const expected = shareCommitment(protocol, instanceId, s.member, s.polys)
    if (!Buffer.from(expected).equals(s.commitment)) {
      throw new ThresholdError(
        'SHARE_INCONSISTENT',
        `member ${s.member}`,
        `its ${protocol} share does not open the commitment it sent before the reveal`,
      )
    }
  }
}
