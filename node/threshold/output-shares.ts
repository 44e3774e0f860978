import { createHash } from 'node:crypto'
import {
  BUYER_SHARES_INFO,
  type BuyerShares,
  buyerSharesCodec,
  eciesSeal,
  fromHex,
  type Hex,
  type OutputShares,
  type SealedPayload,
  signOutputShares,
  toHex,
} from '../../protocol/index.ts'
import { type MemberKey, minQualityOf, type PrivacyPlan, parseSpec } from '../../sandbox/index.ts'
import type { LedgerJob } from '../jobs/ledger.ts'
import { ThresholdNodeError } from './errors.ts'
import { coefficientOf, type MemberOpening, noisyShare, statConstantOf } from './release-shares.ts'

/**
 * The set S whose members may open a job's outputs to the buyer, from the decided blocks alone:
 * the set a block's scored entry combined, once that block released the job with a score that
 * reaches the buyer's minQuality. Undefined before, for an owner release, and for a rejected job:
 * then no member ever produces output shares, and gossip refuses any that appear.
 */
export function releasableSet(job: LedgerJob): readonly number[] | undefined {
  const released = job.released
  if (!released?.participants) return undefined
  const minimum = minQualityOf(parseSpec(job.request.request.algorithm.spec))
  return released.qualityScore >= minimum ? released.participants : undefined
}

export interface MemberOutputsInput extends MemberOpening {
  /** S: the participant set the decided block's scored entry names */
  readonly participants: readonly number[]
  /** the job's privacy plan (the one admission charged), whose noise each member adds in full */
  readonly plan: PrivacyPlan
  /** the request's sealingPublicKey */
  readonly buyerKey: Hex
}

/**
 * Phase 2 of a member's release: for the set S the decided block fixed, its share of every
 * statistic, each carrying its own full-scale discrete Laplace noise from the job's privacy plan
 * (noisyShare), sealed to the buyer and signed. Any one honest member of S makes every
 * statistic as private as owner mode's release. Only for S: a member's shares for two sets would
 * give the buyer two openings whose difference removes the common members' noise.
 *
 * The caller checks the block first (the score reaches the buyer's minimum) and persists what this
 * returns before sending it.
 */
export function memberOutputs(input: MemberOutputsInput): OutputShares {
  const { basis, key, jobId, resultHash, participants, plan } = input
  checkParticipants(key, participants)
  const stats = input.stats.map((_, i) => noisyShare(input, plan, i, participants, 'buyer'))
  const buyer: BuyerShares = {
    version: 1,
    jobId,
    resultHash,
    member: key.member.index,
    participants: [...participants],
    stats,
    constants: input.stats.map((ct, i) => statConstantOf(basis, ct, coefficientOf(input, i))),
  }
  return signSealedShares(input, participants, buyerSharesCodec.encode(buyer), `${jobId}/${resultHash}`)
}

/** Who signs and seals a member's output shares, and for which job and buyer. */
export type OutputSharesSigner = Pick<
  MemberOutputsInput,
  'domain' | 'validatorKey' | 'validator' | 'key' | 'keyHash' | 'jobId' | 'resultHash' | 'buyerKey'
>

/** A member's share bytes for the set S, sealed to the buyer under the opening's label and signed. */
export function signSealedShares(
  signer: OutputSharesSigner,
  participants: readonly number[],
  plaintext: Uint8Array,
  opening: string,
): OutputShares {
  return signOutputShares(signer.domain, signer.validatorKey, {
    jobId: signer.jobId,
    resultHash: signer.resultHash,
    keyHash: signer.keyHash,
    member: signer.key.member.index,
    validator: signer.validator,
    participants: [...participants],
    sealed: sealToBuyer(plaintext, signer.buyerKey, signer.key.member.seed, opening),
  })
}

/** S must be an ascending set of exactly t members containing this member. */
export function checkParticipants(key: MemberKey, participants: readonly number[]): void {
  const { t } = key.member.committee
  if (
    participants.length !== t ||
    !participants.includes(key.member.index) ||
    participants.some((p, i) => i > 0 && p <= participants[i - 1]!)
  ) {
    throw new ThresholdNodeError(
      'RELEASE_INVALID',
      `participants ${participants.join(',')} are not an ascending set of ${t} containing member ${key.member.index}`,
    )
  }
}

/**
 * The ephemeral key and nonce derive from the member's seed, the opening and the plaintext itself,
 * so one (key, nonce) only ever seals one plaintext: even a member that crashed after computing
 * and before persisting, and drew new noise on restart, never reuses a nonce for other bytes.
 */
function sealToBuyer(plaintext: Uint8Array, buyerKey: Hex, seed: Uint8Array, opening: string): SealedPayload {
  const digest = createHash('sha256').update(plaintext).digest()
  const derive = (what: string) =>
    new Uint8Array(
      createHash('sha256')
        .update(`tcf/threshold/buyer-seal/${what}/v2`)
        .update(seed)
        .update(opening)
        .update(digest)
        .digest(),
    )
  const parts = eciesSeal(
    plaintext,
    fromHex(buyerKey),
    { info: BUYER_SHARES_INFO },
    {
      ephemeralKey: derive('key'),
      nonce: derive('nonce').subarray(0, 12),
    },
  )
  return {
    scheme: 'secp256k1-hkdf-sha256-aes256gcm',
    ephemeralPublicKey: toHex(parts.ephemeralPublicKey),
    nonce: toHex(parts.nonce),
    ciphertext: toHex(parts.ciphertext),
  }
}
