import { z } from 'zod'
import { addressSchema, heightSchema, hex32Schema, weiSchema } from '../../protocol/index.ts'

const creditSchema = z.strictObject({ address: addressSchema, amount: weiSchema })

/**
 * How a job's escrow was closed on chain, as this node saw it: paid to the vault owner and the
 * validators whose precommits anchored the release, or refunded to the buyer. Amounts are decimal
 * wei as JobMarket credited them (JobPaid / JobRefunded), not as this node computed them.
 */
export const settlementSchema = z.strictObject({
  status: z.enum(['paid', 'refunded']),
  txHash: hex32Schema,
  /** Whether this node sent the transaction (it may have found the job closed by another). */
  byUs: z.boolean(),
  /** The anchored block whose outcome proof closed the escrow. */
  height: heightSchema,
  owner: creditSchema.optional(),
  validators: z.array(creditSchema).max(256).optional(),
  buyer: creditSchema.optional(),
})
export type Settlement = z.infer<typeof settlementSchema>
