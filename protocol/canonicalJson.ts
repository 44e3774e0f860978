import { EncodeError } from './errors.ts'

/**
 * Canonical JSON after RFC 8785 (JCS): object keys sorted by UTF-16 code units, no whitespace,
 * strings and numbers serialised as ECMAScript's JSON.stringify does. Our schemas only carry
 * safe integers, decimal strings for wei and lowercase hex for bytes, so JCS's number rules never
 * meet a value where implementations disagree. bigint is refused: amounts travel as decimal strings.
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw new EncodeError('UNENCODABLE', `non-finite number ${value}`)
      return JSON.stringify(value)
    case 'object': {
      if (value === null) return 'null'
      if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
      const entries = Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
    }
    default:
      throw new EncodeError('UNENCODABLE', `cannot encode a ${typeof value}`)
  }
}

const encoder = new TextEncoder()

export const canonicalBytes = (value: unknown): Uint8Array => encoder.encode(canonicalJson(value))
