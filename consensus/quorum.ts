import type { Address } from '../protocol/index.ts'
import type { ValidatorSet } from './validator-set.ts'

/** More than two thirds of the set's power, counting each member once. */
export function hasQuorum(validators: ValidatorSet, signers: Iterable<Address>): boolean {
  const seen = new Set<Address>()
  let power = 0
  for (const s of signers) {
    if (seen.has(s)) continue
    seen.add(s)
    power += validators.powerOf(s)
  }
  return validators.isQuorum(power)
}
