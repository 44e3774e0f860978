import type { MessageCodec } from '../codec.ts'
import { createEip712ConsensusSigner } from '../eip712/consensusSigner.ts'
import type { Eip712Domain } from '../eip712/domain.ts'
import { signJobRequest, signRelease, signResultAttestation } from '../eip712/messageSigning.ts'
import type { Hex32 } from '../hex.ts'
import {
  type AttestationBatch,
  attestationBatchCodec,
  resultAttestationCodec,
} from '../messages/attestation.ts'
import { blobRequestCodec, blobResponseCodec } from '../messages/blob.ts'
import { type Block, blockCodec, blockHash } from '../messages/block.ts'
import {
  commitCertificateCodec,
  duplicateVoteEvidenceCodec,
  proposalMessageCodec,
  voteMessageCodec,
} from '../messages/consensus.ts'
import { type JobRequest, jobRequestCodec, signedJobRequestCodec, specHash } from '../messages/jobRequest.ts'
import { sealedHashOf, sealedResultCodec } from '../messages/sealedResult.ts'
import { computeVaultId, type VaultManifest, vaultManifestCodec } from '../messages/vaultManifest.ts'
import { DKG_SAMPLES } from './dkgSamples.ts'

// Deterministic, valid instances of every wire message, for codec tests and fuzz seeds.

export const SAMPLE_DOMAIN: Eip712Domain = {
  chainId: 31337n,
  verifyingContract: '0x5fbdb2315678afecb367f032d93f642f64180aa3',
}
const key = (n: number): Hex32 => `0x${n.toString(16).padStart(64, '0')}`
const hash = (n: number): Hex32 => `0x${n.toString(16).padStart(2, '0').repeat(32)}`
export const SAMPLE_KEYS = [key(1), key(2), key(3), key(4)] as const

const manifestContent: Omit<VaultManifest, 'vaultId'> = {
  version: 1,
  profile: 'ckks-8192',
  schema: {
    columns: [
      { name: 'age', type: 'integer', nullable: false, min: 18, max: 99 },
      { name: 'smoker', type: 'categorical', nullable: true, categories: ['yes', 'no'] },
    ],
  },
  recordCount: 5000,
  chunkCount: 2,
  slotCount: 4096,
  keys: { publicKey: hash(1), relinKeys: hash(2), galoisKeys: hash(3), galoisSteps: [1, 2, 4, 8] },
  columns: [
    { name: 'age', kind: 'value', source: 'age', chunks: [hash(4), hash(5)] },
    { name: 'smoker=yes', kind: 'onehot', source: 'smoker', category: 'yes', chunks: [hash(6), hash(7)] },
  ],
  policy: { allowedOps: ['mean', 'histogram'], minAggregation: 100, price: '1000000000000000' },
  createdAt: '2026-11-21T06:00:00.000Z',
}
export const sampleManifest: VaultManifest = { ...manifestContent, vaultId: computeVaultId(manifestContent) }

const spec = { version: 1, outputs: { mean_age: { op: 'mean', of: 'age' } } }
export const sampleJobRequest: JobRequest = {
  version: 1,
  vaultId: sampleManifest.vaultId,
  algorithm: { specHash: specHash(spec), spec },
  buyer: createEip712ConsensusSigner({ privateKey: key(9), domain: SAMPLE_DOMAIN, epoch: 1 }).address,
  maxPrice: '2000000000000000',
  deadline: 40,
  nonce: hash(8),
  sealingPublicKey: `0x02${'79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'}`,
}
export const sampleSignedJobRequest = signJobRequest(SAMPLE_DOMAIN, key(9), sampleJobRequest)
const jobId = jobRequestCodec.id(sampleJobRequest)

const sealed = {
  scheme: 'secp256k1-hkdf-sha256-aes256gcm' as const,
  ephemeralPublicKey: sampleJobRequest.sealingPublicKey,
  nonce: '0x000102030405060708090a0b' as const,
  ciphertext: '0xdeadbeef' as const,
}
const release = signRelease(SAMPLE_DOMAIN, key(7), {
  jobId,
  components: { sampleSize: 1_000_000, completeness: 1_000_000, plausibility: 1_000_000, fitness: 1_000_000 },
  resultHash: hash(10),
  qualityScore: 873_000,
  sealedHash: sealedHashOf(sealed),
})
const attestations = SAMPLE_KEYS.slice(0, 3).map((k) =>
  signResultAttestation(SAMPLE_DOMAIN, k, { jobId, resultHash: hash(10), execEnvHash: hash(11) }),
)

/** One validator's attestations of two jobs, as the `attestations` topic carries them. */
export const sampleAttestationBatch: AttestationBatch = {
  version: 1,
  validator: attestations[0]!.validator,
  attestations: [
    attestations[0]!,
    signResultAttestation(SAMPLE_DOMAIN, SAMPLE_KEYS[0], {
      jobId: hash(14),
      resultHash: hash(15),
      execEnvHash: hash(11),
    }),
  ],
}

export const sampleBlock: Block = {
  version: 1,
  height: 12,
  epoch: 1,
  parentHash: hash(12),
  chainBlock: 41,
  proposer: attestations[0]!.validator,
  admitted: [sampleSignedJobRequest],
  certified: [
    {
      jobId,
      resultHash: hash(10),
      execEnvHash: hash(11),
      attestations: attestations.map((a) => ({ validator: a.validator, signature: a.signature })),
    },
  ],
  released: [release],
  failed: [hash(13)],
}

const signers = SAMPLE_KEYS.map((privateKey) =>
  createEip712ConsensusSigner({ privateKey, domain: SAMPLE_DOMAIN, epoch: 1 }),
)
const valueId = blockHash(sampleBlock)
const vote = (i: number, type: 'prevote' | 'precommit', id: Hex32 | null) =>
  signers[i]!.signVote({ type, height: 12, round: 0, valueId: id, validator: signers[i]!.address })
const proposal = signers[0]!.signProposal({
  height: 12,
  round: 0,
  valueId,
  validRound: -1,
  proposer: signers[0]!.address,
})

/** [codec, valid sample] for every message kind. */
export const SAMPLES: [MessageCodec<unknown>, unknown][] = [
  [vaultManifestCodec, sampleManifest],
  [jobRequestCodec, sampleJobRequest],
  [signedJobRequestCodec, sampleSignedJobRequest],
  [resultAttestationCodec, attestations[0]],
  [attestationBatchCodec, sampleAttestationBatch],
  [blockCodec, sampleBlock],
  [voteMessageCodec, { version: 1, epoch: 1, ...vote(1, 'prevote', valueId) }],
  [proposalMessageCodec, { version: 1, epoch: 1, ...proposal, block: sampleBlock }],
  [
    commitCertificateCodec,
    {
      version: 1,
      epoch: 1,
      height: 12,
      round: 0,
      blockHash: valueId,
      precommits: [0, 1, 2].map((i) => ({
        validator: signers[i]!.address,
        signature: vote(i, 'precommit', valueId).signature,
      })),
    },
  ],
  [
    duplicateVoteEvidenceCodec,
    { version: 1, epoch: 1, first: vote(2, 'precommit', valueId), second: vote(2, 'precommit', null) },
  ],
  [blobRequestCodec, { version: 1, blobIds: [hash(4), hash(5)] }],
  [blobResponseCodec, { version: 1, blobId: hash(4), status: 'found', size: 393_000 }],
  [blobResponseCodec, { version: 1, blobId: hash(4), status: 'refused' }],
  [sealedResultCodec, { version: 1, release, sealed }],
  ...DKG_SAMPLES,
] as [MessageCodec<unknown>, unknown][]
