import type { ContractRunner } from 'ethers'
import type { Hex32 } from '../hex.ts'
import type { ValidatorSignature } from '../messages/attestation.ts'
import { precommitBitmap } from './anchor.ts'
import { boundContract } from './transact.ts'

/** A collective key hash with the members' EIP-712 CommitteeKey signatures, ready to register. */
export interface CommitteeKeyCall {
  readonly epoch: number
  readonly keyHash: Hex32
  /** The epoch's packed set, as ValidatorRegistry.epochSet returns it. */
  readonly validatorSet: readonly bigint[]
  readonly signatures: readonly ValidatorSignature[]
}

/**
 * The committee-key side of the Anchor: anyone holding more than two thirds of the stake's signatures
 * on an epoch's collective key hash may register it, once per epoch.
 */
export function connectCommitteeKeys(anchorAddress: string, runner: ContractRunner) {
  const c = boundContract('Anchor', anchorAddress, runner)
  return {
    register: (call: CommitteeKeyCall) => {
      // Same ordering and compaction as precommits: the contract tallies both with one routine.
      const { signers, signatures } = precommitBitmap(call.validatorSet, call.signatures)
      return c.send('registerCommitteeKey', [
        call.epoch,
        call.keyHash,
        [...call.validatorSet],
        signers,
        signatures,
      ])
    },
    /** Sends a pre-built call as is: for tests and tools that must submit what precommitBitmap refuses. */
    registerRaw: (
      call: Omit<CommitteeKeyCall, 'signatures'> & {
        signers: bigint
        signatures: { r: string; vs: string }[]
      },
    ) =>
      c.send('registerCommitteeKey', [
        call.epoch,
        call.keyHash,
        [...call.validatorSet],
        call.signers,
        call.signatures,
      ]),
    /** The registered key hash of an epoch, or undefined when none is. */
    keyHash: async (epoch: number): Promise<Hex32 | undefined> => {
      const h = (await c.read('committeeKeys', epoch)) as Hex32
      return /^0x0{64}$/.test(h) ? undefined : h
    },
    contract: c.contract,
  }
}
export type CommitteeKeyClient = ReturnType<typeof connectCommitteeKeys>
