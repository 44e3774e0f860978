import { randomBytes } from 'node:crypto'
import {
  DEV_PRIVATE_KEYS,
  type DevChain,
  type Hex32,
  type Release,
  signRelease,
  type TestNetwork,
  toHex,
} from '../../../protocol/index.ts'

export const randomHash = (): Hex32 => toHex(randomBytes(32))

/**
 * Dev account 1 registers a fresh vault at `price`; dev account 2 escrows a job on it for two hours,
 * paying only for a quality score of at least `minQuality` (fixed point).
 */
export async function openEscrow(
  chain: DevChain,
  net: TestNetwork,
  price: bigint,
  minQuality = 0,
): Promise<{ jobId: Hex32; vaultId: Hex32; expiresAt: bigint; now: bigint }> {
  const vaultId = randomHash()
  await net.connect(chain.wallet(1)).vaults.register(vaultId, {
    manifestHash: vaultId,
    policyHash: randomHash(),
    price,
  })
  const jobId = randomHash()
  const now = BigInt((await chain.provider.getBlock('latest'))!.timestamp)
  const expiresAt = now + 7200n
  await net.connect(chain.wallet(2)).market.openJob(jobId, vaultId, expiresAt, price, minQuality)
  return { jobId, vaultId, expiresAt, now }
}

/** The vault owner's (dev account 1) release of a made-up result of `jobId`. */
export const releaseOf = (net: TestNetwork, jobId: Hex32, qualityScore: number): Release =>
  signRelease(net.domain, DEV_PRIVATE_KEYS[1], {
    jobId,
    resultHash: randomHash(),
    qualityScore,
    components: { sampleSize: 1e6, completeness: 1e6, plausibility: 1e6, fitness: 1e6 },
    sealedHash: randomHash(),
  })

/** Polls until `probe` gives a value. */
export async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
