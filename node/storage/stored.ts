import type { z } from 'zod'
import { StorageError } from './errors.ts'

const describe = (where: string, error: z.ZodError): string => {
  const issue = error.issues[0]
  return `${where}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim()
}

/**
 * Parses a value read from disk. Damaged or foreign bytes become a typed CORRUPT_RECORD error naming
 * where they were found, so the daemon can report the store as damaged instead of crashing on a
 * TypeError deep inside a handler.
 */
export function parseStored<T>(schema: z.ZodType<T>, text: string, where: string): T {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    throw new StorageError('CORRUPT_RECORD', `${where}: not JSON`, { cause: error })
  }
  const parsed = schema.safeParse(json)
  if (!parsed.success) throw new StorageError('CORRUPT_RECORD', describe(where, parsed.error))
  return parsed.data
}

/** Validates a caller's value before it is written, so nothing unreadable ever reaches disk. */
export function checkRecord<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new StorageError('INVALID_RECORD', describe(what, parsed.error))
  return parsed.data
}
