import { afterEach, describe, expect, it } from 'vitest'
import { DEV_CHAIN_ID } from '../../protocol/index.ts'
import { connectChain, RECEIPT_POLL_MS } from './chain.ts'
import { nodeSdkTransport } from './node-transport.ts'
import { fetchTransport, useSdkTransport } from './transport.ts'
import type { ChainInfo } from './types.ts'

afterEach(() => useSdkTransport(fetchTransport))

const ZERO = `0x${'0'.repeat(40)}` as ChainInfo['addresses']['anchor']
const info: ChainInfo = {
  chainId: DEV_CHAIN_ID,
  // Nothing listens here: connecting makes no call, and this test makes none.
  rpcUrl: 'http://127.0.0.1:9',
  addresses: { validatorRegistry: ZERO, vaultRegistry: ZERO, jobMarket: ZERO, anchor: ZERO },
}

describe("the SDK's chain connection", () => {
  for (const transport of [fetchTransport, nodeSdkTransport()]) {
    it(`looks for a missing receipt every ${RECEIPT_POLL_MS} ms, not ethers' 4 s (${transport.name})`, () => {
      useSdkTransport(transport)
      const chain = connectChain(info, undefined)
      try {
        expect(chain.provider.pollingInterval).toBe(RECEIPT_POLL_MS)
      } finally {
        chain.provider.destroy()
      }
    })
  }
})
