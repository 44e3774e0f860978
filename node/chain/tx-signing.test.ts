import { randomBytes } from 'node:crypto'
import { hexlify, Transaction, Wallet } from 'ethers'
import { afterEach, describe, expect, it } from 'vitest'
import { type Hex32, nobleEngine, useCurveEngine } from '../../protocol/index.ts'
import { useNativeSecp256k1 } from '../native-secp256k1.ts'
import { signTransaction } from './tx-signing.ts'

afterEach(() => useCurveEngine(nobleEngine))

const random = (n: number) => hexlify(randomBytes(n))

describe('signTransaction', () => {
  it("gives Wallet.signTransaction's bytes and hash, with either curve engine", async () => {
    for (const engine of ['noble', 'native'] as const) {
      if (engine === 'native') expect(useNativeSecp256k1()).toEqual({ engine: 'libsecp256k1' })
      for (let i = 0; i < 12; i++) {
        const key = random(32) as Hex32
        const request = {
          type: 2,
          chainId: BigInt(1 + i * 1000),
          nonce: i * 37,
          to: random(20),
          data: random(i * 50),
          gasLimit: BigInt(21_000 + i * 99_991),
          maxFeePerGas: BigInt(i) * 10n ** 9n + 7n,
          maxPriorityFeePerGas: BigInt(i),
        }
        const wallet = new Wallet(key)
        const expected = await wallet.signTransaction(request)
        const { signed, hash } = signTransaction(key, request)
        expect(signed).toBe(expected)
        const parsed = Transaction.from(signed)
        expect(hash).toBe(parsed.hash)
        expect(parsed.from).toBe(wallet.address)
      }
    }
  })
})
