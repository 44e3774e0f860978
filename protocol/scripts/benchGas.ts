import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { precommitBitmap } from '../chain/anchor.ts'
import { connectCommitteeKeys } from '../chain/committeeKey.ts'
import { startDevChain } from '../devchain/devChain.ts'
import { startTestNetwork } from '../devchain/network.ts'
import { addressOfPrivateKey } from '../eip712/ecdsa.ts'
import { signCommitteeKey } from '../eip712/messageSigning.ts'
import { TcfError } from '../errors.ts'
import { type Address, type Hex32, toHex } from '../hex.ts'
import { merkleProof, merkleRoot, resultLeaf } from '../merkle.ts'
import type { BlockHeader } from '../messages/block.ts'
import { type PayoutLeaf, payoutProof, poolPayouts, poolResultHash } from '../pools/payouts.ts'
import { anchorRelease } from '../testing/anchoredRelease.ts'

// npm run bench:gas: gas to anchor one block's commit certificate and results root, per validator
// count, signer count and job count. Anchoring stores one slot per block, so the job count only
// changes the per-job share; verifyResult shows what proving one job costs a consumer contract, and
// settle what closing one job's escrow costs (it proves the job and credits the owner and signers;
// below the escrow's minimum quality, the buyer and signers instead).

const VALIDATOR_COUNTS = [4, 7, 16, 31]
const JOB_COUNTS = [1, 10, 100, 1000]
const QUALITY = 900_000
const PRICE = 10n ** 16n
/** Every transaction's base cost; subtracted from the verifyResult estimate, which is a view. */
const INTRINSIC_GAS = 21_000
const randomHash = (): Hex32 => toHex(randomBytes(32))

/** The contracts refused the proof the bench built: a bench measuring a broken anchor would mislead. */
class BenchProofError extends TcfError {
  override readonly name = 'BenchProofError'
  readonly code = 'PROOF_REJECTED'
}

interface Row {
  validators: number
  signers: number
  jobs: number
  anchorGas: number
  gasPerJob: number
  verifyResultGas: number
  settleGas: number
  /** settle of a job certified below its escrow's minimum quality (rejected); blocks of 2+ jobs */
  settleRejectedGas: number | null
}

/** Registering an epoch's collective key hash (issue #13) with a quorum of signatures. */
interface CommitteeKeyRow {
  validators: number
  signers: number
  registerCommitteeKeyGas: number
}

/** A pool job's settlement and its contributors' claims (issue #14). */
interface PoolRow {
  contributors: number
  proofLength: number
  markPoolGas: number
  settlePoolGas: number
  /** the job's first claim: a fresh running count, a fresh claimed flag, a fresh balance */
  firstClaimGas: number
  /** a later claim on the same job */
  claimGas: number | null
}

const POOL_CONTRIBUTORS = [1, 10, 1000, 100_000]

/** A block at `height` releasing `jobs` random results with the bench's score, and its leaves. */
function benchBlock(height: number, epoch: number, jobs: number) {
  const results = Array.from({ length: jobs }, () => ({ jobId: randomHash(), resultHash: randomHash() }))
  const leaves = results.map((r) => resultLeaf(r.jobId, r.resultHash, QUALITY))
  const header: BlockHeader = {
    height,
    epoch,
    parentHash: randomHash(),
    proposer: `0x${'ab'.repeat(20)}`,
    resultsRoot: merkleRoot(leaves),
    bodyHash: randomHash(),
  }
  return { results, leaves, header }
}

/** Closing a block's N escrows one settle at a time against one settleMany (issue #17). */
interface SettleManyRow {
  jobs: number
  /** N settle transactions, their gas summed over N */
  settleGasPerJob: number
  settleManyGas: number
  settleManyGasPerJob: number
}

const SETTLE_MANY_JOBS = [1, 4, 16, 64]

const chain = await startDevChain()
const rows: Row[] = []
const committeeKeyRows: CommitteeKeyRow[] = []
const poolRows: PoolRow[] = []
const settleManyRows: SettleManyRow[] = []
try {
  for (const validators of VALIDATOR_COUNTS) {
    const net = await startTestNetwork(chain, { validators })
    // One vault whose owner every settled job pays; each row escrows the job it settles.
    const vaultId = randomHash()
    const owner = net.connect(chain.wallet(1))
    await owner.vaults.register(vaultId, { manifestHash: vaultId, policyHash: randomHash(), price: PRICE })
    const quorum = Math.floor((2 * validators) / 3) + 1
    const keyHash = randomHash()
    const setHash = await net.connect(chain.wallet(0)).validators.epochSetHash(net.epoch)
    const keyDomain = { chainId: chain.chainId, verifyingContract: net.addresses.anchor }
    const registered = await connectCommitteeKeys(net.addresses.anchor, chain.wallet(0)).register({
      epoch: net.epoch,
      keyHash,
      validatorSet: net.validatorSet,
      signatures: net.validatorKeys.slice(0, quorum).map((k) => ({
        validator: addressOfPrivateKey(k),
        signature: signCommitteeKey(keyDomain, k, { epoch: net.epoch, setHash, keyHash }),
      })),
    })
    committeeKeyRows.push({
      validators,
      signers: quorum,
      registerCommitteeKeyGas: Number(registered.gasUsed),
    })
    let height = 1
    for (const signers of [...new Set([quorum, validators])]) {
      for (const jobs of JOB_COUNTS) {
        const { results, leaves, header } = benchBlock(height++, net.epoch, jobs)
        const precommits = net.precommit(header, 0, net.validatorKeys.slice(0, signers))
        const { anchor } = net.connect(chain.wallet(0))
        const last = results[jobs - 1]!
        const now = BigInt((await chain.provider.getBlock('latest'))!.timestamp)
        await net.connect(chain.wallet(2)).market.openJob(last.jobId, vaultId, now + 7200n, PRICE)
        // Escrowed before the anchor like the last job, with a minimum just above the certified score.
        const belowMinimum = jobs < 2 ? undefined : results[jobs - 2]!
        if (belowMinimum !== undefined) {
          await net
            .connect(chain.wallet(2))
            .market.openJob(belowMinimum.jobId, vaultId, now + 7200n, PRICE, QUALITY + 1)
        }
        const receipt = await anchor.anchor({ header, round: 0, validatorSet: net.validatorSet, precommits })
        const proofOf = (index: number) => ({
          height: header.height,
          epoch: net.epoch,
          signers: precommitBitmap(net.validatorSet, precommits).signers,
          path: merkleProof(leaves, index),
        })
        const proof = proofOf(jobs - 1)
        const settleRejected = (job: { jobId: Hex32; resultHash: Hex32 }, index: number) =>
          owner.market.settle(job.jobId, job.resultHash, QUALITY, proofOf(index))
        if (!(await anchor.verifyResult(last.jobId, last.resultHash, QUALITY, proof))) {
          throw new BenchProofError(`bench block at height ${header.height} does not prove its own leaf`)
        }
        const verifyEstimate = await anchor.contract
          .getFunction('verifyResult')
          .estimateGas(last.jobId, last.resultHash, QUALITY, { ...proof, path: [...proof.path] })
        const settled = await owner.market.settle(last.jobId, last.resultHash, QUALITY, proof)
        const rejected = belowMinimum === undefined ? undefined : await settleRejected(belowMinimum, jobs - 2)
        if (
          belowMinimum !== undefined &&
          (await owner.market.job(belowMinimum.jobId)).status !== 'rejected'
        ) {
          throw new BenchProofError(`the job below its minimum at height ${header.height} was not rejected`)
        }
        const anchorGas = Number(receipt.gasUsed)
        rows.push({
          validators,
          signers,
          jobs,
          anchorGas,
          gasPerJob: Math.round(anchorGas / jobs),
          verifyResultGas: Number(verifyEstimate) - INTRINSIC_GAS,
          settleGas: Number(settled.gasUsed),
          settleRejectedGas: rejected === undefined ? null : Number(rejected.gasUsed),
        })
      }
    }
  }
  poolRows.push(...(await benchPoolPayouts()))
  settleManyRows.push(...(await benchSettleMany()))
} finally {
  await chain.stop()
}

/**
 * Issue #14: settling a job on a pool (the owner share held, not credited) and a contributor's
 * claim, by the size of the snapshot's payouts tree: the proof grows with log2 of the contributors.
 * The first claim of a job also starts its running count; later ones only update it.
 */
async function benchPoolPayouts(): Promise<PoolRow[]> {
  const net = await startTestNetwork(chain, { validators: 4 })
  const curator = net.connect(chain.wallet(1))
  const out: PoolRow[] = []
  let height = 1
  for (const contributors of POOL_CONTRIBUTORS) {
    const vaultId = randomHash()
    await curator.vaults.register(vaultId, { manifestHash: vaultId, policyHash: randomHash(), price: PRICE })
    const marked = await curator.vaults.markPool(vaultId)
    const jobId = randomHash()
    const now = BigInt((await chain.provider.getBlock('latest'))!.timestamp)
    await net.connect(chain.wallet(2)).market.openJob(jobId, vaultId, now + 7200n, PRICE)
    const counts = new Map<Address, number>(
      Array.from({ length: contributors }, (_, i) => [toHex(randomBytes(20)) as Address, 1 + (i % 5)]),
    )
    const payouts = poolPayouts(counts)
    const bundleHash = randomHash()
    const resultHash = poolResultHash(bundleHash, payouts)
    const proof = await anchorRelease(chain, net, {
      jobId,
      resultHash,
      qualityScore: QUALITY,
      height: height++,
    })
    const settled = await curator.market.settle(jobId, resultHash, QUALITY, proof)
    const claim = (leaf: PayoutLeaf) =>
      net.connect(chain.wallet(3)).market.claimPayout({
        jobId,
        bundleHash,
        root: payouts.root,
        total: payouts.total,
        contributor: leaf.contributor,
        contributions: leaf.contributions,
        proof: payoutProof(payouts, leaf.contributor),
      })
    const first = await claim(payouts.leaves[0]!)
    const later = contributors < 2 ? undefined : await claim(payouts.leaves[contributors - 1]!)
    out.push({
      contributors,
      proofLength: payoutProof(payouts, payouts.leaves[0]!.contributor).length,
      markPoolGas: Number(marked.gasUsed),
      settlePoolGas: Number(settled.gasUsed),
      firstClaimGas: Number(first.gasUsed),
      claimGas: later === undefined ? null : Number(later.gasUsed),
    })
  }
  return out
}

/**
 * Issue #17: a validator settles an anchored block's releases in one settleMany transaction. Two
 * blocks of N released jobs each, one closed by N settle transactions, the other by one settleMany.
 */
async function benchSettleMany(): Promise<SettleManyRow[]> {
  const net = await startTestNetwork(chain, { validators: 4 })
  const owner = net.connect(chain.wallet(1))
  const vaultId = randomHash()
  await owner.vaults.register(vaultId, { manifestHash: vaultId, policyHash: randomHash(), price: PRICE })
  const out: SettleManyRow[] = []
  let height = 1
  const anchoredBlock = async (jobs: number) => {
    const { results, leaves, header } = benchBlock(height++, net.epoch, jobs)
    const now = BigInt((await chain.provider.getBlock('latest'))!.timestamp)
    for (const r of results)
      await net.connect(chain.wallet(2)).market.openJob(r.jobId, vaultId, now + 7200n, PRICE)
    const precommits = net.precommit(header, 0)
    await net
      .connect(chain.wallet(0))
      .anchor.anchor({ header, round: 0, validatorSet: net.validatorSet, precommits })
    const signers = precommitBitmap(net.validatorSet, precommits).signers
    return results.map((r, i) => ({
      kind: 'released' as const,
      ...r,
      qualityScore: QUALITY,
      proof: { height: header.height, epoch: net.epoch, signers, path: merkleProof(leaves, i) },
    }))
  }
  // One job settled first: the owner's and validators' balances are then warm in both columns.
  for (const o of await anchoredBlock(1))
    await owner.market.settle(o.jobId, o.resultHash, o.qualityScore, o.proof)
  for (const jobs of SETTLE_MANY_JOBS) {
    let oneByOne = 0
    for (const o of await anchoredBlock(jobs)) {
      oneByOne += Number((await owner.market.settle(o.jobId, o.resultHash, o.qualityScore, o.proof)).gasUsed)
    }
    const many = await anchoredBlock(jobs)
    const receipt = await owner.market.settleMany(many)
    if (owner.market.closingsIn(receipt).size !== jobs) {
      throw new BenchProofError(`settleMany closed fewer than the ${jobs} jobs of its block`)
    }
    out.push({
      jobs,
      settleGasPerJob: Math.round(oneByOne / jobs),
      settleManyGas: Number(receipt.gasUsed),
      settleManyGasPerJob: Math.round(Number(receipt.gasUsed) / jobs),
    })
  }
  return out
}

console.table(rows)
console.table(committeeKeyRows)
console.table(poolRows)
console.table(settleManyRows)
mkdirSync('bench-results', { recursive: true })
writeFileSync(
  'bench-results/gas.json',
  `${JSON.stringify({ measuredAt: new Date().toISOString(), rows, committeeKeyRows, poolRows, settleManyRows }, null, 2)}\n`,
)
