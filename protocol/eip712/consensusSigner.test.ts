import { secp256k1 } from '@noble/curves/secp256k1.js'
import { Signature, TypedDataEncoder } from 'ethers'
import { describe, expect, it } from 'vitest'
import { type Hex, type Hex32, ZERO_HASH } from '../hex.ts'
import type { Vote } from '../signer.ts'
import { SAMPLE_DOMAIN, SAMPLE_KEYS } from '../testing/samples.ts'
import { createEip712ConsensusSigner, createEip712Verifier, SignerMismatchError } from './consensusSigner.ts'
import { createDigester } from './digests.ts'
import { ethersDomain } from './domain.ts'
import { PROPOSAL_TYPES, VOTE_TYPES } from './structs.ts'

const blockHash: Hex32 = `0x${'ab'.repeat(32)}`
const signer = createEip712ConsensusSigner({ privateKey: SAMPLE_KEYS[0], domain: SAMPLE_DOMAIN, epoch: 3 })
const verifier = createEip712Verifier({ domain: SAMPLE_DOMAIN, epoch: 3 })
const vote = (overrides: Partial<Vote> = {}): Vote => ({
  type: 'precommit',
  height: 10,
  round: 2,
  valueId: blockHash,
  validator: signer.address,
  ...overrides,
})

describe('EIP-712 consensus signing', () => {
  it('hashes votes and proposals exactly as EIP-712 (ethers) does', () => {
    const digester = createDigester(SAMPLE_DOMAIN)
    const domain = ethersDomain(SAMPLE_DOMAIN)
    expect(digester.vote({ type: 'prevote', epoch: 3, height: 10, round: 2, blockHash: null })).toBe(
      TypedDataEncoder.hash(domain, VOTE_TYPES, {
        voteType: 1,
        epoch: 3,
        height: 10,
        round: 2,
        blockHash: ZERO_HASH,
      }),
    )
    expect(digester.proposal({ epoch: 3, height: 10, round: 2, blockHash, validRound: -1 })).toBe(
      TypedDataEncoder.hash(domain, PROPOSAL_TYPES, {
        epoch: 3,
        height: 10,
        round: 2,
        blockHash,
        validRound: -1,
      }),
    )
  })

  it('signs 65-byte r||s||v with v in {27, 28} that verify for the named validator', () => {
    const signed = signer.signVote(vote())
    expect(signed.signature).toMatch(/^0x[0-9a-f]{128}(1b|1c)$/)
    expect(verifier.verifyVote(signed)).toBe(true)
    expect(verifier.verifyVote(signer.signVote(vote({ valueId: null })))).toBe(true)
    const proposal = signer.signProposal({
      height: 10,
      round: 2,
      valueId: blockHash,
      validRound: 1,
      proposer: signer.address,
    })
    expect(verifier.verifyProposal(proposal)).toBe(true)
  })

  it('never lets a prevote pass as a precommit, or a vote move to another height, round, block or epoch', () => {
    const signed = signer.signVote(vote())
    for (const changed of [
      { type: 'prevote' as const },
      { height: 11 },
      { round: 3 },
      { valueId: null },
      {
        validator: createEip712ConsensusSigner({
          privateKey: SAMPLE_KEYS[1],
          domain: SAMPLE_DOMAIN,
          epoch: 3,
        }).address,
      },
    ]) {
      expect(verifier.verifyVote({ ...signed, vote: vote(changed) })).toBe(false)
    }
    expect(createEip712Verifier({ domain: SAMPLE_DOMAIN, epoch: 4 }).verifyVote(signed)).toBe(false)
    const otherChain = createEip712Verifier({ domain: { ...SAMPLE_DOMAIN, chainId: 1n }, epoch: 3 })
    expect(otherChain.verifyVote(signed)).toBe(false)
  })

  it('refuses the malleable high-s twin of a valid signature', () => {
    const signed = signer.signVote(vote())
    const sig = Signature.from(signed.signature)
    const n = secp256k1.Point.CURVE().n
    const highS = `0x${(n - BigInt(sig.s)).toString(16).padStart(64, '0')}`
    const twin: Hex = `0x${sig.r.slice(2)}${highS.slice(2)}${sig.v === 27 ? '1c' : '1b'}`
    expect(verifier.verifyVote({ ...signed, signature: twin })).toBe(false)
  })

  it('answers false, never throws, on garbage off the wire', () => {
    const signed = signer.signVote(vote())
    expect(verifier.verifyVote({ ...signed, signature: '0x1234' })).toBe(false)
    expect(verifier.verifyVote({ ...signed, vote: vote({ height: -1 }) })).toBe(false)
    expect(verifier.verifyVote({ ...signed, vote: vote({ valueId: '0xzz' }) })).toBe(false)
    expect(verifier.verifyVote({ ...signed, signature: `0x${'00'.repeat(64)}1b` })).toBe(false)
  })

  it("refuses to sign for someone else's validator address", () => {
    expect(() => signer.signVote(vote({ validator: `0x${'12'.repeat(20)}` }))).toThrow(SignerMismatchError)
  })
})
