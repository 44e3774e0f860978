import { randomBytes } from 'node:crypto'
import { getAddress, TypedDataEncoder, type TypedDataField } from 'ethers'
import { describe, expect, it } from 'vitest'
import type { Address } from '../hex.ts'
import { type Eip712Domain, ethersDomain } from './domain.ts'
import { flatStructDigest } from './flat-digest.ts'
import * as structs from './structs.ts'

const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'ab'.repeat(20)}` as Address }
const hex = (bytes: number) => `0x${randomBytes(bytes).toString('hex')}`

/** A random value a field of `type` may hold, in the spellings the protocol's messages use. */
function randomValue(type: string, i: number): unknown {
  if (type === 'bytes32') return hex(32)
  if (type === 'address') return hex(20)
  if (type === 'bytes') return hex(i % 40)
  if (type === 'string') return ['', 'dealing', 'résumé ✓', 'x'.repeat(200)][i % 4]
  const bits = Number(type.slice(4))
  const max = (1n << BigInt(bits)) - 1n
  const pick = [0n, 1n, max, max / 3n, BigInt(i)][i % 5]!
  // Numbers where the messages use them (heights, scores), decimal strings for wei.
  return bits <= 53 ? Number(pick) : pick.toString()
}

const ethersDigest = (types: Record<string, TypedDataField[]>, value: Record<string, unknown>) =>
  TypedDataEncoder.hash(ethersDomain(domain), types, value)

/** What ethers makes of a value: its digest, or the fact that it refuses it. */
function ethersAnswer(types: Record<string, TypedDataField[]>, value: Record<string, unknown>): string {
  try {
    return ethersDigest(types, value)
  } catch {
    return 'refused'
  }
}

/** Votes and proposals have their own digester (createDigester); every other struct goes through here. */
const allTypes = Object.entries(structs).filter(
  (e): e is [string, Record<string, TypedDataField[]>] =>
    e[0].endsWith('_TYPES') && e[0] !== 'VOTE_TYPES' && e[0] !== 'PROPOSAL_TYPES',
)

describe('flatStructDigest', () => {
  it('gives ethers digest for every struct the protocol signs, on random and boundary values', () => {
    expect(allTypes.length).toBeGreaterThanOrEqual(7)
    for (const [name, types] of allTypes) {
      const fields = Object.values(types)[0]!
      for (let i = 0; i < 30; i++) {
        const value = Object.fromEntries(fields.map((f) => [f.name, randomValue(f.type, i)]))
        const digest = flatStructDigest(domain, types, value)
        expect(digest, name).toBeDefined()
        expect(digest, `${name} ${JSON.stringify(value)}`).toBe(ethersDigest(types, value))
      }
    }
  })

  it('leaves to ethers whatever it cannot encode with certainty, and ethers decides', () => {
    const types = structs.JOB_REQUEST_TYPES
    const good = Object.fromEntries(types.JobRequest!.map((f) => [f.name, randomValue(f.type, 3)]))
    const checksummed = getAddress(good.buyer as string)
    const odd: Record<string, unknown>[] = [
      { ...good, buyer: checksummed }, // a valid checksum: ethers accepts it
      { ...good, buyer: checksummed.replace(/[a-f]/, (c) => c.toUpperCase()) }, // a broken one: refused
      { ...good, maxPrice: (1n << 256n).toString() }, // out of range
      { ...good, maxPrice: '0x10' }, // another spelling
      { ...good, maxPrice: '007' },
      { ...good, maxPrice: -1 },
      { ...good, deadline: 1.5 },
      { ...good, vaultId: `${good.vaultId}00` },
      { ...good, sealingPublicKey: '0x123' },
      { ...good, extra: 1 },
      Object.fromEntries(Object.entries(good).filter(([k]) => k !== 'nonce')),
    ]
    for (const value of odd) {
      expect(flatStructDigest(domain, types, value), JSON.stringify(value)).toBeUndefined()
    }
    // Through typedDataDigest these reach ethers; the first is the only one it accepts.
    expect(ethersAnswer(types, odd[0]!)).not.toBe('refused')
    expect(ethersAnswer(types, odd[1]!)).toBe('refused')
    expect(ethersAnswer(types, odd[2]!)).toBe('refused')
    const lone = { kind: '\ud800', instanceId: hex(32), bodyHash: hex(32) }
    expect(flatStructDigest(domain, structs.DKG_MESSAGE_TYPES, lone)).toBeUndefined()
  })

  it('leaves nested and array types to ethers', () => {
    const nested = {
      Outer: [{ name: 'inner', type: 'Inner' }],
      Inner: [{ name: 'a', type: 'uint8' }],
    }
    expect(flatStructDigest(domain, nested, { inner: { a: 1 } })).toBeUndefined()
    const array = { List: [{ name: 'xs', type: 'uint8[]' }] }
    expect(flatStructDigest(domain, array, { xs: [1] })).toBeUndefined()
  })
})
