import { type Address, type Hex32, keccak256, packMember } from '../../protocol/index.ts'

/** An epoch's validator set as the DKG uses it: members in the registry's set order, and its hash. */
export interface EpochCommittee {
  readonly epoch: number
  /** member i (1-based, the Shamir point) is members[i − 1] */
  readonly members: readonly Address[]
  readonly stakes: readonly bigint[]
  /** ValidatorRegistry.epochSetHash: keccak256 of the packed words, as the Anchor recomputes it */
  readonly setHash: Hex32
  /** the packed words, as Anchor.registerCommitteeKey takes them */
  readonly words: readonly bigint[]
}

export function epochCommittee(
  epoch: number,
  set: ReadonlyArray<{ readonly address: Address; readonly stake: bigint }>,
): EpochCommittee {
  const words = set.map((m) => packMember(m))
  const packed = new Uint8Array(32 * words.length)
  words.forEach((w, i) => {
    packed.set(Buffer.from(w.toString(16).padStart(64, '0'), 'hex'), 32 * i)
  })
  return {
    epoch,
    members: set.map((m) => m.address.toLowerCase() as Address),
    stakes: set.map((m) => m.stake),
    setHash: keccak256(packed),
    words,
  }
}

/** Whether `signers` hold more than two thirds of the set's stake, as the Anchor counts it. */
export function hasQuorum(committee: EpochCommittee, signers: Iterable<Address>): boolean {
  const signed = new Set([...signers].map((a) => a.toLowerCase()))
  let stake = 0n
  let total = 0n
  committee.members.forEach((m, i) => {
    total += committee.stakes[i]!
    if (signed.has(m)) stake += committee.stakes[i]!
  })
  return stake * 3n > total * 2n
}
