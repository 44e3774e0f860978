import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'
import { ContractRevertError } from '../chain/transact.ts'
import { type DevChain, startDevChain } from '../devchain/devChain.ts'
import { startTestNetwork, type TestNetwork } from '../devchain/network.ts'

/** A dev chain with the contracts deployed and `validators` staked, for one test file. */
export interface TestChain {
  readonly chain: DevChain
  readonly net: TestNetwork
  /** Runs before the chain stops: clients and providers made on it. */
  onStop(stop: () => unknown): void
}

/**
 * Starts the chain before the file's tests and stops it (and whatever was
 * registered with `onStop`) after them. Read the fields inside tests and hooks
 * only: they exist once `beforeAll` has run. Vitest-only, so it stays in
 * testing/, out of protocol/index.ts, which the CLI loads.
 */
export function useTestChain(options: { readonly validators: number }): TestChain {
  let chain: DevChain | undefined
  let net: TestNetwork | undefined
  const stops: Array<() => unknown> = []
  beforeAll(async () => {
    chain = await startDevChain()
    net = await startTestNetwork(chain, { validators: options.validators })
  })
  afterAll(async () => {
    await Promise.all(stops.map((stop) => stop()))
    await chain?.stop()
  })
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the test chain starts in beforeAll')
    return value
  }
  return {
    get chain() {
      return started(chain)
    },
    get net() {
      return started(net)
    },
    onStop: (stop) => void stops.push(stop),
  }
}

/** Each test starts from the chain state the file's setup left: a snapshot before, a revert after. */
export function revertEachTest(test: TestChain): void {
  let snapshot = ''
  beforeEach(async () => {
    snapshot = await test.chain.provider.send('evm_snapshot', [])
  })
  afterEach(async () => {
    await test.chain.provider.send('evm_revert', [snapshot])
  })
}

/** The promise rejects with a contract revert whose custom error is `reason`. */
export async function expectRevert(promise: Promise<unknown>, reason: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(ContractRevertError)
  expect((error as ContractRevertError).reason).toBe(reason)
}
