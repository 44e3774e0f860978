import {
  BUYER_SHARES_INFO,
  type BuyerShares,
  buyerSharesCodec,
  eciesOpen,
  fromHex,
  type Hex32,
  type ThresholdRelease,
} from '../../protocol/index.ts'
import { combineStatResidues } from '../../sandbox/index.ts'
import { ClientError } from './errors.ts'

/**
 * The buyer's side of a threshold release: open each member's sealed shares with the sealing key
 * the request named, then combine t of them. No validator or relay could: every share is sealed to
 * the buyer, and each alone is a smudged residue of the member's key share.
 */
export function openBuyerShares(
  releases: readonly ThresholdRelease[],
  sealingKey: Uint8Array,
  job: { readonly jobId: Hex32; readonly resultHash: Hex32 },
): BuyerShares[] {
  const opened = new Map<number, BuyerShares>()
  for (const r of releases) {
    let shares: BuyerShares
    try {
      const bytes = eciesOpen(
        {
          ephemeralPublicKey: fromHex(r.sealed.ephemeralPublicKey),
          nonce: fromHex(r.sealed.nonce),
          ciphertext: fromHex(r.sealed.ciphertext),
        },
        sealingKey,
        { info: BUYER_SHARES_INFO },
      )
      shares = buyerSharesCodec.decode(bytes)
    } catch (cause) {
      throw new ClientError('UNSEAL_FAILED', `member ${r.share.member}'s shares do not open with this key`, {
        cause,
      })
    }
    // The sealed shares must be the member's, for this job and result, as its signed share says.
    if (
      shares.member !== r.share.member ||
      shares.jobId !== job.jobId ||
      shares.resultHash !== job.resultHash
    ) {
      throw new ClientError(
        'RESULT_MISMATCH',
        `member ${r.share.member} sealed shares of another job or result`,
      )
    }
    opened.set(shares.member, shares)
  }
  return [...opened.values()]
}

/**
 * Every statistic, from the first set of t members (in the members' lexicographic order) whose
 * shares are all here. Members of the set must state the same ciphertext constants.
 */
export function combineBuyerShares(
  primes: readonly bigint[],
  shares: readonly BuyerShares[],
  threshold: number,
): { readonly participants: readonly number[]; readonly stats: number[] } {
  const byMember = new Map(shares.map((s) => [s.member, s]))
  const candidates = shares
    .flatMap((s) => s.sets.map((x) => x.participants))
    .filter((p) => p.length === threshold && p.every((m) => byMember.has(m)))
    .sort((a, b) => a.join(',').localeCompare(b.join(',')))
  const participants = candidates[0]
  if (!participants) {
    throw new ClientError(
      'RESULT_INCOMPLETE',
      `shares from members ${[...byMember.keys()].join(', ')}: no set of ${threshold} is complete yet`,
    )
  }
  const members = participants.map((m) => byMember.get(m)!)
  const constants = members[0]!.constants
  if (members.some((m) => JSON.stringify(m.constants) !== JSON.stringify(constants))) {
    throw new ClientError(
      'RESULT_MISMATCH',
      `members ${participants.join(', ')} state different result constants`,
    )
  }
  const sets = members.map((m) => m.sets.find((x) => x.participants.join(',') === participants.join(','))!)
  if (sets.some((s) => s.stats.length !== constants.length)) {
    throw new ClientError('RESULT_MISMATCH', 'a member shares another number of statistics')
  }
  const stats = constants.map((c, i) =>
    combineStatResidues(
      primes,
      { c0: c.c0.map(BigInt), scale: c.scale },
      sets.map((s) => s.stats[i]!.map(BigInt)),
    ),
  )
  return { participants, stats }
}
