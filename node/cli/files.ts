import { readFile } from 'node:fs/promises'
import type { z } from 'zod'
import { CliError } from './errors.ts'

/** Reads and validates a JSON file; errors name the file and the first bad field. */
export async function readJsonFile<T>(path: string, schema: z.ZodType<T>, what: string): Promise<T> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new CliError('FILE_UNREADABLE', `cannot read the ${what} ${path}`, { cause })
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new CliError('JSON_INVALID', `the ${what} ${path} is not valid JSON`, { cause })
  }
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new CliError(
      'JSON_INVALID',
      `the ${what} ${path}: field "${issue?.path.join('.') ?? ''}": ${issue?.message ?? ''}`,
    )
  }
  return parsed.data
}
