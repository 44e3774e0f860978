import type { ContractRunner } from 'ethers'
import type { Address, Hex32 } from '../hex.ts'
import { type OutcomeProof, outcomeProofArg } from './anchor.ts'
import { boundContract } from './transact.ts'

export const JOB_STATUS = ['none', 'open', 'paid', 'refunded'] as const
export type JobStatus = (typeof JOB_STATUS)[number]

export interface JobRecord {
  readonly buyer: Address
  readonly expiresAt: bigint
  readonly status: JobStatus
  readonly vaultId: Hex32
  readonly escrow: bigint
}

export function connectJobMarket(address: string, runner: ContractRunner) {
  const c = boundContract('JobMarket', address, runner)
  return {
    address,
    openJob: (jobId: Hex32, vaultId: Hex32, expiresAt: bigint, escrow: bigint) =>
      c.send('openJob', [jobId, vaultId, expiresAt], { value: escrow }),
    settle: (jobId: Hex32, resultHash: Hex32, qualityScore: number, proof: OutcomeProof) =>
      c.send('settle', [jobId, resultHash, qualityScore, outcomeProofArg(proof)]),
    refundFailed: (jobId: Hex32, proof: OutcomeProof) =>
      c.send('refundFailed', [jobId, outcomeProofArg(proof)]),
    refundExpired: (jobId: Hex32) => c.send('refundExpired', [jobId]),
    withdraw: () => c.send('withdraw', []),
    balance: async (who: Address) => (await c.read('balances', who)) as bigint,
    job: async (jobId: Hex32): Promise<JobRecord> => {
      const [buyer, expiresAt, status, vaultId, escrow] = (await c.read('jobs', jobId)) as [
        string,
        bigint,
        bigint,
        Hex32,
        bigint,
      ]
      return {
        buyer: buyer.toLowerCase() as Address,
        expiresAt,
        status: JOB_STATUS[Number(status)]!,
        vaultId,
        escrow,
      }
    },
    contract: c.contract,
  }
}
export type JobMarketClient = ReturnType<typeof connectJobMarket>
