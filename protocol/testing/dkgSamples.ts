import { secp256k1 } from '@noble/curves/secp256k1.js'
import type { MessageCodec } from '../codec.ts'
import { openingOf, sealDealing } from '../dkg/dealing.ts'
import { signDkgMessage } from '../eip712/dkgSigning.ts'
import type { Eip712Domain } from '../eip712/domain.ts'
import { addressOfPrivateKey } from '../eip712/ecdsa.ts'
import { signCommitteeKey } from '../eip712/messageSigning.ts'
import { fromHex, type Hex32, toHex } from '../hex.ts'
import {
  type CollectiveKey,
  collectiveKeyHash,
  collectiveKeySignatureCodec,
} from '../messages/collectiveKey.ts'
import { type DkgCommitments, dkgCommitmentsCodec } from '../messages/dkgCommitments.ts'
import { type DkgComplaint, dkgComplaintCodec } from '../messages/dkgComplaint.ts'
import { dkgDealingCodec } from '../messages/dkgDealing.ts'
import { dkgInstance } from '../messages/dkgInstance.ts'
import { type DkgRoundShare, dkgRoundShareCodec } from '../messages/dkgRoundShare.ts'

// Valid instances of the DKG wire messages: member 1 deals to member 2, which complains.

// Own keys and domain, not samples.ts's: samples.ts lists these samples, so importing it would be a cycle.
export const SAMPLE_DKG_DOMAIN: Eip712Domain = {
  chainId: 31337n,
  verifyingContract: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
}
export const SAMPLE_DKG_KEYS = [11, 12, 13, 14].map(
  (n): Hex32 => `0x${n.toString(16).padStart(64, '0')}`,
) as [Hex32, Hex32, Hex32, Hex32]
const hash = (n: number): Hex32 => `0x${n.toString(16).padStart(2, '0').repeat(32)}`
export const DKG_SAMPLE_INSTANCE = dkgInstance(3, hash(9), 0)
export const DKG_SAMPLE_MEMBERS = SAMPLE_DKG_KEYS.map(addressOfPrivateKey)
export const publicKeyOf = (key: Hex32) => toHex(secp256k1.getPublicKey(fromHex(key), true))

export const sampleCommitments = signDkgMessage<DkgCommitments>(
  SAMPLE_DKG_DOMAIN,
  'DkgCommitments',
  SAMPLE_DKG_KEYS[0],
  {
    version: 1,
    instance: DKG_SAMPLE_INSTANCE,
    dealer: 1,
    perRecipient: [hash(1), hash(2), hash(3), hash(4)],
  },
)

export const sampleDealing = sealDealing(SAMPLE_DKG_DOMAIN, SAMPLE_DKG_KEYS[0], {
  instance: DKG_SAMPLE_INSTANCE,
  dealer: 1,
  recipient: 2,
  recipientPublicKey: publicKeyOf(SAMPLE_DKG_KEYS[1]),
  commitmentsId: dkgCommitmentsCodec.id(sampleCommitments),
  share: new TextEncoder().encode('not a real share'),
  randomness: { ephemeralKey: fromHex(hash(7)), nonce: new Uint8Array(12).fill(1) },
})

export const sampleComplaint = signDkgMessage<DkgComplaint>(
  SAMPLE_DKG_DOMAIN,
  'DkgComplaint',
  SAMPLE_DKG_KEYS[1],
  {
    version: 1,
    instance: DKG_SAMPLE_INSTANCE,
    kind: 'MISMATCH',
    complainant: 2,
    accused: 1,
    commitments: sampleCommitments,
    openings: [openingOf(sampleDealing.dealing, SAMPLE_DKG_KEYS[1])],
  },
)

const roundShare = (phase: 'commit' | 'reveal') =>
  signDkgMessage<DkgRoundShare>(SAMPLE_DKG_DOMAIN, 'DkgRoundShare', SAMPLE_DKG_KEYS[2], {
    version: 1,
    instance: DKG_SAMPLE_INSTANCE,
    step: 'rtg',
    galoisElement: 5,
    member: 3,
    commitment: hash(6),
    ...(phase === 'commit' ? { phase } : { phase, share: { blobId: hash(8), size: 1_179_658 } }),
  } as Omit<DkgRoundShare, 'signer' | 'signature'>)

export const sampleCollectiveKey: CollectiveKey = {
  instance: DKG_SAMPLE_INSTANCE,
  profile: 'ckks-8192',
  qualified: [1, 2, 3, 4],
  publicKey: { blobId: hash(10), size: 393_000 },
  relinKeys: { blobId: hash(11), size: 1_500_000 },
  galoisKeys: { blobId: hash(12), size: 9_000_000 },
}
const keyHash = collectiveKeyHash(sampleCollectiveKey)

export const DKG_SAMPLES = [
  [dkgCommitmentsCodec, sampleCommitments],
  [dkgDealingCodec, sampleDealing.dealing],
  [dkgComplaintCodec, sampleComplaint],
  [dkgRoundShareCodec, roundShare('commit')],
  [dkgRoundShareCodec, roundShare('reveal')],
  [
    collectiveKeySignatureCodec,
    {
      version: 1,
      key: sampleCollectiveKey,
      keyHash,
      signer: DKG_SAMPLE_MEMBERS[0],
      signature: signCommitteeKey(SAMPLE_DKG_DOMAIN, SAMPLE_DKG_KEYS[0], {
        epoch: DKG_SAMPLE_INSTANCE.epoch,
        setHash: DKG_SAMPLE_INSTANCE.setHash,
        keyHash,
      }),
    },
  ],
] as [MessageCodec<unknown>, unknown][]
