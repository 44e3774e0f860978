import type { Hex32, JobRequest } from '../../protocol/index.ts'
import type { ChainContext } from '../sdk/index.ts'
import { AgentError } from './errors.ts'

/** Least time an escrow must stay locked after the agent seals, by default: to be released, anchored and settled. */
export const DEFAULT_MIN_ESCROW_LOCK_SECONDS = 600
/** Least heights left before a job's deadline when the agent seals, by default: for the release to be decided. */
export const DEFAULT_MIN_DEADLINE_HEIGHTS = 5

/** What every escrow check of a vault reads besides the escrow itself: the same for all its jobs at one moment. */
export interface VaultTerms {
  /** the vault's on-chain price, in wei */
  readonly price: bigint
  /** the chain's time, seconds: its latest block's timestamp */
  readonly chainTime: bigint
}

/** The vault's price and the chain's time, read together. */
export async function readVaultTerms(
  chain: Pick<ChainContext, 'vaults' | 'provider'>,
  vaultId: Hex32,
): Promise<VaultTerms> {
  const [vault, latest] = await Promise.all([chain.vaults.vault(vaultId), chain.provider.getBlock('latest')])
  return { price: vault.price, chainTime: BigInt(latest?.timestamp ?? Math.floor(Date.now() / 1000)) }
}

/**
 * Refuses to seal a result to a buyer unless the job's escrow pays for it: open, bound to this
 * request's vault and buyer, at least the vault's on-chain price, paying for the least quality score
 * the signed spec states (a higher one would let the buyer keep the result unpaid), and locked for `minLockSeconds`
 * more of chain time. Sealing is the moment the buyer gets the result, so past it only the escrow
 * (released, anchored and settled before the buyer may refund it) stands between the owner and an
 * unpaid result.
 *
 * `terms` are the vault's price and the chain's time when the caller read them for several jobs at
 * once (the agent, for the jobs it serves within half a second); read here otherwise.
 */
export async function checkEscrow(
  chain: Pick<ChainContext, 'market' | 'vaults' | 'provider'>,
  jobId: Hex32,
  request: Pick<JobRequest, 'vaultId' | 'buyer'> & {
    /** the least quality score the signed spec pays for, fixed point (sandbox minQualityOf) */
    readonly minQuality: number
  },
  minLockSeconds: number,
  terms: Promise<VaultTerms> = readVaultTerms(chain, request.vaultId),
): Promise<void> {
  const [escrow, { price, chainTime }] = await Promise.all([chain.market.escrowOf(jobId), terms])
  const refuse = (code: 'ESCROW_MISMATCH' | 'ESCROW_EXPIRING', why: string) =>
    new AgentError(code, `job ${jobId}: ${why}`)
  if (escrow.status !== 'open') throw refuse('ESCROW_MISMATCH', `its escrow is ${escrow.status}, not open`)
  if (escrow.vaultId !== request.vaultId)
    throw refuse(
      'ESCROW_MISMATCH',
      `the escrow pays vault ${escrow.vaultId}, the request names ${request.vaultId}`,
    )
  if (escrow.buyer !== request.buyer.toLowerCase())
    throw refuse('ESCROW_MISMATCH', `the escrow is by ${escrow.buyer}, the request by ${request.buyer}`)
  if (escrow.amount < price)
    throw refuse('ESCROW_MISMATCH', `the escrow holds ${escrow.amount} wei, the vault's price is ${price}`)
  if (escrow.minQuality !== request.minQuality)
    throw refuse(
      'ESCROW_MISMATCH',
      `the escrow pays for a quality score of at least ${escrow.minQuality}, the signed spec states ${request.minQuality} (fixed point)`,
    )
  if (escrow.expiresAt < chainTime + BigInt(minLockSeconds)) {
    throw refuse(
      'ESCROW_EXPIRING',
      `the escrow expires at ${escrow.expiresAt}, less than ${minLockSeconds} s after chain time ${chainTime}`,
    )
  }
}
