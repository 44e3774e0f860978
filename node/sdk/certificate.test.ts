import { describe, expect, it } from 'vitest'
import { ValidatorSet } from '../../consensus/index.ts'
import {
  addressOfPrivateKey,
  type Block,
  blockHash,
  createEip712ConsensusSigner,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  type ResultCertificate,
  signResultAttestation,
  ZERO_HASH,
} from '../../protocol/index.ts'
import { thrown } from '../../protocol/testing/thrown.ts'
import { verifyCertifiedJob, verifyCertifiedResult, verifyDecidedBlock } from './certificate.ts'
import { ClientError } from './errors.ts'
import type { DecidedBlock } from './types.ts'

const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'11'.repeat(20)}` }
const keys = Array.from({ length: 4 }, generatePrivateKey)
const validators = new ValidatorSet(keys.map((k) => ({ address: addressOfPrivateKey(k), power: 1 })))
const jobId: Hex32 = `0x${'aa'.repeat(32)}`
const resultHash: Hex32 = `0x${'bb'.repeat(32)}`
const execEnvHash: Hex32 = `0x${'cc'.repeat(32)}`
const HEIGHT = 7
const EPOCH = 1

function resultCertificate(signers: readonly Hex32[]): ResultCertificate {
  return {
    jobId,
    resultHash,
    execEnvHash,
    attestations: signers.map((k) => {
      const { validator, signature } = signResultAttestation(domain, k, { jobId, resultHash, execEnvHash })
      return { validator, signature }
    }),
  }
}

import { precommitsFor } from './testing/precommits.ts'

/** A decided block certifying the job, precommitted by `precommitters`. */
function decided(
  options: { precommitters?: readonly Hex32[]; attesters?: readonly Hex32[] } = {},
): DecidedBlock {
  const block: Block = {
    version: 1,
    height: HEIGHT,
    epoch: EPOCH,
    parentHash: ZERO_HASH,
    chainBlock: 0,
    proposer: addressOfPrivateKey(keys[0]!),
    admitted: [],
    certified: [resultCertificate(options.attesters ?? keys.slice(0, 3))],
    released: [],
    failed: [],
  }
  const hash = blockHash(block)
  const precommits = precommitsFor(options.precommitters ?? keys.slice(0, 3), {
    domain,
    epoch: EPOCH,
    height: HEIGHT,
    hash,
  })
  return {
    blockHash: hash,
    block,
    certificate: { version: 1, epoch: EPOCH, height: HEIGHT, round: 0, blockHash: hash, precommits },
  }
}

const expected = { jobId, resultHash, height: HEIGHT }

/** The message of the CERTIFICATE_INVALID refusal `run` throws. */
function certificateRefusal(run: () => unknown): string {
  const error = thrown(ClientError, run)
  expect(error.code).toBe('CERTIFICATE_INVALID')
  return error.message
}

const refusal = (d: DecidedBlock, exp = expected) =>
  certificateRefusal(() => verifyCertifiedResult(d, exp, validators, domain))

describe('the check of a result certificate (buyer and vault agent)', () => {
  it('accepts a block precommitted and attested by more than 2/3 of the stake', () => {
    const certified = verifyCertifiedResult(decided(), expected, validators, domain)
    expect(certified.certificate.resultHash).toBe(resultHash)
    expect(certified.epoch).toBe(EPOCH)
  })

  it('refuses a forged precommit', () => {
    const d = decided()
    const outsider = createEip712ConsensusSigner({ privateKey: generatePrivateKey(), domain, epoch: EPOCH })
    const forged = outsider.signVote({
      type: 'precommit',
      height: HEIGHT,
      round: 0,
      valueId: d.blockHash,
      validator: outsider.address,
    })
    // The outsider's signature passed off as validator 2's.
    const precommits = d.certificate.precommits.map((p, i) =>
      i === 2 ? { ...p, signature: forged.signature } : p,
    )
    expect(refusal({ ...d, certificate: { ...d.certificate, precommits } })).toMatch(/precommits/)
  })

  it('refuses a certificate of 2/3 of the stake, not more', () => {
    expect(refusal(decided({ precommitters: keys.slice(0, 2) }))).toMatch(/precommits/)
  })

  it('refuses a block that does not hash to what the certificate signs', () => {
    const d = decided()
    const block = { ...d.block, parentHash: `0x${'01'.repeat(32)}` as Hex32 }
    expect(refusal({ ...d, block })).toMatch(/hashes to/)
  })

  it('refuses too few result attestations, or another result', () => {
    expect(refusal(decided({ attesters: keys.slice(0, 2) }))).toMatch(/attestations/)
    expect(refusal(decided(), { ...expected, resultHash: `0x${'dd'.repeat(32)}` })).toMatch(/certifies/)
  })

  it('checks a block once for many jobs, and each job against it still', () => {
    const verified = verifyDecidedBlock(decided(), HEIGHT, validators, domain)
    expect(verifyCertifiedJob(verified, expected).certificate.resultHash).toBe(resultHash)
    expect(
      certificateRefusal(() => verifyCertifiedJob(verified, { ...expected, jobId: `0x${'ee'.repeat(32)}` })),
    ).toMatch(/certifies no result/)
    expect(
      certificateRefusal(() =>
        verifyCertifiedJob(verified, { ...expected, resultHash: `0x${'dd'.repeat(32)}` }),
      ),
    ).toMatch(/certifies/)
    expect(
      certificateRefusal(() => verifyCertifiedJob(verified, { ...expected, height: HEIGHT + 1 })),
    ).toMatch(/height/)
    // A block that never went through verifyDecidedBlock, shaped like one that did: refused.
    const forged = { ...verified, block: { ...verified.block, parentHash: `0x${'01'.repeat(32)}` as Hex32 } }
    expect(certificateRefusal(() => verifyCertifiedJob(forged, expected))).toMatch(/not verified/)
  })
})
