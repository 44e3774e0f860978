import type { ContractRunner, ContractTransactionReceipt } from 'ethers'
import { VOTE_TYPE_CODE } from '../eip712/structs.ts'
import { type Address, type Hex32, ZERO_HASH } from '../hex.ts'
import type { DuplicateVoteEvidence } from '../messages/consensus.ts'
import { boundContract } from './transact.ts'

export interface ValidatorSetMember {
  readonly address: Address
  readonly stake: bigint
}

/** The registry packs each member as stake << 160 | address; the Anchor takes the packed words. */
export const packMember = (m: ValidatorSetMember): bigint => (m.stake << 160n) | BigInt(m.address)

export const unpackMember = (word: bigint): ValidatorSetMember => ({
  address: `0x${(word & ((1n << 160n) - 1n)).toString(16).padStart(40, '0')}`,
  stake: word >> 160n,
})

export interface ValidatorRecord {
  readonly stake: bigint
  readonly unbondingSince: bigint
  readonly lastEpoch: bigint
  readonly registered: boolean
}

const votePayload = (epoch: number, v: DuplicateVoteEvidence['first']) => ({
  voteType: VOTE_TYPE_CODE[v.vote.type],
  epoch,
  height: v.vote.height,
  round: v.vote.round,
  blockHash: v.vote.valueId ?? ZERO_HASH,
  signature: v.signature,
})

/** The two `SignedVote` arguments of ValidatorRegistry.slashDuplicateVote for a piece of evidence. */
export const slashDuplicateVoteArgs = (evidence: DuplicateVoteEvidence) => [
  votePayload(evidence.epoch, evidence.first),
  votePayload(evidence.epoch, evidence.second),
]

export function connectValidatorRegistry(address: string, runner: ContractRunner) {
  const c = boundContract('ValidatorRegistry', address, runner)
  return {
    address,
    register: (stake: bigint) => c.send('register', [], { value: stake }),
    addStake: (stake: bigint) => c.send('addStake', [], { value: stake }),
    beginUnbonding: () => c.send('beginUnbonding', []),
    withdraw: () => c.send('withdraw', []),
    advanceEpoch: () => c.send('advanceEpoch', []),
    slashDuplicateVote: (evidence: DuplicateVoteEvidence): Promise<ContractTransactionReceipt> =>
      c.send('slashDuplicateVote', slashDuplicateVoteArgs(evidence)),
    currentEpoch: async () => Number(await c.read('currentEpoch')),
    epochSetHash: async (epoch: number) => (await c.read('epochSetHash', epoch)) as Hex32,
    /** Packed words in set order, as Anchor.anchor takes them. */
    epochSetWords: async (epoch: number) => [...((await c.read('epochSet', epoch)) as Iterable<bigint>)],
    epochSet: async (epoch: number) =>
      [...((await c.read('epochSet', epoch)) as Iterable<bigint>)].map(unpackMember),
    validator: async (who: Address): Promise<ValidatorRecord> => {
      const [stake, unbondingSince, lastEpoch, registered] = (await c.read('validators', who)) as [
        bigint,
        bigint,
        bigint,
        boolean,
      ]
      return { stake, unbondingSince, lastEpoch, registered }
    },
    unbondingPeriod: async () => (await c.read('unbondingPeriod')) as bigint,
    anchorGracePeriod: async () => (await c.read('anchorGracePeriod')) as bigint,
    /** The set hash the Anchor accepts for `epoch` now; zero when it would refuse it as stale. */
    anchorableSetHash: async (epoch: number) => (await c.read('anchorableSetHash', epoch)) as Hex32,
    contract: c.contract,
  }
}
export type ValidatorRegistryClient = ReturnType<typeof connectValidatorRegistry>
