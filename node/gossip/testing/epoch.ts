// An epoch of four freshly keyed validators, for the gossip validators' tests.
import { ValidatorSet } from '../../../consensus/index.ts'
import {
  addressOfPrivateKey,
  type Block,
  createEip712ConsensusSigner,
  createEip712Verifier,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  type VoteMessage,
  ZERO_HASH,
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

/** An empty block at `height` of epoch `epochNumber` (the test epoch's by default), proposed by `key`'s validator. */
export const emptyBlock = (key: Hex32, height: number, epochNumber = epoch.number): Block => ({
  version: 1,
  height,
  epoch: epochNumber,
  parentHash: ZERO_HASH,
  proposer: addressOfPrivateKey(key),
  chainBlock: 0,
  admitted: [],
  certified: [],
  released: [],
  failed: [],
})

/** `key`'s validator's prevote as it goes on the wire, signed under epoch `at.epoch` (the test epoch's by default). */
export function prevoteMessage(
  key: Hex32,
  height: number,
  at: { readonly round?: number; readonly valueId?: Hex32; readonly epoch?: number } = {},
): VoteMessage {
  const epochNumber = at.epoch ?? epoch.number
  const vote = {
    type: 'prevote' as const,
    height,
    round: at.round ?? 0,
    valueId: at.valueId ?? (`0x${'44'.repeat(32)}` as Hex32),
    validator: addressOfPrivateKey(key),
  }
  return { version: 1, epoch: epochNumber, ...consensusSigner(key, epochNumber).signVote(vote) }
}
