import type { Hex32 } from '../../protocol/index.ts'
import type { ProfileName } from '../he/profiles.ts'
import type { OpName } from '../spec/schema.ts'

/**
 * A stat is one homomorphic aggregate: the sum over all records of the
 * product of some stored columns, a single number in its result's constant
 * coefficient (a lone stat) or in its pack's slots. Results carry one ciphertext per pack (see PackPlan), in
 * circuit order.
 */
export interface StatPlan {
  /** factor names joined by `*`, sorted; a value column may repeat */
  readonly key: string
  readonly factors: readonly string[]
  /** rescales the product tree needs: ceil(log2(#factors)) */
  readonly depth: number
  /** number of data primes the result keeps: the lowest level with room for the stat's bound */
  readonly resultLevel: number
}

/** `Σ coef * stat` over the output's records; a negative index is the constant record count. */
export type LinearForm = ReadonlyArray<readonly [statIndex: number, coef: number]>

export const RECORD_COUNT = -1

export interface OutputPlan {
  readonly name: string
  readonly op: OpName
  /** the columns that must all be present for a record to count */
  readonly over: readonly string[]
  /** named sums the finisher combines; every op has `n` (the records aggregated) */
  readonly sums: Readonly<Record<string, LinearForm>>
  /**
   * histogram and quantiles bucket labels, in `sums` as `bucket:<label>`; a heatmap's rows
   * (`cell:<row>,<column>` by index); a group_mean's groups (`count:<label>`, `sum:<label>`)
   */
  readonly categories?: readonly string[]
  /** a heatmap's columns: the categories of its second column */
  readonly crossCategories?: readonly string[]
  /** quantiles: the bucketed column's edges and the quantiles asked for */
  readonly edges?: readonly number[]
  readonly quantiles?: readonly number[]
  /** what the finisher needs besides sums: affine constants of sums with constants removed */
  readonly constants?: Readonly<Record<string, number>>
  readonly significantDigits: number
  /**
   * Stats counting the records a term really sums when a boolean factor
   * filters them (Σ flag for Σ flag*age): each must reach the vault's
   * minimum aggregation, as `n` must. Absent when no term filters.
   */
  readonly groups?: readonly number[]
}

/**
 * One result ciphertext. A pack of several stats: stat `stats[c]`'s total
 * sits in every slot i with i mod `classes` = c; slots of unused classes
 * hold 0, and no slot holds a partial sum. A stat alone (`classes` 1): its
 * total is the constant coefficient and the mean of the slots, which hold
 * slot-wise sums; a threshold opening reveals only that coefficient
 * (sandbox/threshold/stat-decrypt.ts).
 */
export interface PackPlan {
  readonly stats: readonly number[]
  /** a power of two >= stats.length; 1 for a stat alone, summed over every slot */
  readonly classes: number
  /** slots each stat is summed over before its masks: a power of two <= classes */
  readonly window: number
  /** data primes the result keeps; packed stats are masked one level above it */
  readonly level: number
  /**
   * `integer`: the stats are weighted by integer-coefficient masks at their
   * own level (integer-masks.ts), for stats with no level to spare: every
   * slot i holds Σ_k M_k(i)·S_k, a fixed combination of the pack's totals.
   */
  readonly masks?: 'integer'
}

export interface CircuitCost {
  readonly depth: number
  readonly stats: number
  readonly inputCiphertexts: number
  readonly multiplications: number
  readonly relinearizations: number
  readonly rotations: number
  /** estimated single-core evaluation time on the reference machine, ms */
  readonly estimatedMs: number
  /** estimated peak SEAL heap of one evaluation, bytes */
  readonly estimatedBytes: number
}

export interface Circuit {
  readonly version: 1
  readonly vaultId: Hex32
  readonly profile: ProfileName
  readonly recordCount: number
  readonly stats: readonly StatPlan[]
  /** how the stats leave the evaluator: one ciphertext per pack */
  readonly packs: readonly PackPlan[]
  readonly outputs: readonly OutputPlan[]
  readonly cost: CircuitCost
}
