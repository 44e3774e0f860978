import { Wallet } from 'ethers'
import {
  type Block,
  blockHeader,
  type Hex32,
  headerHash,
  type Release,
  type TestNetwork,
} from '../../../protocol/index.ts'
import type { AnchorRequest } from '../chain-client.ts'

/**
 * A block decided at `height` in the network's epoch: proposed by validator `proposer`, failing one
 * job (so its results root is not zero) unless it is given releases or failures, with precommits by
 * `signers` (all validators by default).
 */
export function decidedBlock(
  network: TestNetwork,
  height: number,
  options: {
    proposer?: number
    signers?: readonly number[]
    round?: number
    failed?: readonly Hex32[]
    released?: readonly Release[]
  } = {},
): AnchorRequest {
  const round = options.round ?? 0
  const keys = network.validatorKeys
  const block: Block = {
    version: 1,
    height,
    epoch: network.epoch,
    parentHash: `0x${'00'.repeat(32)}`,
    chainBlock: 0,
    proposer: new Wallet(keys[options.proposer ?? 0]!).address.toLowerCase() as Hex32,
    admitted: [],
    certified: [],
    released: [...(options.released ?? [])],
    failed: [
      ...(options.failed ??
        (options.released === undefined ? [`0x${height.toString(16).padStart(64, '0')}`] : [])),
    ],
  }
  const header = blockHeader(block)
  const signerKeys = (options.signers ?? keys.map((_, i) => i)).map((i) => keys[i]!)
  return {
    header,
    certificate: {
      version: 1,
      epoch: network.epoch,
      height,
      round,
      blockHash: headerHash(header),
      precommits: network.precommit(header, round, signerKeys),
    },
  }
}
