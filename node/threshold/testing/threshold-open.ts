// Opening a ciphertext with the shares members hold: what a release will do, for the DKG tests.
import { fromHex, type Hex } from '../../../protocol/index.ts'
import {
  combineDecryption,
  DEFAULT_SMUDGING_BITS,
  decodePlaintext,
  decodePoly,
  decryptionShare,
  type HeContext,
  type RnsBasis,
} from '../../../sandbox/index.ts'
import type { HeldShare } from '../keyring.ts'

/**
 * Decodes `ciphertext` from the decryption shares of `participants` (ascending, at least t), each
 * computed from the Shamir share the member's keyring holds. `combineOnly` leaves some shares out
 * of the sum, as an attacker holding fewer than t would have to.
 */
export function thresholdOpen(
  ctx: HeContext,
  basis: RnsBasis,
  committee: { n: number; t: number },
  held: ReadonlyMap<number, HeldShare>,
  ciphertext: Uint8Array,
  participants: readonly number[],
  combineOnly: readonly number[] = participants,
): Float64Array {
  const inst = { id: 'dkg-test-open', ciphertext, participants, smudgingBits: DEFAULT_SMUDGING_BITS }
  const shares = participants.map((i) => {
    const h = held.get(i)!
    const share = decodePoly(basis, fromHex(h.share as Hex), basis.primes.length, `member ${i}'s share`)
    // the seed only keys the smudging noise of this opening
    const member = { committee, index: i, seed: new Uint8Array(32).fill(i) }
    return [i, decryptionShare(basis, { member, share }, inst)] as const
  })
  const picked = shares.filter(([i]) => combineOnly.includes(i)).map(([, d]) => d)
  return decodePlaintext(ctx, combineDecryption(basis, ciphertext, picked))
}
