import { randomBytes } from 'node:crypto'
import { type OutcomeProof, precommitBitmap } from '../chain/anchor.ts'
import type { DevChain } from '../devchain/devChain.ts'
import { DEV_PRIVATE_KEYS } from '../devchain/devChain.ts'
import type { TestNetwork } from '../devchain/network.ts'
import { signRelease } from '../eip712/messageSigning.ts'
import { type Hex32, toHex } from '../hex.ts'
import { merkleProof } from '../merkle.ts'
import { type Block, blockHeader, outcomeLeaves } from '../messages/block.ts'

/**
 * Anchors a block at `height` whose one outcome is the release of `jobId` with `resultHash` and
 * `qualityScore`, precommitted by every validator of `net`; returns the outcome proof settle takes.
 */
export async function anchorRelease(
  chain: DevChain,
  net: TestNetwork,
  r: {
    readonly jobId: Hex32
    readonly resultHash: Hex32
    readonly qualityScore: number
    readonly height: number
  },
): Promise<OutcomeProof> {
  const randomHash = (): Hex32 => toHex(randomBytes(32))
  const release = signRelease(net.domain, DEV_PRIVATE_KEYS[1], {
    jobId: r.jobId,
    resultHash: r.resultHash,
    qualityScore: r.qualityScore,
    components: { sampleSize: 1e6, completeness: 1e6, plausibility: 1e6, fitness: 1e6 },
    sealedHash: randomHash(),
  })
  const block: Block = {
    version: 1,
    height: r.height,
    epoch: net.epoch,
    parentHash: randomHash(),
    chainBlock: 0,
    proposer: release.owner,
    admitted: [],
    certified: [],
    released: [release],
    failed: [],
  }
  const header = blockHeader(block)
  const precommits = net.precommit(header, 0)
  await net
    .connect(chain.wallet(0))
    .anchor.anchor({ header, round: 0, validatorSet: net.validatorSet, precommits })
  return {
    height: block.height,
    epoch: block.epoch,
    signers: precommitBitmap(net.validatorSet, precommits).signers,
    path: merkleProof(outcomeLeaves(block), 0),
  }
}
