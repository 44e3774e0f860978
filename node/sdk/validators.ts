import { ValidatorSet } from '../../consensus/index.ts'
import { type ChainContext, onChain } from './chain.ts'
import { ClientError } from './errors.ts'

/**
 * The validator set of an epoch as the chain's registry snapshotted it.
 * Voting power is stake divided by the stakes' greatest common divisor, as
 * the daemon derives it, so quorum ratios are exact in small integers.
 * An epoch the chain has no set for is CERTIFICATE_INVALID.
 */
export async function validatorSetAt(chain: ChainContext, epoch: number): Promise<ValidatorSet> {
  const members = await onChain('read the validator set', () => chain.validators.epochSet(epoch))
  // An epoch that has not started has no set: nothing signed "in" it can be believed.
  if (members.length === 0)
    throw new ClientError('CERTIFICATE_INVALID', `the chain has no validator set for epoch ${epoch}`)
  const gcd = members.reduce((g, m) => gcdOf(g, m.stake), 0n)
  return new ValidatorSet(members.map((m) => ({ address: m.address, power: Number(m.stake / (gcd || 1n)) })))
}

function gcdOf(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b]
  return a
}
