import { SandboxError } from '../errors.ts'
import { type AlgorithmSpec, AlgorithmSpecSchema } from './schema.ts'

/** Validates an untrusted spec; the error names the first offending field. */
export function parseSpec(value: unknown): AlgorithmSpec {
  const parsed = AlgorithmSpecSchema.safeParse(value)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const field = issue ? issue.path.map(String).join('.') : ''
  throw new SandboxError('SPEC_INVALID', `spec field "${field}": ${issue?.message ?? 'invalid'}`, { field })
}

export function parseSpecJson(text: string): AlgorithmSpec {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new SandboxError('SPEC_INVALID', 'the spec is not valid JSON', { field: '', cause })
  }
  return parseSpec(value)
}
