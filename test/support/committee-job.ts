import { randomBytes } from 'node:crypto'
import type { HeldShare } from '../../node/threshold/keyring.ts'
import { type MemberOpening, releaseKey, statOpenings } from '../../node/threshold/release-shares.ts'
import {
  addressOfPrivateKey,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  toHex,
} from '../../protocol/index.ts'
import { rotateAndSumSteps } from '../../sandbox/he/profiles.ts'
import {
  type AlgorithmSpec,
  type Circuit,
  compile,
  encodePoly,
  evaluateCircuit,
  heContext,
  loadEvaluationKeys,
  unpackSlots,
  type VaultManifest,
} from '../../sandbox/index.ts'
import {
  committeeEvaluationKeys,
  decryptWith,
  type TestCommittee,
  testCommittee,
} from '../../sandbox/testing/threshold-committee.ts'
import { thresholdVault } from '../../sandbox/testing/threshold-vault.ts'
import type { Policy } from '../../sandbox/vault/policy.ts'
import type { VaultSchema } from '../../sandbox/vault/schema.ts'

/**
 * A committee vault in one process, on real SEAL: a 4-member test committee (real DKG maths, CKG,
 * RKG, RTG), a vault encrypted under its collective key, and jobs evaluated with its keys exactly
 * as a validator does. The oracle (the collective secret no party holds) gives the exact stats.
 */
export interface CommitteeJobHarness {
  readonly tc: TestCommittee
  readonly manifest: VaultManifest
  readonly keyHash: Hex32
  readonly domain: Eip712Domain
  readonly validatorKeys: readonly Hex32[]
  /** member i + 1's validator address, lowercase */
  readonly members: readonly Hex32[]
  /**
   * the certified result of a spec, per statistic: the ciphertext that holds it and its coefficient
   * there (integer-mask packs share a ciphertext), as a releaser reads them; and the oracle's exact
   * stats
   */
  evaluate(spec: AlgorithmSpec): {
    circuit: Circuit
    cts: readonly Uint8Array[]
    coefficients: readonly number[]
    results: Uint8Array[]
    oracle: number[]
  }
  /** member m's key as its keyring holds it */
  held(member: number): HeldShare
  /** what member m opens a certified result with, as its releaser assembles it */
  opening(
    member: number,
    jobId: Hex32,
    resultHash: Hex32,
    stats: readonly Uint8Array[],
    coefficients: readonly number[],
  ): MemberOpening
}

export async function committeeJobHarness(
  csv: string,
  schema: VaultSchema,
  policy: Policy,
  label: string,
): Promise<CommitteeJobHarness> {
  const ctx = await heContext('ckks-8192')
  const tc = testCommittee(ctx, 4, label)
  const keyHash = `0x${randomBytes(32).toString('hex')}` as Hex32
  const evk = committeeEvaluationKeys(tc, rotateAndSumSteps(ctx.profile.slotCount))
  const vault = await thresholdVault(tc, csv, schema, policy, evk, { mode: 'committee', epoch: 1, keyHash })
  const manifest = vault.manifest
  const validatorKeys = Array.from({ length: 4 }, generatePrivateKey)
  const domain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'11'.repeat(20)}` }
  const held = (member: number): HeldShare => ({
    keyHash,
    member,
    share: toHex(encodePoly(tc.keys[member - 1]!.share)),
  })
  return {
    tc,
    manifest,
    keyHash,
    domain,
    validatorKeys,
    members: validatorKeys.map((k) => addressOfPrivateKey(k).toLowerCase() as Hex32),
    evaluate(spec) {
      const circuit = compile(spec, manifest)
      const keys = loadEvaluationKeys(
        ctx,
        {
          relinKeys: vault.blobs.get(manifest.keys.relinKeys)!,
          galoisKeys: vault.blobs.get(manifest.keys.galoisKeys)!,
        },
        manifest.keys,
      )
      const sk = tc.collectiveSecretKey()
      try {
        const results = evaluateCircuit(ctx, keys, {
          circuit,
          columns: new Map(manifest.columns.map((c) => [c.name, c.chunks])),
          chunkCount: manifest.chunkCount,
          readBlob: (id) => vault.blobs.get(id as Hex32)!,
        })
        const oracle: number[] = new Array<number>(circuit.stats.length).fill(Number.NaN)
        results.forEach((ct, i) => {
          unpackSlots(circuit.packs[i]!, decryptWith(ctx, sk, ct), oracle)
        })
        const at = statOpenings(results, circuit.packs, circuit.stats.length, ctx.profile.slotCount)
        return { circuit, cts: at.stats, coefficients: at.coefficients ?? [], results, oracle }
      } finally {
        keys.delete()
        sk.delete()
      }
    },
    held,
    opening: (member, jobId, resultHash, stats, coefficients) => ({
      domain,
      validatorKey: validatorKeys[member - 1]!,
      validator: addressOfPrivateKey(validatorKeys[member - 1]!),
      basis: tc.basis,
      key: releaseKey(tc.basis, held(member), 4, validatorKeys[member - 1]!),
      keyHash,
      jobId,
      resultHash,
      stats,
      coefficients,
    }),
  }
}
