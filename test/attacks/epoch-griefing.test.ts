import { Wallet } from 'ethers'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { decidedBlock } from '../../node/chain/testing/decided.ts'
import {
  ContractRevertError,
  type DevChain,
  startDevChain,
  startTestNetwork,
  type TestNetwork,
} from '../../protocol/index.ts'

// Finding (high): anyone could call ValidatorRegistry.advanceEpoch, and the Anchor accepted only the
// current epoch, so one stranger's call made every block decided before it unanchorable (StaleEpoch)
// and nothing in it could ever be settled.

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

const stranger = () => chain.wallet(3)
const validator = (i: number) => new Wallet(net.validatorKeys[i]!, chain.provider)

async function outcome(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'ok',
    (e: unknown) => (e instanceof ContractRevertError ? e.reason : String(e)),
  )
}

describe('attack: a stranger advances the epoch and strands every decided block', () => {
  it('refuses a stranger’s advanceEpoch', async () => {
    const result = await outcome(net.connect(stranger()).validators.advanceEpoch())
    console.log(`stranger advanceEpoch: ${result}`)
    expect(result).toBe('NotCurrentValidator')
    expect(await net.connect(stranger()).validators.currentEpoch()).toBe(net.epoch)
  })

  it('anchors a block of the previous epoch within the grace window after a legitimate change', async () => {
    // Decided in epoch 1, just before a validator starts epoch 2.
    const decided = decidedBlock(net, 9)
    await net.connect(validator(1)).validators.advanceEpoch()
    const anchor = net.connect(validator(0)).anchor
    const result = await outcome(
      anchor.anchor({
        header: decided.header,
        round: 0,
        validatorSet: net.validatorSet,
        precommits: decided.certificate.precommits,
      }),
    )
    console.log(`anchor of an epoch-${net.epoch} block after the epoch changed: ${result}`)
    expect(result).toBe('ok')
  })
})
