import { addressWord, bytes32Word, hashWords, uintWord } from '../abiWords.ts'
import { type Address, fromHex, type Hex32, keccak256, sha256 } from '../hex.ts'
import { merkleProof, merkleRoot } from '../merkle.ts'

/**
 * Who a pool job pays: every contributor whose contributions were in the snapshot the job read, pro
 * rata to how many. The list is public (contributions are signed and logged by consensus), so the
 * tree is a deterministic function of the snapshot, and every validator computes the same root.
 *
 * Leaf: keccak256(keccak256(abi.encode(address contributor, uint256 contributions))), hashed twice
 * like the results tree's leaves so that no inner node passes for a leaf. Leaves are in ascending
 * address order. The tree's inner nodes are merkle.ts's (sorted pairs), so a proof is a sibling path.
 */
export interface PoolPayouts {
  readonly root: Hex32
  /** contributions in the snapshot, all contributors together: the denominator of the split */
  readonly total: number
  readonly leaves: readonly PayoutLeaf[]
}

export interface PayoutLeaf {
  readonly contributor: Address
  readonly contributions: number
  readonly leaf: Hex32
}

export function payoutLeaf(contributor: Address, contributions: number): Hex32 {
  return keccak256(fromHex(hashWords(addressWord(contributor), uintWord(contributions))))
}

/** `counts`: contributions per contributor in the snapshot (lower-case or checksummed addresses). */
export function poolPayouts(counts: ReadonlyMap<Address, number>): PoolPayouts {
  const merged = new Map<Address, number>()
  for (const [contributor, n] of counts) {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`contributions of ${contributor}: ${n}`)
    const key = contributor.toLowerCase() as Address
    merged.set(key, (merged.get(key) ?? 0) + n)
  }
  const leaves = [...merged]
    .filter(([, n]) => n > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([contributor, contributions]) => ({
      contributor,
      contributions,
      leaf: payoutLeaf(contributor, contributions),
    }))
  return {
    root: merkleRoot(leaves.map((l) => l.leaf)),
    total: leaves.reduce((sum, l) => sum + l.contributions, 0),
    leaves,
  }
}

export function payoutProof(payouts: PoolPayouts, contributor: Address): Hex32[] {
  const index = payouts.leaves.findIndex((l) => l.contributor === contributor.toLowerCase())
  if (index < 0) throw new RangeError(`${contributor} has no contribution in this snapshot`)
  return merkleProof(
    payouts.leaves.map((l) => l.leaf),
    index,
  )
}

/**
 * The result hash validators attest to for a job on a pool: the evaluation's bundle hash bound to
 * the payouts of the snapshot it read, keccak256(abi.encode(bundleHash, payoutsRoot, total)). The
 * chain then knows the payouts root of a settled pool job from its anchored result hash alone.
 */
export const poolResultHash = (bundleHash: Hex32, payouts: Pick<PoolPayouts, 'root' | 'total'>): Hex32 =>
  hashWords(bytes32Word(bundleHash), bytes32Word(payouts.root), uintWord(payouts.total))

/**
 * The execution environment a pool job's result bundle names: no homomorphic evaluation, the
 * snapshot's running sum itself is the result (one ciphertext). The buyer rebuilds the bundle hash
 * from the aggregate's bytes with it, and checks it against the certified result hash.
 */
export const POOL_EXEC_ENV: Hex32 = sha256(new TextEncoder().encode('tcf/pool-aggregate/v1'))
