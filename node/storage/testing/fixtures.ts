// Valid, deterministic values of what the store keeps, for its tests and the crash writer.
import type { WalEntry } from '../../../consensus/index.ts'
import {
  addressOfPrivateKey,
  type Block,
  blockHash,
  type CommitCertificate,
  computeVaultId,
  type Hex32,
  type JobRecord,
  type JobStage,
  jobIdOf,
  type SignedJobRequest,
  signJobRequest,
  specHash,
  type VaultManifest,
} from '../../../protocol/index.ts'
import { hex32Of } from '../../../protocol/testing/hex32.ts'

const DOMAIN = { chainId: 31337n, verifyingContract: '0x5fbdb2315678afecb367f032d93f642f64180aa3' } as const
const BUYER_KEY: Hex32 = `0x${'09'.padStart(64, '0')}`
const VALIDATOR: Hex32 = `0x${'11'.repeat(20)}`

export const hash = hex32Of

const manifestContent: Omit<VaultManifest, 'vaultId'> = {
  version: 1,
  profile: 'ckks-8192',
  schema: { columns: [{ name: 'age', type: 'integer', nullable: false, min: 18, max: 99 }] },
  recordCount: 5000,
  chunkCount: 1,
  slotCount: 4096,
  keys: { publicKey: hash(1), relinKeys: hash(2), galoisKeys: hash(3), galoisSteps: [1, 2] },
  columns: [{ name: 'age', kind: 'value', source: 'age', chunks: [hash(4)] }],
  policy: { allowedOps: ['mean'], minAggregation: 100, price: '1000' },
  createdAt: '2026-11-21T06:00:00.000Z',
}
export const manifest: VaultManifest = { ...manifestContent, vaultId: computeVaultId(manifestContent) }

const spec = { version: 1, outputs: { mean_age: { op: 'mean', of: 'age' } } }

/** The n-th buyer request: distinct nonces make distinct jobs. */
export const signedRequest = (n: number): SignedJobRequest =>
  signJobRequest(DOMAIN, BUYER_KEY, {
    version: 1,
    vaultId: manifest.vaultId,
    algorithm: { specHash: specHash(spec), spec },
    buyer: addressOfPrivateKey(BUYER_KEY),
    maxPrice: '2000',
    deadline: 1_000_000,
    nonce: hash(n),
    sealingPublicKey: `0x02${'79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'}`,
  })

export function jobRecord(
  request: SignedJobRequest,
  stage: JobStage,
  extra: Partial<JobRecord> = {},
): JobRecord {
  return {
    jobId: jobIdOf(request.request),
    request,
    stage,
    stages: { [stage]: '2026-11-21T06:00:00.000Z' },
    ...extra,
  }
}

export function block(height: number, body: Partial<Pick<Block, 'admitted' | 'failed'>> = {}): Block {
  return {
    version: 1,
    height,
    epoch: 1,
    parentHash: hash(height - 1),
    chainBlock: 0,
    proposer: VALIDATOR,
    admitted: body.admitted ?? [],
    certified: [],
    released: [],
    failed: body.failed ?? [],
  }
}

/** Schema-valid; the signature bytes are not checked by the store. */
export const certificate = (b: Block): CommitCertificate => ({
  version: 1,
  epoch: b.epoch,
  height: b.height,
  round: 0,
  blockHash: blockHash(b),
  precommits: [{ validator: VALIDATOR, signature: `0x${'ab'.repeat(64)}1b` }],
})

export const voteEntry = (height: number, round: number): WalEntry => ({
  kind: 'vote',
  signed: {
    vote: { type: 'prevote', height, round, valueId: hash(height), validator: VALIDATOR },
    signature: `0x${'cd'.repeat(64)}1c`,
  },
})

export const lockEntry = (height: number): WalEntry => ({
  kind: 'lock',
  height,
  locked: { round: 0, valueId: hash(height) },
  valid: null,
})

/**
 * A result bundle's stand-in for height `n`: large enough to be a blob file (96 KiB), and its own
 * bytes per height.
 */
export function largeBlob(n: number): Uint8Array {
  const bytes = new Uint8Array(96 * 1024).fill(n & 0xff)
  new DataView(bytes.buffer).setUint32(0, n)
  return bytes
}
