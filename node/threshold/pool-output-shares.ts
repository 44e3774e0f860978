import type { Address, Eip712Domain, Hex, Hex32, OutputShares } from '../../protocol/index.ts'
import { type HeContext, type MemberKey, poolOutputShare, type StatNoise } from '../../sandbox/index.ts'
import { checkParticipants, signSealedShares } from './output-shares.ts'

export interface MemberPoolOutputsInput {
  readonly domain: Eip712Domain
  readonly validatorKey: Hex32
  readonly validator: Address
  readonly ctx: HeContext
  readonly key: MemberKey
  readonly keyHash: Hex32
  readonly jobId: Hex32
  /** the certified result hash: poolResultHash of the bundle and the snapshot's payouts */
  readonly resultHash: Hex32
  /** the snapshot's aggregate, the one ciphertext of the certified bundle */
  readonly aggregate: Uint8Array
  /** S: the participant set the decided block's scored entry names */
  readonly participants: readonly number[]
  /** every layout slot's privacy noise (poolSlotNoise of the job's plan) */
  readonly slotNoise: readonly StatNoise[]
  /** the snapshot's record bound (the circuit's recordCount) */
  readonly recordBound: number
  /** the request's sealingPublicKey */
  readonly buyerKey: Hex
}

/**
 * Phase 2 of a member's release of a job on a pool snapshot: its full-polynomial decryption share
 * of the aggregate for the block's set S, with its own privacy noise in every slot (sandbox
 * poolOutputShare), sealed to the buyer and signed. Only for S, as for a vault's statistics: two
 * sets' openings would let their difference remove the common members' noise. The share is
 * deterministic (seeded by the member's secret, labelled by the opening), and the caller persists
 * it before sending it anyway.
 */
export function memberPoolOutputs(input: MemberPoolOutputsInput): OutputShares {
  const { key, jobId, resultHash, participants } = input
  checkParticipants(key, participants)
  const opening = `${jobId}/${resultHash}`
  const share = poolOutputShare(input.ctx, key, {
    aggregate: input.aggregate,
    participants,
    label: opening,
    slotNoise: input.slotNoise,
    recordBound: input.recordBound,
  })
  return signSealedShares(input, participants, share, `${opening}/pool`)
}
