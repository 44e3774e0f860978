import { beforeAll, describe, expect, it } from 'vitest'
import {
  addressOfPrivateKey,
  type Block,
  blockHash,
  generatePrivateKey,
  type Hex32,
  jobIdOf,
  type SignedJobRequest,
  signJobRequest,
  signRelease,
  signResultAttestation,
  specHash,
  ZERO_HASH,
} from '../../protocol/index.ts'
import { readManifest, type VaultManifest, vaultIdOf } from '../../sandbox/index.ts'
import { REGRESSION_SPEC, REGRESSION_VAULT } from '../../sandbox/testing/regression.ts'
import { AttestationPool } from './attestation-pool.ts'
import { buildBlock, validateBlock } from './block.ts'
import type { ChainFacts } from './chain-facts.ts'
import { Ledger } from './ledger.ts'
import type { RuleContext } from './rules.ts'
import { paidChain } from './testing/paid-chain.ts'
import { blockFrame, randomHex32, ruleContext, testValidators } from './testing/validator-set.ts'

/**
 * Threshold releases in blocks: a committee vault's job is released by t members' signed score
 * shares, never by its owner.
 */
const net = testValidators()
const { domain, validatorKeys, validators, buyerKey } = net
const ownerKey = generatePrivateKey()
const hex32 = randomHex32

let committeeVault: VaultManifest
beforeAll(async () => {
  const { vaultId: _old, ...rest } = await readManifest(REGRESSION_VAULT)
  const withHolder = { ...rest, keyHolder: { mode: 'committee' as const, epoch: 1, keyHash: hex32() } }
  committeeVault = { ...withHolder, vaultId: vaultIdOf(withHolder) }
})

const chain = (): ChainFacts =>
  paidChain({
    buyer: addressOfPrivateKey(buyerKey),
    vaultId: committeeVault.vaultId as Hex32,
    owner: addressOfPrivateKey(ownerKey).toLowerCase() as Hex32,
  })

const context = (ledger: Ledger, height: number): RuleContext =>
  ruleContext(net, ledger, height, committeeVault, chain())

const frame = (ledger: Ledger) => blockFrame(ledger)

function step(ledger: Ledger, pool: AttestationPool, pending: SignedJobRequest[] = []): Block {
  const block = buildBlock(
    context(ledger, ledger.height + 1),
    frame(ledger),
    validators.validators[0]!.address,
    {
      pending,
      attestations: pool,
      releases: [],
    },
  )
  expect(validateBlock(context(ledger, ledger.height + 1), frame(ledger), block)).toEqual({ ok: true })
  ledger.apply(block, blockHash(block))
  return block
}

/** A committee-vault job admitted and certified in two blocks. */
function certifiedJob(): { ledger: Ledger; jobId: Hex32; resultHash: Hex32 } {
  const ledger = new Ledger(ZERO_HASH)
  const pool = new AttestationPool()
  const signed = signJobRequest(domain, buyerKey, {
    version: 1,
    vaultId: committeeVault.vaultId as Hex32,
    algorithm: { specHash: specHash(REGRESSION_SPEC), spec: REGRESSION_SPEC as never },
    buyer: addressOfPrivateKey(buyerKey),
    maxPrice: '10',
    deadline: 100,
    nonce: hex32(),
    sealingPublicKey: `0x02${'ab'.repeat(32)}`,
  })
  step(ledger, pool, [signed])
  const jobId = jobIdOf(signed.request)
  const resultHash = hex32()
  const execEnvHash = hex32()
  for (const key of validatorKeys.slice(0, 3))
    pool.add(signResultAttestation(domain, key, { jobId, resultHash, execEnvHash }))
  const b2 = step(ledger, pool)
  expect(b2.certified).toHaveLength(1)
  return { ledger, jobId, resultHash }
}

describe('a committee vault is not released by its owner', () => {
  it("refuses the owner's own release and score (the owner holds no key and must not grade its own data)", () => {
    const { ledger, jobId, resultHash } = certifiedJob()
    const release = signRelease(domain, ownerKey, {
      jobId,
      resultHash,
      qualityScore: 1_000_000,
      components: {
        sampleSize: 1_000_000,
        completeness: 1_000_000,
        plausibility: 1_000_000,
        fitness: 1_000_000,
      },
      sealedHash: hex32(),
    })
    const base = buildBlock(
      context(ledger, ledger.height + 1),
      frame(ledger),
      validators.validators[0]!.address,
      {
        pending: [],
        attestations: new AttestationPool(),
        releases: [release],
      },
    )
    expect(base.released).toEqual([])
    const forced = { ...base, released: [release] }
    expect(validateBlock(context(ledger, ledger.height + 1), frame(ledger), forced)).toMatchObject({
      ok: false,
      code: 'COMMITTEE_VAULT',
    })
  })
})
