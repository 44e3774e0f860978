import { z } from 'zod'
import { OP_NAMES } from '../spec/schema.ts'

/**
 * The seller's usage policy, part of the manifest and so of the vault id:
 * which ops a buyer's spec may use, the smallest group any released number
 * may describe, the price in wei, and an optional cap on a job's cost.
 */
export const PolicySchema = z.object({
  allowedOps: z.array(z.enum(OP_NAMES)).min(1),
  minAggregation: z.number().int().min(1),
  price: z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'price is a decimal integer amount of wei'),
  maxCost: z.number().positive().optional(),
})
export type Policy = z.infer<typeof PolicySchema>
