import { ValidatorSet } from '../../consensus/index.ts'
import type { ChainContext } from './chain.ts'

/**
 * The validator set of an epoch as the chain's registry snapshotted it.
 * Voting power is stake divided by the stakes' greatest common divisor, as
 * the daemon derives it, so quorum ratios are exact in small integers.
 */
export async function validatorSetAt(chain: ChainContext, epoch: number): Promise<ValidatorSet> {
  const members = await chain.validators.epochSet(epoch)
  const gcd = members.reduce((g, m) => gcdOf(g, m.stake), 0n)
  return new ValidatorSet(members.map((m) => ({ address: m.address, power: Number(m.stake / (gcd || 1n)) })))
}

function gcdOf(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b]
  return a
}
