import { z } from 'zod'

/**
 * Every refusal's body: a stable upper-case `code`, a message for people, and sometimes details
 * (`field`, `missing`...) beside them.
 */
export const apiErrorBodySchema = z.strictObject({
  error: z.looseObject({ code: z.string().regex(/^[A-Z][A-Z0-9_]*$/), message: z.string() }),
})
export type ApiErrorBody = z.infer<typeof apiErrorBodySchema>
