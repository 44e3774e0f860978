import { z } from 'zod'
import { QUALITY_SCALE } from '../../protocol/vocabulary.ts'

/**
 * The algorithm spec: what a buyer asks of a vault. It is data, validated
 * here and interpreted by the node's own compiler and evaluator, so the
 * language itself is the sandbox: there is no way to express anything but
 * aggregates over all of a vault's (present) records.
 */
export const OP_NAMES = [
  'count',
  'sum',
  'mean',
  'variance',
  'stddev',
  'covariance',
  'correlation',
  'histogram',
  'weighted_sum',
  'linear_model_fit',
  'histogram2d',
  'group_mean',
  'quantiles',
] as const
export type OpName = (typeof OP_NAMES)[number]

/** Whether a value in [0, 1] is exact in the score's fixed point, the unit JobMarket compares in. */
const isFixedPoint = (v: number) => Math.abs(v * QUALITY_SCALE - Math.round(v * QUALITY_SCALE)) < 1e-6

const identifier = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/
const column = /[A-Za-z_][A-Za-z0-9_]{0,63}/.source

/**
 * A term is a column or a degree-2 monomial of columns: `age`, `age^2`,
 * `age*bmi`. Degree-2 terms are the polynomial feature map.
 */
export const TERM_PATTERN = new RegExp(`^(${column})(?:\\^2|\\*(${column}))?$`)
const Term = z.string().regex(TERM_PATTERN, 'a term is a column, column^2 or columnA*columnB')
const ColumnRef = z.string().regex(identifier, 'a column name')
const significantDigits = z.number().int().min(1).max(12).optional()
/** the share of the job's privacy budget this output spends; unset outputs share what the policy's per-job limit leaves */
const epsilon = z.number().positive().max(1000).optional()

const Count = z.strictObject({ op: z.literal('count'), of: Term.optional(), significantDigits, epsilon })
const Moment = z.strictObject({
  op: z.enum(['sum', 'mean', 'variance', 'stddev']),
  of: Term,
  significantDigits,
  epsilon,
})
const Pairwise = z.strictObject({
  op: z.enum(['covariance', 'correlation']),
  of: z.tuple([Term, Term]),
  significantDigits,
  epsilon,
})
const Histogram = z.strictObject({ op: z.literal('histogram'), of: ColumnRef, significantDigits, epsilon })
/** A heatmap: counts per pair of categories of two categorical or bucketed columns (grid cell × hour). */
const Histogram2d = z.strictObject({
  op: z.literal('histogram2d'),
  of: z.tuple([ColumnRef, ColumnRef]).refine(([a, b]) => a !== b, 'a heatmap crosses two different columns'),
  significantDigits,
  epsilon,
})
/** The mean of a term for each category of a categorical or bucketed column, with each group's count. */
const GroupMean = z.strictObject({
  op: z.literal('group_mean'),
  of: Term,
  by: ColumnRef,
  significantDigits,
  epsilon,
})
/** q-quantiles of a bucketed column, interpolated within the bucket from its (noisy) histogram. */
const Quantiles = z.strictObject({
  op: z.literal('quantiles'),
  of: ColumnRef,
  q: z
    .array(z.number().gt(0).lt(1))
    .min(1)
    .max(99)
    .refine((q) => new Set(q).size === q.length, 'quantiles must be distinct'),
  significantDigits,
  epsilon,
})
const Weights = z
  .record(Term, z.number().finite())
  .refine((w) => Object.keys(w).length > 0, 'at least one weight')
const WeightedSum = z.strictObject({
  op: z.literal('weighted_sum'),
  weights: Weights,
  significantDigits,
  epsilon,
})
const LinearModelFit = z.strictObject({
  op: z.literal('linear_model_fit'),
  model: z.strictObject({ weights: Weights, bias: z.number().finite() }),
  label: ColumnRef,
  significantDigits,
  epsilon,
})

export const OutputSpecSchema = z.discriminatedUnion('op', [
  Count,
  Moment,
  Pairwise,
  Histogram,
  WeightedSum,
  LinearModelFit,
  Histogram2d,
  GroupMean,
  Quantiles,
])
export type OutputSpec = z.infer<typeof OutputSpecSchema>

export const ExpectSchema = z.strictObject({
  /** the records the buyer needs for the result to be worth having */
  minRecords: z.number().int().min(1).optional(),
  /** the largest share of missing cells tolerated in the columns the spec reads */
  maxMissingRate: z.number().min(0).max(1).optional(),
  /** the R^2 the buyer's models should reach on this data */
  minR2: z.number().min(-1).max(1).optional(),
  /** plausible intervals for scalar outputs, by output name */
  ranges: z.record(z.string().regex(identifier), z.tuple([z.number(), z.number()])).optional(),
  /**
   * The least quality score the buyer pays for. The escrow is bound to it on chain, fixed-point like
   * the signed score, so a value the chain cannot hold exactly is refused rather than rounded.
   */
  minQuality: z
    .number()
    .min(0)
    .max(1)
    .refine(isFixedPoint, 'minQuality has at most 6 decimal places (the score is fixed-point, 1e-6)')
    .optional(),
})
export type Expect = z.infer<typeof ExpectSchema>

export const AlgorithmSpecSchema = z.strictObject({
  version: z.literal(1),
  outputs: z
    .record(z.string().regex(identifier, 'output names are identifiers'), OutputSpecSchema)
    .refine((o) => Object.keys(o).length > 0, 'a spec has at least one output')
    .refine((o) => Object.keys(o).length <= 64, 'a spec has at most 64 outputs'),
  expect: ExpectSchema.default({}),
  /**
   * A job on a pool reads the pool as of this height (a height at which its log changed, not above
   * the committed head), so every validator evaluates the same snapshot. Required for a pool, refused
   * for a vault; optional, so every other spec keeps its hash.
   */
  snapshot: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
})
export type AlgorithmSpec = z.infer<typeof AlgorithmSpecSchema>
