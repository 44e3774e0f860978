// An epoch of four freshly keyed validators, for the gossip validators' tests.
import { ValidatorSet } from '../../../consensus/index.ts'
import {
  addressOfPrivateKey,
  createEip712ConsensusSigner,
  createEip712Verifier,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
} from '../../../protocol/index.ts'
import type { Epoch } from '../../consensus/epochs.ts'

export const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'33'.repeat(20)}` }
export const keys: readonly Hex32[] = Array.from({ length: 4 }, generatePrivateKey)
/** A key that is no validator's. */
export const outsider: Hex32 = generatePrivateKey()

export const epoch: Epoch = {
  number: 2,
  validators: new ValidatorSet(keys.map((k) => ({ address: addressOfPrivateKey(k), power: 1 }))),
  verifier: createEip712Verifier({ domain, epoch: 2 }),
}

export const consensusSigner = (key: Hex32, epochNumber = epoch.number) =>
  createEip712ConsensusSigner({ privateKey: key, domain, epoch: epochNumber })
