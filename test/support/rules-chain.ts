import { randomBytes } from 'node:crypto'
import type { Wallet } from 'ethers'
import { afterAll, beforeAll } from 'vitest'
import { ValidatorSet } from '../../consensus/index.ts'
import { createChainState } from '../../node/chain/index.ts'
import { validateBlock } from '../../node/jobs/block.ts'
import { DEFAULT_ESCROW_TERMS } from '../../node/jobs/chain-facts.ts'
import { Ledger } from '../../node/jobs/ledger.ts'
import type { RuleContext, Verdict } from '../../node/jobs/rules.ts'
import {
  type Address,
  addressOfPrivateKey,
  type Block,
  blockHash,
  computePolicyHash,
  type DevChain,
  type Hex32,
  type JobRequest,
  jobIdOf,
  manifestBlob,
  type SignedJobRequest,
  signJobRequest,
  signRelease,
  signResultAttestation,
  specHash,
  startDevChain,
  startTestNetwork,
  type TestNetwork,
  ZERO_HASH,
} from '../../protocol/index.ts'
import { DEFAULT_LIMITS, readManifest, type VaultManifest } from '../../sandbox/index.ts'
import { REGRESSION_SPEC, REGRESSION_VAULT } from '../../sandbox/testing/regression.ts'

/**
 * Block validity against a real anvil dev chain, without daemons: the contracts
 * deployed and staked, the regression vault registered by its seller, and the
 * real block rules judging blocks an adversary builds by hand.
 */
export interface RulesChain {
  readonly chain: DevChain
  readonly net: TestNetwork
  readonly manifest: VaultManifest
  readonly vaultId: Hex32
  readonly seller: Wallet
  readonly buyer: Wallet
  readonly validators: ValidatorSet
  stop(): Promise<void>
}

export const hex32 = () => `0x${randomBytes(32).toString('hex')}` as Hex32

/** A rules chain started before the file's tests and stopped after them; read `rc` inside tests only. */
export function useRulesChain(): { readonly rc: RulesChain } {
  let rc: RulesChain | undefined
  beforeAll(async () => {
    rc = await startRulesChain()
  })
  afterAll(async () => rc?.stop())
  return {
    get rc() {
      if (rc === undefined) throw new Error('the rules chain starts in beforeAll')
      return rc
    },
  }
}

export async function startRulesChain(): Promise<RulesChain> {
  const chain = await startDevChain()
  try {
    const net = await startTestNetwork(chain, { validators: 4 })
    const manifest = await readManifest(REGRESSION_VAULT)
    const seller = chain.wallet(1)
    const vaultId = manifest.vaultId as Hex32
    await net.connect(seller).vaults.register(vaultId, {
      manifestHash: manifestBlob(manifest).id,
      policyHash: computePolicyHash(manifest.policy),
      price: BigInt(manifest.policy.price),
    })
    const validators = new ValidatorSet(
      net.validatorKeys.map((k) => ({ address: addressOfPrivateKey(k), power: 1 })),
    )
    return {
      chain,
      net,
      manifest,
      vaultId,
      seller,
      buyer: chain.wallet(2),
      validators,
      stop: () => chain.stop(),
    }
  } catch (e) {
    await chain.stop()
    throw e
  }
}

/** A buyer-signed request for `spec` (the regression spec by default) on `vaultId` (the seller's vault by default). */
export function jobRequest(
  rc: RulesChain,
  options: { vaultId?: Hex32; deadline?: number; buyer?: Wallet; spec?: unknown } = {},
): { signed: SignedJobRequest; jobId: Hex32 } {
  const buyer = options.buyer ?? rc.buyer
  const spec = options.spec ?? REGRESSION_SPEC
  const request: JobRequest = {
    version: 1,
    vaultId: options.vaultId ?? rc.vaultId,
    algorithm: { specHash: specHash(spec), spec: spec as never },
    buyer: buyer.address.toLowerCase() as Address,
    maxPrice: rc.manifest.policy.price,
    deadline: options.deadline ?? 50,
    nonce: hex32(),
    sealingPublicKey: `0x02${'ab'.repeat(32)}`,
  }
  return {
    signed: signJobRequest(rc.net.domain, buyer.privateKey as Hex32, request),
    jobId: jobIdOf(request),
  }
}

/** Opens escrow for `jobId` on chain, by default as the honest buyer would: their vault, its price, two hours. */
export async function openEscrow(
  rc: RulesChain,
  jobId: Hex32,
  options: { from?: Wallet; vaultId?: Hex32; amount?: bigint; expiresAt?: bigint; minQuality?: number } = {},
): Promise<void> {
  const from = options.from ?? rc.buyer
  const latest = await rc.chain.provider.getBlock('latest')
  await rc.net
    .connect(from)
    .market.openJob(
      jobId,
      options.vaultId ?? rc.vaultId,
      options.expiresAt ?? BigInt((latest?.timestamp ?? 0) + 7200),
      options.amount ?? BigInt(rc.manifest.policy.price),
      options.minQuality ?? 0,
    )
}

const proposer = (rc: RulesChain) => rc.validators.validators[0]!.address

/** The next block on `ledger` carrying `body`, read at the chain's latest block, as a (possibly Byzantine) proposer would offer it. */
export async function nextBlock(rc: RulesChain, ledger: Ledger, body: Partial<Block>): Promise<Block> {
  return {
    version: 1,
    height: ledger.height + 1,
    epoch: rc.net.epoch,
    parentHash: ledger.headHash,
    proposer: proposer(rc),
    chainBlock: await rc.chain.provider.getBlockNumber(),
    admitted: [],
    certified: [],
    released: [],
    failed: [],
    ...body,
  }
}

/** What an honest validator concludes of `block` on top of `ledger`: the real rules, chain facts read at the block's number. */
export async function judge(rc: RulesChain, ledger: Ledger, block: Block): Promise<Verdict> {
  const state = createChainState({ rpcUrl: rc.chain.rpcUrl, addresses: rc.net.addresses })
  try {
    const facts = await state.factsAt(block.chainBlock, {
      jobs: block.admitted.map((r) => jobIdOf(r.request)),
      vaults: [
        ...block.admitted.map((r) => r.request.vaultId),
        ...block.released.flatMap((r) => {
          const job = ledger.job(r.jobId)
          return job ? [job.request.request.vaultId] : []
        }),
      ],
    })
    const ctx: RuleContext = {
      height: block.height,
      validators: rc.validators,
      ledger,
      domain: rc.net.domain,
      manifest: (id) => (id === rc.vaultId ? rc.manifest : undefined),
      chain: facts,
      escrowTerms: DEFAULT_ESCROW_TERMS,
      limits: DEFAULT_LIMITS,
    }
    const frame = {
      height: block.height,
      epoch: rc.net.epoch,
      parentHash: ledger.headHash,
      chainBlock: ledger.chainBlock,
    }
    return validateBlock(ctx, frame, block)
  } finally {
    state.stop()
  }
}

/** A ledger where `signed` was admitted and its result certified by three of the four validators. */
export async function certifiedLedger(
  rc: RulesChain,
  signed: SignedJobRequest,
  resultHash: Hex32,
): Promise<Ledger> {
  const ledger = new Ledger(ZERO_HASH)
  const admit = await nextBlock(rc, ledger, { admitted: [signed] })
  ledger.apply(admit, blockHash(admit))
  const jobId = jobIdOf(signed.request)
  const execEnvHash = hex32()
  const attestations = rc.net.validatorKeys.slice(0, 3).map((key) => {
    const a = signResultAttestation(rc.net.domain, key, { jobId, resultHash, execEnvHash })
    return { validator: a.validator, signature: a.signature }
  })
  const certify = await nextBlock(rc, ledger, {
    certified: [{ jobId, resultHash, execEnvHash, attestations }],
  })
  ledger.apply(certify, blockHash(certify))
  return ledger
}

/** A release of `jobId` signed by `key`, claiming whatever score it likes. */
export function releaseBy(
  rc: RulesChain,
  key: Hex32,
  jobId: Hex32,
  resultHash: Hex32,
  qualityScore: number,
): Block['released'][number] {
  return signRelease(rc.net.domain, key, {
    jobId,
    resultHash,
    qualityScore,
    components: {
      sampleSize: qualityScore,
      completeness: qualityScore,
      plausibility: qualityScore,
      fitness: qualityScore,
    },
    sealedHash: hex32(),
  })
}
