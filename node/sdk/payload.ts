import { z } from 'zod'
import { canonicalBytes, type Hex32 } from '../../protocol/index.ts'
import { OP_NAMES, type OutputValue, type StructuredOp, type Withheld } from '../../sandbox/index.ts'
import { ClientError } from './errors.ts'

/**
 * The plaintext the vault owner seals to the buyer: the released (rounded)
 * outputs and the quality score, bound to the job and the certified result.
 * Never the decrypted stats: those carry the CKKS error term.
 */
const hex32 = z.custom<Hex32>((v) => typeof v === 'string' && /^0x[0-9a-f]{64}$/.test(v), 'expected 32 bytes')
const count = z.int().nonnegative()
const STRUCTURED: readonly string[] = [
  'histogram',
  'linear_model_fit',
  'histogram2d',
  'group_mean',
  'quantiles',
] satisfies StructuredOp[]
const SCALAR_OPS = OP_NAMES.filter((op) => !STRUCTURED.includes(op))

/** What the release states about each output's accuracy (sandbox/dp): epsilon spent, 95% error and grid per field. */
const accuracy = {
  epsilon: z.number().min(0).optional(),
  error95: z.record(z.string(), z.number().min(0)).optional(),
  grid: z.record(z.string(), z.number().min(0)).optional(),
}

const outputSchema = z.union([
  z.strictObject({
    op: z.enum(SCALAR_OPS as [Exclude<OutputValue['op'], StructuredOp>]),
    value: z.number(),
    n: count,
    ...accuracy,
  }),
  z.strictObject({
    op: z.literal('histogram'),
    buckets: z.record(z.string(), z.number().nullable()),
    n: count,
    ...accuracy,
  }),
  z.strictObject({
    op: z.literal('linear_model_fit'),
    r2: z.number(),
    sse: z.number(),
    sst: z.number(),
    rmse: z.number(),
    n: count,
    ...accuracy,
  }),
  z.strictObject({
    op: z.literal('histogram2d'),
    rows: z.array(z.string()).readonly(),
    columns: z.array(z.string()).readonly(),
    cells: z.array(z.array(z.number().nullable()).readonly()).readonly(),
    n: count,
    ...accuracy,
  }),
  z.strictObject({
    op: z.literal('group_mean'),
    groups: z.record(z.string(), z.strictObject({ mean: z.number(), count: z.number() }).nullable()),
    n: count,
    ...accuracy,
  }),
  z.strictObject({
    op: z.literal('quantiles'),
    quantiles: z.record(z.string(), z.number().nullable()),
    n: count,
    ...accuracy,
  }),
  z.strictObject({ op: z.enum(OP_NAMES), withheld: z.string() }),
])

const unit = z.number().min(0).max(1)

export const resultPayloadSchema = z.strictObject({
  version: z.literal(1),
  jobId: hex32,
  vaultId: hex32,
  resultHash: hex32,
  certifiedHeight: z.int().positive(),
  outputs: z.record(z.string(), outputSchema),
  quality: z.strictObject({
    score: unit,
    components: z.strictObject({ sampleSize: unit, completeness: unit, plausibility: unit, fitness: unit }),
    details: z.array(z.string()),
  }),
})
export type ResultPayload = z.infer<typeof resultPayloadSchema> & {
  readonly outputs: Readonly<Record<string, OutputValue | Withheld>>
}

export const encodePayload = (payload: ResultPayload): Uint8Array => canonicalBytes(payload)

export function decodePayload(bytes: Uint8Array): ResultPayload {
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (cause) {
    throw new ClientError('BAD_RELEASE', 'the unsealed result is not JSON', { cause })
  }
  const parsed = resultPayloadSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ClientError('BAD_RELEASE', `the unsealed result: ${issue?.path.join('.')}: ${issue?.message}`)
  }
  return parsed.data
}
