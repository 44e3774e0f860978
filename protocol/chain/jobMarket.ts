import type { ContractRunner, Interface } from 'ethers'
import { type Address, type Hex32, ZERO_ADDRESS, ZERO_HASH } from '../hex.ts'
import { type OutcomeProof, outcomeProofArg } from './anchor.ts'
import { boundContract } from './transact.ts'

/** JobMarket.Status in declaration order; `rejected`: released below the escrow's minimum quality. */
export const JOB_STATUS = ['none', 'open', 'paid', 'refunded', 'rejected'] as const
export type JobStatus = (typeof JOB_STATUS)[number]

export interface JobRecord {
  readonly buyer: Address
  readonly expiresAt: bigint
  readonly status: JobStatus
  /** The least certified quality score the escrow pays for, fixed point (QUALITY_SCALE); 0 for any. */
  readonly minQuality: number
  readonly vaultId: Hex32
  readonly escrow: bigint
}

/** What JobMarket.escrowOf returns: the terms a job's escrow is bound to. */
export interface EscrowBinding {
  readonly vaultId: Hex32
  readonly buyer: Address
  readonly amount: bigint
  readonly expiresAt: bigint
  readonly status: JobStatus
  /** The least certified quality score the escrow pays for, fixed point (QUALITY_SCALE); 0 for any. */
  readonly minQuality: number
  /** Wei the certifying validators keep of a job released below `minQuality` (their share when paid). */
  readonly evaluationFee: bigint
}

/** How a job's escrow was closed on chain, read back from its JobPaid, JobRejected or JobRefunded event. */
export type EscrowClosing =
  | {
      readonly status: 'paid'
      readonly txHash: Hex32
      readonly blockNumber: number
      /** The zero address when the vault is a pool: the owner share is then held for its contributors. */
      readonly owner: Address
      readonly ownerAmount: bigint
      /** Credited to each validator the anchoring proof named. */
      readonly perValidator: bigint
      /** Set for a pool: `ownerAmount` is held by JobMarket, claimed by the contributors (claimPayout). */
      readonly heldForContributors?: true
    }
  | {
      readonly status: 'rejected'
      readonly txHash: Hex32
      readonly blockNumber: number
      /** The certified score, below the escrow's minimum; both fixed point (QUALITY_SCALE). */
      readonly qualityScore: number
      readonly minQuality: number
      readonly buyer: Address
      /** The escrow less the evaluation fee, credited to the buyer. */
      readonly refund: bigint
      /** Credited to each validator the anchoring proof named. */
      readonly perValidator: bigint
    }
  | {
      readonly status: 'refunded'
      readonly txHash: Hex32
      readonly blockNumber: number
      readonly buyer: Address
      readonly amount: bigint
    }

/** What a settled pool job holds for its contributors (JobMarket.poolHolds). */
export interface PoolHold {
  /** The anchored result hash the job settled with: poolResultHash(bundleHash, payouts). */
  readonly resultHash: Hex32
  /** Wei held: the owner share of the escrow. */
  readonly amount: bigint
  /** Contributions whose contributors have claimed so far, of the snapshot's total. */
  readonly claimedContributions: bigint
}

/** A PoolShareHeld event: settle kept a pool job's owner share for its contributors. */
export interface HeldPoolShare {
  readonly jobId: Hex32
  readonly vaultId: Hex32
  readonly amount: bigint
  readonly blockNumber: number
}

/** A contributor's claim on a pool job: the payouts tree of the job's snapshot and its leaf's proof. */
export interface PayoutClaim {
  readonly jobId: Hex32
  readonly bundleHash: Hex32
  readonly root: Hex32
  readonly total: number
  readonly contributor: Address
  readonly contributions: number
  readonly proof: readonly Hex32[]
}

/** The parts of a log (ethers' Log, or a receipt's) an escrow closing is read from. */
export interface ClosingLog {
  readonly address: string
  readonly topics: readonly string[]
  readonly data: string
  readonly transactionHash: string
  readonly blockNumber: number
}

/** A JobPaid, JobRejected or JobRefunded log as the closing it records; undefined for any other log. */
function closingOfLog(
  iface: Interface,
  log: ClosingLog,
): { readonly jobId: Hex32; readonly closing: EscrowClosing } | undefined {
  const parsed = iface.parseLog({ topics: [...log.topics], data: log.data })
  if (parsed === null) return undefined
  const jobId = (parsed.args.jobId as string).toLowerCase() as Hex32
  const at = { txHash: log.transactionHash as Hex32, blockNumber: log.blockNumber }
  if (parsed.name === 'JobPaid') {
    const owner = (parsed.args.owner as string).toLowerCase() as Address
    return {
      jobId,
      closing: {
        status: 'paid',
        ...at,
        owner,
        ownerAmount: parsed.args.ownerAmount as bigint,
        perValidator: parsed.args.perValidator as bigint,
        // JobPaid names no owner exactly when settle held the owner share for a pool's contributors.
        ...(owner === ZERO_ADDRESS ? { heldForContributors: true as const } : {}),
      },
    }
  }
  if (parsed.name === 'JobRejected') {
    return {
      jobId,
      closing: {
        status: 'rejected',
        ...at,
        qualityScore: Number(parsed.args.qualityScore),
        minQuality: Number(parsed.args.minQuality),
        buyer: (parsed.args.buyer as string).toLowerCase() as Address,
        refund: parsed.args.refund as bigint,
        perValidator: parsed.args.perValidator as bigint,
      },
    }
  }
  if (parsed.name === 'JobRefunded') {
    return {
      jobId,
      closing: {
        status: 'refunded',
        ...at,
        buyer: (parsed.args.buyer as string).toLowerCase() as Address,
        amount: parsed.args.amount as bigint,
      },
    }
  }
  return undefined
}

/** One proven outcome for JobMarket.settleMany: a release with its result, or a failure. */
export type MarketOutcome = {
  readonly jobId: Hex32
  readonly proof: OutcomeProof
} & (
  | { readonly kind: 'released'; readonly resultHash: Hex32; readonly qualityScore: number }
  | { readonly kind: 'failed' }
)

/** JobMarket.Outcome as the ABI takes it. */
export const marketOutcomeArg = (o: MarketOutcome) => ({
  jobId: o.jobId,
  released: o.kind === 'released',
  resultHash: o.kind === 'released' ? o.resultHash : ZERO_HASH,
  qualityScore: o.kind === 'released' ? o.qualityScore : 0,
  proof: outcomeProofArg(o.proof),
})

/** A JobMarket.jobs(jobId) answer, as ethers decodes the struct's fields in declaration order. */
export function jobRecordOf(fields: unknown): JobRecord {
  const [buyer, expiresAt, status, minQuality, vaultId, escrow] = fields as [
    string,
    bigint,
    bigint,
    bigint,
    Hex32,
    bigint,
  ]
  return {
    buyer: buyer.toLowerCase() as Address,
    expiresAt,
    status: JOB_STATUS[Number(status)] ?? 'none',
    minQuality: Number(minQuality),
    vaultId: vaultId.toLowerCase() as Hex32,
    escrow,
  }
}

export function connectJobMarket(address: string, runner: ContractRunner) {
  const c = boundContract('JobMarket', address, runner)
  return {
    address,
    /** `minQuality` must be what the signed spec states (sandbox minQualityOf), or no node admits the job. */
    openJob: (jobId: Hex32, vaultId: Hex32, expiresAt: bigint, escrow: bigint, minQuality = 0) =>
      c.send('openJob', [jobId, vaultId, expiresAt, minQuality], { value: escrow }),
    settle: (jobId: Hex32, resultHash: Hex32, qualityScore: number, proof: OutcomeProof) =>
      c.send('settle', [jobId, resultHash, qualityScore, outcomeProofArg(proof)]),
    refundFailed: (jobId: Hex32, proof: OutcomeProof) =>
      c.send('refundFailed', [jobId, outcomeProofArg(proof)]),
    /** Closes many proven outcomes in one transaction; a job not open any more is skipped. */
    settleMany: (outcomes: readonly MarketOutcome[]) =>
      c.send('settleMany', [outcomes.map(marketOutcomeArg)]),
    refundExpired: (jobId: Hex32) => c.send('refundExpired', [jobId]),
    withdraw: () => c.send('withdraw', []),
    /**
     * Credits `claim.contributor` its share of a settled pool job: anyone may send it (a relayer, the
     * curator), the contract pays only the contributor the proof names, once.
     */
    claimPayout: (claim: PayoutClaim) =>
      c.send('claimPayout', [
        claim.jobId,
        claim.bundleHash,
        claim.root,
        claim.total,
        claim.contributor,
        claim.contributions,
        claim.proof,
      ]),
    /** What a settled pool job holds for its contributors; undefined for any other job. */
    poolHold: async (jobId: Hex32): Promise<PoolHold | undefined> => {
      const [resultHash, amount, claimedContributions] = (await c.read('poolHolds', jobId)) as [
        Hex32,
        bigint,
        bigint,
      ]
      if (resultHash === ZERO_HASH) return undefined
      return { resultHash, amount, claimedContributions }
    },
    /** Every job whose owner share settle held for a pool's contributors (PoolShareHeld), oldest first. */
    poolJobs: async (filter: { vaultId?: Hex32; fromBlock?: number } = {}): Promise<HeldPoolShare[]> => {
      const logs = await c.contract.queryFilter(
        c.contract.filters.PoolShareHeld!(null, filter.vaultId ?? null),
        filter.fromBlock ?? 0,
      )
      return logs.flatMap((log) => {
        const parsed = c.contract.interface.parseLog(log)
        if (parsed === null) return []
        return [
          {
            jobId: parsed.args.jobId as Hex32,
            vaultId: parsed.args.vaultId as Hex32,
            amount: parsed.args.amount as bigint,
            blockNumber: log.blockNumber,
          },
        ]
      })
    },
    payoutClaimed: async (jobId: Hex32, contributor: Address) =>
      (await c.read('payoutClaimed', jobId, contributor)) as boolean,
    balance: async (who: Address) => (await c.read('balances', who)) as bigint,
    settlementGrace: async () => (await c.read('settlementGrace')) as bigint,
    escrowOf: async (jobId: Hex32): Promise<EscrowBinding> => {
      const [vaultId, buyer, amount, expiresAt, status, minQuality, evaluationFee] = (await c.read(
        'escrowOf',
        jobId,
      )) as [Hex32, string, bigint, bigint, bigint, bigint, bigint]
      return {
        vaultId,
        buyer: buyer.toLowerCase() as Address,
        amount,
        expiresAt,
        status: JOB_STATUS[Number(status)]!,
        minQuality: Number(minQuality),
        evaluationFee,
      }
    },
    /** The event that closed a job's escrow, searched from `fromBlock`; undefined while it is open. */
    closing: async (jobId: Hex32, fromBlock = 0): Promise<EscrowClosing | undefined> => {
      const [paid, rejected, refunded] = await Promise.all([
        c.contract.queryFilter(c.contract.filters.JobPaid!(jobId), fromBlock),
        c.contract.queryFilter(c.contract.filters.JobRejected!(jobId), fromBlock),
        c.contract.queryFilter(c.contract.filters.JobRefunded!(jobId), fromBlock),
      ])
      const log = paid[0] ?? rejected[0] ?? refunded[0]
      return log === undefined ? undefined : closingOfLog(c.contract.interface, log)?.closing
    },
    /**
     * The escrows a transaction closed, by job id, from its receipt's logs (JobPaid, JobRejected,
     * JobRefunded of this JobMarket; any other log is passed over).
     */
    closingsIn: (receipt: { readonly logs: readonly ClosingLog[] }): Map<Hex32, EscrowClosing> => {
      const closed = new Map<Hex32, EscrowClosing>()
      for (const log of receipt.logs) {
        if (log.address.toLowerCase() !== address.toLowerCase()) continue
        const found = closingOfLog(c.contract.interface, log)
        if (found !== undefined) closed.set(found.jobId, found.closing)
      }
      return closed
    },
    job: async (jobId: Hex32): Promise<JobRecord> => jobRecordOf(await c.read('jobs', jobId)),
    contract: c.contract,
  }
}
export type JobMarketClient = ReturnType<typeof connectJobMarket>
