import { deepFreeze, isDeepFrozen } from '../../protocol/index.ts'
import { SandboxError } from '../errors.ts'
import { type AlgorithmSpec, AlgorithmSpecSchema } from './schema.ts'

/**
 * Specs already parsed, by the frozen value they were parsed from. A validator parses one job's
 * spec at its admission checks, its budget plan and its evaluation, and a deeply frozen value (a
 * decoded request's) cannot have changed since. The parsed spec is frozen too: every caller shares it.
 */
const parsedSpecs = new WeakMap<object, AlgorithmSpec>()

/** Validates an untrusted spec; the error names the first offending field. */
export function parseSpec(value: unknown): AlgorithmSpec {
  // Only a deeply frozen value is ever a key, and frozen stays frozen: a hit needs no walk.
  const known = typeof value === 'object' && value !== null ? parsedSpecs.get(value) : undefined
  if (known !== undefined) return known
  const frozen = typeof value === 'object' && value !== null && isDeepFrozen(value)
  const parsed = AlgorithmSpecSchema.safeParse(value)
  if (parsed.success) {
    if (!frozen) return parsed.data
    const spec = deepFreeze(parsed.data)
    parsedSpecs.set(value, spec)
    return spec
  }
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
