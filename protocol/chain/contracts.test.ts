import { randomBytes } from 'node:crypto'
import { Wallet } from 'ethers'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type DevChain, startDevChain } from '../devchain/devChain.ts'
import { startTestNetwork, type TestNetwork } from '../devchain/network.ts'
import { createEip712ConsensusSigner } from '../eip712/consensusSigner.ts'
import { signRelease } from '../eip712/messageSigning.ts'
import { type Hex32, toHex, ZERO_HASH } from '../hex.ts'
import { generatePrivateKey } from '../keys/keystore.ts'
import { merkleProof } from '../merkle.ts'
import { type Block, type BlockHeader, blockHeader, outcomeLeaves } from '../messages/block.ts'
import { type OutcomeProof, precommitBitmap } from './anchor.ts'
import { deployAll } from './deploy.ts'
import { ContractRevertError } from './transact.ts'
import { connectValidatorRegistry } from './validatorRegistry.ts'

const randomHash = (): Hex32 => toHex(randomBytes(32))
const ETH = 10n ** 18n

let chain: DevChain
let net: TestNetwork
let snapshot: string

beforeAll(async () => {
  chain = await startDevChain()
  net = await startTestNetwork(chain, { validators: 4 })
})
afterAll(async () => chain?.stop())
beforeEach(async () => {
  snapshot = await chain.provider.send('evm_snapshot', [])
})
afterEach(async () => {
  await chain.provider.send('evm_revert', [snapshot])
})

const owner = () => chain.wallet(1)
const buyer = () => chain.wallet(2)
const reporter = () => chain.wallet(3)
const validator = (i: number) => new Wallet(net.validatorKeys[i]!, chain.provider)
const OWNER_KEY = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' as const

async function expectRevert(promise: Promise<unknown>, reason: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ContractRevertError)
  expect((error as ContractRevertError).reason).toBe(reason)
}

/** A block at `height` that releases one job with `qualityScore` and fails another. */
function blockAt(
  height: number,
  released: Hex32,
  failed: Hex32,
  resultHash: Hex32,
  qualityScore: number,
): Block {
  return {
    version: 1,
    height,
    epoch: net.epoch,
    parentHash: randomHash(),
    chainBlock: 0,
    proposer: net.precommit(headerStub(), 0, net.validatorKeys.slice(0, 1))[0]!.validator,
    admitted: [],
    certified: [],
    released: [
      signRelease(net.domain, OWNER_KEY, {
        jobId: released,
        components: {
          sampleSize: 1_000_000,
          completeness: 1_000_000,
          plausibility: 1_000_000,
          fitness: 1_000_000,
        },
        resultHash,
        qualityScore,
        sealedHash: randomHash(),
      }),
    ],
    failed: [failed],
  }
}

const headerStub = (): BlockHeader => ({
  height: 1,
  epoch: net.epoch,
  parentHash: ZERO_HASH,
  proposer: `0x${'11'.repeat(20)}`,
  resultsRoot: randomHash(),
  bodyHash: ZERO_HASH,
})

async function anchorBlock(block: Block, round = 0): Promise<{ header: BlockHeader; signers: bigint }> {
  const header = blockHeader(block)
  const precommits = net.precommit(header, round)
  await net
    .connect(chain.wallet(0))
    .anchor.anchor({ header, round, validatorSet: net.validatorSet, precommits })
  return { header, signers: precommitBitmap(net.validatorSet, precommits).signers }
}

const proofFor = (block: Block, leafIndex: number, signers: bigint): OutcomeProof => ({
  height: block.height,
  epoch: block.epoch,
  signers,
  path: merkleProof(outcomeLeaves(block), leafIndex),
})

describe('Anchor', () => {
  it('anchors a block certified by all validators and proves its outcomes', async () => {
    const [jobA, jobB, resultHash] = [randomHash(), randomHash(), randomHash()]
    const block = blockAt(7, jobA, jobB, resultHash, 912_345)
    const { signers } = await anchorBlock(block)
    const { anchor } = net.connect(chain.wallet(0))
    expect(await anchor.verifyResult(jobA, resultHash, 912_345, proofFor(block, 0, signers))).toBe(true)
    expect(await anchor.verifyFailure(jobB, proofFor(block, 1, signers))).toBe(true)
  })

  it('accepts exactly the quorum and refuses two thirds or less of the stake', async () => {
    const header = { ...headerStub(), height: 3 }
    const { anchor } = net.connect(chain.wallet(0))
    const call = (keys: readonly Hex32[]) => ({
      header,
      round: 1,
      validatorSet: net.validatorSet,
      precommits: net.precommit(header, 1, keys),
    })
    await expectRevert(anchor.anchor(call(net.validatorKeys.slice(0, 2))), 'InsufficientStake')
    await anchor.anchor(call(net.validatorKeys.slice(1, 4)))
    expect(await anchor.commitment(3)).not.toBe(ZERO_HASH)
  })

  it('refuses two thirds exactly', async () => {
    // Three equal validators of four hold 3/4; make one heavier so that the other three hold exactly 2/3.
    const heavy = new Wallet(net.validatorKeys[0]!, chain.provider)
    await (await chain.wallet(0).sendTransaction({ to: heavy.address, value: 3n * ETH })).wait()
    await net.connect(heavy).validators.addStake(2n * ETH)
    const registry = net.connect(heavy).validators
    await registry.advanceEpoch()
    const epoch = await registry.currentEpoch()
    const validatorSet = await registry.epochSetWords(epoch)
    const header = { ...headerStub(), epoch, height: 4 }
    const precommits = net.precommit(header, 0, net.validatorKeys.slice(1), epoch)
    const { anchor } = net.connect(chain.wallet(0))
    await expectRevert(anchor.anchor({ header, round: 0, validatorSet, precommits }), 'InsufficientStake')
  })

  it('refuses a certificate that counts one signer twice', async () => {
    const header = { ...headerStub(), height: 5 }
    const [first, , third] = net.precommit(header, 0)
    const { signatures } = precommitBitmap(net.validatorSet, [first!, third!])
    const { anchor } = net.connect(chain.wallet(0))
    // Bits 0, 1 and 2 but the signature of validator 0 twice: the second cannot recover validator 1.
    const raw = { header, round: 0, validatorSet: net.validatorSet, signers: 0b111n }
    await expectRevert(
      anchor.anchorRaw({ ...raw, signatures: [signatures[0]!, ...signatures] }),
      'WrongSigner',
    )
    // Nor can the set list a member twice: it would no longer hash to the registry's snapshot.
    const doubled = [net.validatorSet[0]!, net.validatorSet[0]!, net.validatorSet[1]!, net.validatorSet[2]!]
    const call = { ...raw, validatorSet: doubled, signatures: [signatures[0]!, ...signatures] }
    await expectRevert(anchor.anchorRaw(call), 'WrongValidatorSet')
  })

  it('refuses a signer outside the epoch set', async () => {
    const header = { ...headerStub(), height: 6 }
    const outsider = net.precommit(header, 0, [generatePrivateKey()])
    const members = net.precommit(header, 0, net.validatorKeys.slice(0, 3))
    expect(() => precommitBitmap(net.validatorSet, [...members, ...outsider])).toThrow('not in the epoch')
    const { signatures } = precommitBitmap(net.validatorSet, [
      ...members.slice(0, 2),
      ...outsider.map((o) => ({ ...o, validator: members[2]!.validator })),
    ])
    const { anchor } = net.connect(chain.wallet(0))
    await expectRevert(
      anchor.anchorRaw({ header, round: 0, validatorSet: net.validatorSet, signers: 0b111n, signatures }),
      'WrongSigner',
    )
  })

  it('refuses signatures of an old epoch and certificates for an old epoch', async () => {
    const registry = net.connect(validator(0)).validators
    await registry.advanceEpoch()
    const epoch = await registry.currentEpoch()
    const validatorSet = await registry.epochSetWords(epoch)
    const { anchor } = net.connect(chain.wallet(0))
    const header = { ...headerStub(), epoch, height: 8 }
    const oldSignatures = net.precommit(header, 0, net.validatorKeys, net.epoch)
    await expectRevert(
      anchor.anchor({ header, round: 0, validatorSet, precommits: oldSignatures }),
      'WrongSigner',
    )
    const oldHeader = { ...header, epoch: net.epoch }
    const old = {
      header: oldHeader,
      round: 0,
      validatorSet: net.validatorSet,
      precommits: net.precommit(oldHeader, 0),
    }
    // The previous epoch is accepted only within the grace window after the change.
    await chain.provider.send('evm_increaseTime', [Number(await registry.anchorGracePeriod()) + 1])
    await expectRevert(anchor.anchor(old), 'StaleEpoch')
  })

  it("accepts the previous epoch's certificates within the grace window, not older ones", async () => {
    const registry = net.connect(validator(0)).validators
    const certified = (height: number) => {
      const header = { ...headerStub(), height }
      return { header, round: 0, validatorSet: net.validatorSet, precommits: net.precommit(header, 0) }
    }
    const { anchor } = net.connect(chain.wallet(0))
    await registry.advanceEpoch()
    await anchor.anchor(certified(40))
    const [resultHash, jobId] = [randomHash(), randomHash()]
    const block = blockAt(41, jobId, randomHash(), resultHash, 1)
    const { signers } = await anchorBlock(block)
    expect(await anchor.verifyResult(jobId, resultHash, 1, proofFor(block, 0, signers))).toBe(true)
    // Two changes on, the epoch-1 set has left the window even though no time passed.
    await registry.advanceEpoch()
    expect(await registry.anchorableSetHash(net.epoch)).toBe(ZERO_HASH)
    await expectRevert(anchor.anchor(certified(42)), 'StaleEpoch')
    // Proofs of blocks anchored under either epoch keep verifying.
    expect(await anchor.verifyResult(jobId, resultHash, 1, proofFor(block, 0, signers))).toBe(true)
  })

  it('refuses a replayed certificate and a second block at an anchored height', async () => {
    const header = { ...headerStub(), height: 9 }
    const call = { header, round: 0, validatorSet: net.validatorSet, precommits: net.precommit(header, 0) }
    const { anchor } = net.connect(chain.wallet(0))
    await anchor.anchor(call)
    await expectRevert(anchor.anchor(call), 'HeightAlreadyAnchored')
    const other = { ...header, resultsRoot: randomHash() }
    const second = { ...call, header: other, precommits: net.precommit(other, 1) }
    await expectRevert(anchor.anchor({ ...second, round: 1 }), 'HeightAlreadyAnchored')
  })

  it("refuses to anchor another root under a block's certificate", async () => {
    const header = { ...headerStub(), height: 10 }
    const precommits = net.precommit(header, 0)
    const forged = { ...header, resultsRoot: randomHash() }
    const { anchor } = net.connect(chain.wallet(0))
    await expectRevert(
      anchor.anchor({ header: forged, round: 0, validatorSet: net.validatorSet, precommits }),
      'WrongSigner',
    )
  })

  it('refuses forged Merkle proofs', async () => {
    const [jobA, jobB, resultHash] = [randomHash(), randomHash(), randomHash()]
    const block = blockAt(11, jobA, jobB, resultHash, 500_000)
    const { signers } = await anchorBlock(block)
    const { anchor } = net.connect(chain.wallet(0))
    const proof = proofFor(block, 0, signers)
    expect(await anchor.verifyResult(jobA, resultHash, 500_001, proof)).toBe(false)
    expect(await anchor.verifyResult(jobA, randomHash(), 500_000, proof)).toBe(false)
    expect(await anchor.verifyResult(jobB, resultHash, 500_000, proof)).toBe(false)
    expect(await anchor.verifyResult(jobA, resultHash, 500_000, { ...proof, path: [randomHash()] })).toBe(
      false,
    )
    expect(await anchor.verifyResult(jobA, resultHash, 500_000, { ...proof, signers: 1n })).toBe(false)
    expect(await anchor.verifyResult(jobA, resultHash, 500_000, { ...proof, height: 12 })).toBe(false)
    // A failed job cannot be passed off as a result, nor a result as a failure.
    expect(await anchor.verifyFailure(jobA, proof)).toBe(false)
  })
})

const price = ETH / 10n

/** A job escrowing `escrow` (the vault's price by default) that pays for a score of at least `minQuality`. */
async function openJob(
  minQuality = 0,
  escrow = price,
): Promise<{ jobId: Hex32; vaultId: Hex32; expiresAt: bigint }> {
  const vaultId = randomHash()
  await net
    .connect(owner())
    .vaults.register(vaultId, { manifestHash: vaultId, policyHash: randomHash(), price })
  const jobId = randomHash()
  const now = BigInt((await chain.provider.getBlock('latest'))!.timestamp)
  const expiresAt = now + 7200n
  await net.connect(buyer()).market.openJob(jobId, vaultId, expiresAt, escrow, minQuality)
  return { jobId, vaultId, expiresAt }
}

/** The closing of a job at `price` paid in `receipt`, its block anchored by all four validators. */
function paidByAllFour(receipt: { hash: string; blockNumber: number }) {
  const each = (price * 2000n) / 10_000n / 4n
  return {
    status: 'paid',
    txHash: receipt.hash,
    blockNumber: receipt.blockNumber,
    owner: owner().address.toLowerCase(),
    ownerAmount: price - 4n * each,
    perValidator: each,
  }
}

/** Two escrowed jobs and an anchored block at `height` that releases the first and fails the second. */
async function anchoredPair(height: number, qualityScore: number) {
  const released = await openJob()
  const failed = await openJob()
  const resultHash = randomHash()
  const block = blockAt(height, released.jobId, failed.jobId, resultHash, qualityScore)
  const { signers } = await anchorBlock(block)
  return { released, failed, resultHash, block, signers }
}

describe('JobMarket', () => {
  it('pays the vault owner and the certifying validators once', async () => {
    const { jobId } = await openJob()
    const resultHash = randomHash()
    const block = blockAt(20, jobId, randomHash(), resultHash, 750_000)
    // Only validators 0..2 precommit: validator 3 must get nothing.
    const header = blockHeader(block)
    const precommits = net.precommit(header, 0, net.validatorKeys.slice(0, 3))
    await net
      .connect(chain.wallet(0))
      .anchor.anchor({ header, round: 0, validatorSet: net.validatorSet, precommits })
    const proof = proofFor(block, 0, precommitBitmap(net.validatorSet, precommits).signers)

    const market = net.connect(reporter()).market
    await market.settle(jobId, resultHash, 750_000, proof)
    expect((await market.job(jobId)).status).toBe('paid')
    const validatorShare = (price * 2000n) / 10_000n / 3n
    for (const p of precommits) expect(await market.balance(p.validator)).toBe(validatorShare)
    const absent = createEip712ConsensusSigner({
      privateKey: net.validatorKeys[3]!,
      domain: net.domain,
      epoch: 1,
    })
    expect(await market.balance(absent.address)).toBe(0n)
    expect(await market.balance(owner().address.toLowerCase() as Hex32)).toBe(price - 3n * validatorShare)

    await expectRevert(market.settle(jobId, resultHash, 750_000, proof), 'JobNotOpen')
    await chain.provider.send('evm_increaseTime', [8000])
    await expectRevert(market.refundExpired(jobId), 'JobNotOpen')

    const before = await chain.provider.getBalance(owner().address)
    const receipt = await net.connect(owner()).market.withdraw()
    const after = await chain.provider.getBalance(owner().address)
    expect(after - before + receipt.gasUsed * receipt.gasPrice).toBe(price - 3n * validatorShare)
    await expectRevert(net.connect(owner()).market.withdraw(), 'NothingToWithdraw')
  })

  it('refuses settlement on a forged proof', async () => {
    const { jobId } = await openJob()
    const resultHash = randomHash()
    const block = blockAt(21, jobId, randomHash(), resultHash, 10)
    const { signers } = await anchorBlock(block)
    const market = net.connect(buyer()).market
    await expectRevert(market.settle(jobId, resultHash, 11, proofFor(block, 0, signers)), 'InvalidProof')
    await expectRevert(market.refundFailed(jobId, proofFor(block, 0, signers)), 'InvalidProof')
  })

  it('refunds only after expiry and the settlement grace, and only once', async () => {
    const { jobId } = await openJob()
    const market = net.connect(buyer()).market
    await expectRevert(market.refundExpired(jobId), 'NotExpired')
    await chain.provider.send('evm_increaseTime', [7300])
    await expectRevert(market.refundExpired(jobId), 'NotExpired')
    await chain.provider.send('evm_increaseTime', [Number(await market.settlementGrace())])
    await market.refundExpired(jobId)
    expect(await market.balance(buyer().address.toLowerCase() as Hex32)).toBe(price)
    await expectRevert(market.refundExpired(jobId), 'JobNotOpen')
  })

  it('lets a release proven after expiry, within the grace, beat the refund', async () => {
    const { jobId, vaultId, expiresAt } = await openJob()
    const market = net.connect(buyer()).market
    expect(await market.escrowOf(jobId)).toEqual({
      vaultId,
      buyer: buyer().address.toLowerCase(),
      amount: price,
      expiresAt,
      status: 'open',
      minQuality: 0,
      evaluationFee: (price * 2000n) / 10_000n,
    })
    await chain.provider.send('evm_increaseTime', [7300])
    const resultHash = randomHash()
    const block = blockAt(23, jobId, randomHash(), resultHash, 1)
    const { signers } = await anchorBlock(block)
    await expectRevert(market.refundExpired(jobId), 'NotExpired')
    const receipt = await net
      .connect(reporter())
      .market.settle(jobId, resultHash, 1, proofFor(block, 0, signers))
    expect(await market.closing(jobId, receipt.blockNumber)).toEqual(paidByAllFour(receipt))
    await chain.provider.send('evm_increaseTime', [Number(await market.settlementGrace())])
    await expectRevert(market.refundExpired(jobId), 'JobNotOpen')
    expect(await market.balance(buyer().address.toLowerCase() as Hex32)).toBe(0n)
  })

  it('refunds a job the network failed, before expiry', async () => {
    const { jobId } = await openJob()
    const block = blockAt(22, randomHash(), jobId, randomHash(), 1)
    const { signers } = await anchorBlock(block)
    const market = net.connect(buyer()).market
    const receipt = await market.refundFailed(jobId, proofFor(block, 1, signers))
    expect((await market.job(jobId)).status).toBe('refunded')
    expect(await market.closing(jobId)).toEqual({
      status: 'refunded',
      txHash: receipt.hash,
      blockNumber: receipt.blockNumber,
      buyer: buyer().address.toLowerCase(),
      amount: price,
    })
  })

  it('settles a block at once: a release paid and a failure refunded in one transaction, as one by one', async () => {
    const { released, failed, resultHash, block, signers } = await anchoredPair(24, 750_000)
    const market = net.connect(reporter()).market
    const receipt = await market.settleMany([
      {
        kind: 'released',
        jobId: released.jobId,
        resultHash,
        qualityScore: 750_000,
        proof: proofFor(block, 0, signers),
      },
      { kind: 'failed', jobId: failed.jobId, proof: proofFor(block, 1, signers) },
    ])
    const closed = market.closingsIn(receipt)
    expect(closed.get(released.jobId)).toEqual(paidByAllFour(receipt))
    expect(closed.get(failed.jobId)).toEqual(await market.closing(failed.jobId))
    expect(closed.get(failed.jobId)).toMatchObject({
      status: 'refunded',
      txHash: receipt.hash,
      amount: price,
    })
    expect(await market.balance(owner().address.toLowerCase() as Hex32)).toBe(
      paidByAllFour(receipt).ownerAmount,
    )
    expect(await market.balance(buyer().address.toLowerCase() as Hex32)).toBe(price)
  })

  it('pays a job listed twice, or settled already, once: settleMany skips an escrow that is not open', async () => {
    const { jobId } = await openJob()
    const resultHash = randomHash()
    const block = blockAt(25, jobId, randomHash(), resultHash, 750_000)
    const { signers } = await anchorBlock(block)
    const outcome = {
      kind: 'released',
      jobId,
      resultHash,
      qualityScore: 750_000,
      proof: proofFor(block, 0, signers),
    } as const
    // A greedy validator lists its block's release twice, then sends it again: one payment.
    const market = net.connect(validator(0)).market
    const twice = await market.settleMany([outcome, outcome])
    expect(market.closingsIn(twice).size).toBe(1)
    const each = (price * 2000n) / 10_000n / 4n
    const ownerBalance = () => market.balance(owner().address.toLowerCase() as Hex32)
    expect(await ownerBalance()).toBe(price - 4n * each)
    const again = await market.settleMany([outcome])
    expect(market.closingsIn(again).size).toBe(0)
    await expectRevert(market.settle(jobId, resultHash, 750_000, outcome.proof), 'JobNotOpen')
    expect(await ownerBalance()).toBe(price - 4n * each)
    expect(await market.balance(validator(0).address.toLowerCase() as Hex32)).toBe(each)
  })

  it('refuses a batch with one forged outcome whole: nothing in it closes', async () => {
    const { released, failed, resultHash, block, signers } = await anchoredPair(26, 400_000)
    const market = net.connect(buyer()).market
    await expectRevert(
      market.settleMany([
        { kind: 'failed', jobId: failed.jobId, proof: proofFor(block, 1, signers) },
        // the buyer raises nothing but lowers the score it pays for: refused
        {
          kind: 'released',
          jobId: released.jobId,
          resultHash,
          qualityScore: 1,
          proof: proofFor(block, 0, signers),
        },
      ]),
      'InvalidProof',
    )
    expect((await market.job(released.jobId)).status).toBe('open')
    expect((await market.job(failed.jobId)).status).toBe('open')
  })

  it('refuses escrow below the price, short expiries, minimums above a score of 1 and inactive vaults', async () => {
    const vaultId = randomHash()
    const vaults = net.connect(owner()).vaults
    await vaults.register(vaultId, { manifestHash: vaultId, policyHash: randomHash(), price })
    const now = BigInt((await chain.provider.getBlock('latest'))!.timestamp)
    const market = net.connect(buyer()).market
    await expectRevert(market.openJob(randomHash(), vaultId, now + 7200n, price - 1n), 'EscrowBelowPrice')
    await expectRevert(market.openJob(randomHash(), vaultId, now + 60n, price), 'ExpiryTooSoon')
    await expectRevert(
      market.openJob(randomHash(), vaultId, now + 7200n, price, 1_000_001),
      'MinQualityOutOfRange',
    )
    await expectRevert(net.connect(buyer()).vaults.deactivate(vaultId), 'NotVaultOwner')
    await vaults.deactivate(vaultId)
    await expectRevert(market.openJob(randomHash(), vaultId, now + 7200n, price), 'VaultInactive')
  })
})

/**
 * Finding: JobMarket recorded the least quality score a buyer pays for, and settle paid the owner in
 * full whatever the certified score. These tests hold the contract to settlement by score: below the
 * minimum the buyer is refunded less the validators' evaluation fee (their share of a paid job), the
 * owner gets nothing, and no party can change which happens.
 */
describe('JobMarket: settlement by the certified quality score', () => {
  const fee = (escrow: bigint) => (escrow * 2000n) / 10_000n
  const addr = (w: { address: string }) => w.address.toLowerCase() as Hex32

  /** Anchors a block releasing `jobId` with `score`, precommitted by the first `signers` validators. */
  async function release(jobId: Hex32, score: number, height: number, signers = 4) {
    const resultHash = randomHash()
    const block = blockAt(height, jobId, randomHash(), resultHash, score)
    const header = blockHeader(block)
    const precommits = net.precommit(header, 0, net.validatorKeys.slice(0, signers))
    await net
      .connect(chain.wallet(0))
      .anchor.anchor({ header, round: 0, validatorSet: net.validatorSet, precommits })
    const bitmap = precommitBitmap(net.validatorSet, precommits).signers
    return { resultHash, block, proof: proofFor(block, 0, bitmap), precommits }
  }

  it('refunds the buyer less the evaluation fee when the certified score is below the minimum', async () => {
    const { jobId } = await openJob(900_000)
    expect(await net.connect(buyer()).market.escrowOf(jobId)).toMatchObject({
      minQuality: 900_000,
      evaluationFee: fee(price),
    })
    const { resultHash, proof, precommits } = await release(jobId, 500_000, 30, 3)
    const market = net.connect(reporter()).market
    await market.settle(jobId, resultHash, 500_000, proof)
    const each = fee(price) / 3n
    expect(await market.balance(addr(owner()))).toBe(0n)
    for (const p of precommits) expect(await market.balance(p.validator)).toBe(each)
    expect(await market.balance(addr(buyer()))).toBe(price - 3n * each)
    expect((await market.job(jobId)).status).toBe('rejected')
    expect(await market.closing(jobId)).toMatchObject({
      status: 'rejected',
      qualityScore: 500_000,
      minQuality: 900_000,
      buyer: addr(buyer()),
      refund: price - 3n * each,
      perValidator: each,
    })
  })

  it('refuses a forged score, above or below the minimum, from anyone', async () => {
    const { jobId } = await openJob(900_000)
    const { resultHash, proof } = await release(jobId, 500_000, 31)
    // The owner claims the minimum was reached; the buyer claims a worse score: the leaf says 500,000.
    await expectRevert(net.connect(owner()).market.settle(jobId, resultHash, 900_000, proof), 'InvalidProof')
    await expectRevert(
      net.connect(owner()).market.settle(jobId, resultHash, 1_000_000, proof),
      'InvalidProof',
    )
    await expectRevert(net.connect(buyer()).market.settle(jobId, resultHash, 0, proof), 'InvalidProof')
    expect((await net.connect(buyer()).market.job(jobId)).status).toBe('open')
  })

  it('gives a buyer no full refund of a below-minimum job: the fee is paid whatever it tries', async () => {
    const { jobId } = await openJob(900_000)
    const { resultHash, proof } = await release(jobId, 899_999, 32)
    const market = net.connect(buyer()).market
    // A release is not a failure, and the escrow is not expired.
    await expectRevert(market.refundFailed(jobId, proof), 'InvalidProof')
    await expectRevert(market.refundExpired(jobId), 'NotExpired')
    await market.settle(jobId, resultHash, 899_999, proof)
    await chain.provider.send('evm_increaseTime', [7200 + Number(await market.settlementGrace()) + 1])
    await expectRevert(market.refundExpired(jobId), 'JobNotOpen')
    await expectRevert(market.settle(jobId, resultHash, 899_999, proof), 'JobNotOpen')
    expect(await market.balance(addr(buyer()))).toBe(price - fee(price))
  })

  it('pays out an escrow to the wei, paid or rejected, whatever the rounding', async () => {
    const escrow = price + 7n
    const { jobId: paid } = await openJob(500_000, escrow)
    const { jobId: rejected } = await openJob(500_000, escrow)
    const a = await release(paid, 500_000, 33, 3)
    const b = await release(rejected, 499_999, 34, 3)
    const market = net.connect(reporter()).market
    await market.settle(paid, a.resultHash, 500_000, a.proof)
    await market.settle(rejected, b.resultHash, 499_999, b.proof)
    const each = fee(escrow) / 3n
    expect(await market.balance(addr(owner()))).toBe(escrow - 3n * each)
    expect(await market.balance(addr(buyer()))).toBe(escrow - 3n * each)
    for (const p of a.precommits) expect(await market.balance(p.validator)).toBe(2n * each)
    const credited = [owner(), buyer()].map((w) => market.balance(addr(w)))
    const validators = a.precommits.map((p) => market.balance(p.validator))
    const total = (await Promise.all([...credited, ...validators])).reduce((x, y) => x + y, 0n)
    expect(total).toBe(2n * escrow)
    expect(await chain.provider.getBalance(market.address)).toBeGreaterThanOrEqual(2n * escrow)
  })

  it('pays a job with no minimum as before, whatever its score', async () => {
    const { jobId } = await openJob(0)
    const { resultHash, proof } = await release(jobId, 0, 35)
    const market = net.connect(reporter()).market
    await market.settle(jobId, resultHash, 0, proof)
    const each = fee(price) / 4n
    expect((await market.job(jobId)).status).toBe('paid')
    expect(await market.balance(addr(owner()))).toBe(price - 4n * each)
    expect(await market.balance(addr(buyer()))).toBe(0n)
  })

  it('pays a job whose score equals the minimum', async () => {
    const { jobId } = await openJob(1_000_000)
    const { resultHash, proof } = await release(jobId, 1_000_000, 36)
    await net.connect(reporter()).market.settle(jobId, resultHash, 1_000_000, proof)
    expect((await net.connect(reporter()).market.job(jobId)).status).toBe('paid')
  })
})

describe('VaultRegistry', () => {
  it('registers, updates and deactivates a vault for its owner only', async () => {
    const vaultId = randomHash()
    const vaults = net.connect(owner()).vaults
    const terms = { manifestHash: vaultId, policyHash: randomHash(), price: 5n }
    await vaults.register(vaultId, terms)
    await expectRevert(net.connect(buyer()).vaults.register(vaultId, terms), 'VaultExists')
    await expectRevert(net.connect(buyer()).vaults.update(vaultId, { ...terms, price: 0n }), 'NotVaultOwner')
    await vaults.update(vaultId, { ...terms, price: 9n })
    expect(await vaults.vault(vaultId)).toMatchObject({
      owner: owner().address.toLowerCase(),
      active: true,
      price: 9n,
    })
    await vaults.deactivate(vaultId)
    expect((await vaults.vault(vaultId)).active).toBe(false)
    await expectRevert(vaults.update(vaultId, terms), 'VaultInactive')
  })
})

describe('ValidatorRegistry', () => {
  const evidenceVote = (key: Hex32, type: 'prevote' | 'precommit', round: number, valueId: Hex32 | null) => {
    const signer = createEip712ConsensusSigner({ privateKey: key, domain: net.domain, epoch: net.epoch })
    return signer.signVote({ type, height: 30, round, valueId, validator: signer.address })
  }

  it('slashes a validator that signed two blocks in one round', async () => {
    const key = net.validatorKeys[2]!
    const registry = net.connect(reporter()).validators
    const evidence = {
      version: 1 as const,
      epoch: net.epoch,
      first: evidenceVote(key, 'precommit', 2, randomHash()),
      second: evidenceVote(key, 'precommit', 2, null),
    }
    const before = await chain.provider.getBalance(reporter().address)
    const receipt = await registry.slashDuplicateVote(evidence)
    const after = await chain.provider.getBalance(reporter().address)
    expect(after - before + receipt.gasUsed * receipt.gasPrice).toBe(ETH / 10n)
    expect((await registry.validator(evidence.first.vote.validator)).stake).toBe(0n)
    await expectRevert(registry.slashDuplicateVote(evidence), 'NothingToSlash')
    // Everything but the reward stays locked in the registry: burnt.
    expect(await chain.provider.getBalance(registry.address)).toBe(4n * ETH - ETH / 10n)
    // The equivocator can no longer coordinate epochs, and its stake no longer counts from the next one.
    await expectRevert(net.connect(validator(2)).validators.advanceEpoch(), 'NotCurrentValidator')
    await net.connect(validator(0)).validators.advanceEpoch()
    expect(await registry.epochSet(await registry.currentEpoch())).toHaveLength(3)
  })

  it('lets only the genesis caller start epoch 1, then only staked members of the current set', async () => {
    const fresh = await deployAll(chain.wallet(0))
    const registryOf = (w: Wallet) => connectValidatorRegistry(fresh.validatorRegistry, w)
    await (await chain.wallet(0).sendTransaction({ to: validator(0).address, value: 2n * ETH })).wait()
    await registryOf(validator(0)).register(ETH)
    await expectRevert(registryOf(reporter()).advanceEpoch(), 'NotGenesisCaller')
    await expectRevert(registryOf(validator(0)).advanceEpoch(), 'NotGenesisCaller')
    await registryOf(chain.wallet(0)).advanceEpoch()
    await expectRevert(registryOf(chain.wallet(0)).advanceEpoch(), 'NotCurrentValidator')
    await expectRevert(registryOf(reporter()).advanceEpoch(), 'NotCurrentValidator')
    await registryOf(validator(0)).advanceEpoch()
    expect(await registryOf(reporter()).currentEpoch()).toBe(2)
  })

  it('refuses evidence of votes that do not conflict', async () => {
    const [key, otherKey] = [net.validatorKeys[0]!, net.validatorKeys[1]!]
    const registry = net.connect(reporter()).validators
    const block = randomHash()
    const slash = (first: ReturnType<typeof evidenceVote>, second: ReturnType<typeof evidenceVote>) =>
      registry.slashDuplicateVote({ version: 1, epoch: net.epoch, first, second })
    const same = evidenceVote(key, 'prevote', 0, block)
    await expectRevert(slash(same, evidenceVote(key, 'prevote', 0, block)), 'VotesDoNotConflict')
    await expectRevert(slash(same, evidenceVote(key, 'prevote', 1, randomHash())), 'VotesDoNotConflict')
    await expectRevert(slash(same, evidenceVote(key, 'precommit', 0, randomHash())), 'VotesDoNotConflict')
    await expectRevert(slash(same, evidenceVote(otherKey, 'prevote', 0, randomHash())), 'InvalidSignature')
    expect((await registry.validator(same.vote.validator)).stake).toBe(ETH)
  })

  it('releases stake only after unbonding and once out of the current set', async () => {
    const wallet = new Wallet(net.validatorKeys[1]!, chain.provider)
    const mine = net.connect(wallet).validators
    await expectRevert(mine.withdraw(), 'StillBonded')
    await mine.beginUnbonding()
    await chain.provider.send('evm_increaseTime', [Number(await mine.unbondingPeriod()) + 1])
    // Still a member of the current epoch: its precommits would still count.
    await expectRevert(mine.withdraw(), 'StillBonded')
    await mine.advanceEpoch()
    // Nor while the Anchor still takes certificates of the epoch it was in.
    await expectRevert(mine.withdraw(), 'StillBonded')
    await chain.provider.send('evm_increaseTime', [Number(await mine.anchorGracePeriod()) + 1])
    await mine.withdraw()
    expect((await mine.validator(wallet.address.toLowerCase() as Hex32)).registered).toBe(false)
  })
})
