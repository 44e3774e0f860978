import * as crypto from 'node:crypto'
import { createRequire } from 'node:module'
import { afterEach, describe, expect, it } from 'vitest'
import { useNativeSealing } from './native-sealing.ts'
import {
  type EcdhBinding,
  generateSealingKey,
  nobleSealing,
  nodeSealing,
  seal,
  sealingEngine,
  unseal,
  useSealingEngine,
} from './sdk/index.ts'

const binding = createRequire(import.meta.url)('secp256k1/bindings') as EcdhBinding

afterEach(() => useSealingEngine(nodeSealing(crypto)))

describe('the native sealing engine', () => {
  it('loads here, and seals what the browser engine opens', () => {
    expect(useNativeSealing()).toEqual({ engine: 'libsecp256k1' })
    expect(sealingEngine().name).toBe('libsecp256k1')
    const buyer = generateSealingKey()
    const text = new TextEncoder().encode('{"n":10000}')
    expect(unseal(seal(text, buyer.publicKey), buyer.privateKey, nobleSealing)).toEqual(text)
  })

  it('stays on node:crypto where the addon disagrees on the probe, or does not load', () => {
    const wrong: EcdhBinding = {
      ...binding,
      ecdh: (point, secret, options, output) => {
        const x = binding.ecdh(point, secret, options, output)
        x[0]! ^= 1
        return x
      },
    }
    expect(useNativeSealing(() => wrong)).toMatchObject({ engine: 'node:crypto', reason: /disagreed/ })
    expect(
      useNativeSealing(() => {
        throw new Error('no prebuild')
      }),
    ).toMatchObject({ engine: 'node:crypto', reason: /did not load: no prebuild/ })
    expect(sealingEngine().name).toBe('node:crypto')
  })
})
