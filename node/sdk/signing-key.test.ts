import { randomBytes } from 'node:crypto'
import { hexlify, SigningKey, Transaction, Wallet } from 'ethers'
import { afterEach, describe, expect, it } from 'vitest'
import { nobleEngine, useCurveEngine } from '../../protocol/index.ts'
import { useNativeSecp256k1 } from '../native-secp256k1.ts'
import { EngineSigningKey } from './signing-key.ts'

afterEach(() => useCurveEngine(nobleEngine))

describe("the SDK's ethers signing key", () => {
  it("signs as ethers' own key does, on either curve engine", async () => {
    for (const install of [() => useCurveEngine(nobleEngine), () => useNativeSecp256k1()]) {
      install()
      for (let i = 0; i < 10; i++) {
        const key = hexlify(randomBytes(32))
        const digest = hexlify(randomBytes(32))
        expect(new EngineSigningKey(key).sign(digest).serialized).toBe(
          new SigningKey(key).sign(digest).serialized,
        )
        const tx = {
          chainId: 31337n,
          nonce: i,
          to: `0x${'ab'.repeat(20)}`,
          value: 7n,
          gasLimit: 21000n,
          maxFeePerGas: 9n,
          maxPriorityFeePerGas: 1n,
          type: 2,
        }
        const signed = await new Wallet(new EngineSigningKey(key)).signTransaction(tx)
        expect(signed).toBe(await new Wallet(key).signTransaction(tx))
        expect(Transaction.from(signed).from).toBe(new Wallet(key).address)
      }
    }
  })
})
