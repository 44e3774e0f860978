import { type ContractRunner, Signature } from 'ethers'
import { TcfError } from '../errors.ts'
import type { Hex32 } from '../hex.ts'
import type { ValidatorSignature } from '../messages/attestation.ts'
import type { BlockHeader } from '../messages/block.ts'
import { boundContract } from './transact.ts'
import { unpackMember } from './validatorRegistry.ts'

/** Where one outcome leaf sits: the anchored block's record fields and the Merkle path. */
export interface OutcomeProof {
  readonly height: number
  readonly epoch: number
  /** Bitmap over the epoch's set of the validators whose precommits anchored the block. */
  readonly signers: bigint
  readonly path: readonly Hex32[]
}

/** Where and how a height was anchored, from its Anchored event. */
export interface AnchoredRecord {
  readonly txHash: Hex32
  readonly blockNumber: number
  /** The record's epoch and signers bitmap: what an outcome proof of the height must name. */
  readonly epoch: number
  readonly signers: bigint
}

export interface AnchorCall {
  readonly header: BlockHeader
  readonly round: number
  /** The epoch's packed set, as ValidatorRegistry.epochSet returns it. */
  readonly validatorSet: readonly bigint[]
  readonly precommits: readonly ValidatorSignature[]
}

export class CertificateSignerError extends TcfError {
  override readonly name = 'CertificateSignerError'
  readonly code = 'SIGNER_NOT_IN_SET'
}

/** Orders precommits by set index and compacts them (EIP-2098), as Anchor.anchor takes them. */
export function precommitBitmap(validatorSet: readonly bigint[], precommits: readonly ValidatorSignature[]) {
  const index = new Map(validatorSet.map((word, i) => [unpackMember(word).address, i]))
  const byIndex = new Map<number, ValidatorSignature>()
  for (const p of precommits) {
    const i = index.get(p.validator.toLowerCase() as Hex32)
    if (i === undefined)
      throw new CertificateSignerError(`${p.validator} is not in the epoch's validator set`)
    byIndex.set(i, p)
  }
  const ordered = [...byIndex.entries()].sort(([a], [b]) => a - b)
  return {
    signers: ordered.reduce((bits, [i]) => bits | (1n << BigInt(i)), 0n),
    signatures: ordered.map(([, p]) => {
      const sig = Signature.from(p.signature)
      return { r: sig.r, vs: sig.yParityAndS }
    }),
  }
}

/** The Anchor.OutcomeProof tuple as ethers encodes it. */
export const outcomeProofArg = (p: OutcomeProof) => ({
  height: p.height,
  epoch: p.epoch,
  signers: p.signers,
  path: [...p.path],
})

export function connectAnchor(address: string, runner: ContractRunner) {
  const c = boundContract('Anchor', address, runner)
  return {
    address,
    anchor: (call: AnchorCall) => {
      const { signers, signatures } = precommitBitmap(call.validatorSet, call.precommits)
      return c.send('anchor', [{ ...call.header }, call.round, [...call.validatorSet], signers, signatures])
    },
    /** Sends a pre-built call as is: for tests and tools that must submit what precommitBitmap refuses. */
    anchorRaw: (
      call: Omit<AnchorCall, 'precommits'> & { signers: bigint; signatures: { r: string; vs: string }[] },
    ) =>
      c.send('anchor', [
        { ...call.header },
        call.round,
        [...call.validatorSet],
        call.signers,
        call.signatures,
      ]),
    commitment: async (height: number) => (await c.read('commitments', height)) as Hex32,
    /** The Anchored event of a height (searched from `fromBlock`): its transaction and record fields. */
    anchored: async (height: number, fromBlock = 0): Promise<AnchoredRecord | undefined> => {
      const [log] = await c.contract.queryFilter(c.contract.filters.Anchored!(height), fromBlock)
      const args = log === undefined ? undefined : c.contract.interface.parseLog(log)?.args
      if (log === undefined || args === undefined) return undefined
      return {
        txHash: log.transactionHash as Hex32,
        blockNumber: log.blockNumber,
        epoch: Number(args.epoch),
        signers: BigInt(args.signers),
      }
    },
    verifyResult: async (jobId: Hex32, resultHash: Hex32, qualityScore: number, proof: OutcomeProof) =>
      (await c.read('verifyResult', jobId, resultHash, qualityScore, outcomeProofArg(proof))) as boolean,
    verifyFailure: async (jobId: Hex32, proof: OutcomeProof) =>
      (await c.read('verifyFailure', jobId, outcomeProofArg(proof))) as boolean,
    contract: c.contract,
  }
}
export type AnchorClient = ReturnType<typeof connectAnchor>
