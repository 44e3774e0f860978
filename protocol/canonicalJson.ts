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
    case 'object':
      if (value === null) return 'null'
      return Array.isArray(value) ? arrayJson(value) : objectJson(value as Record<string, unknown>)
    default:
      throw new EncodeError('UNENCODABLE', `cannot encode a ${typeof value}`)
  }
}

// Loops that build one string: every id, block hash and decode check runs through here, and the
// entries/filter/sort/map/join chain it replaces was a tenth of a validator's main thread.

function arrayJson(array: readonly unknown[]): string {
  let out = '['
  for (let i = 0; i < array.length; i++) {
    if (i > 0) out += ','
    // A hole stays empty, as Array.prototype.map and join leave it.
    if (i in array) out += canonicalJson(array[i])
  }
  return `${out}]`
}

function objectJson(object: Record<string, unknown>): string {
  // The default sort compares UTF-16 code units, which is JCS's key order.
  const keys = Object.keys(object).sort()
  let out = '{'
  for (const key of keys) {
    const member = object[key]
    if (member === undefined) continue
    if (out.length > 1) out += ','
    out += `${JSON.stringify(key)}:${canonicalJson(member)}`
  }
  return `${out}}`
}

const encoder = new TextEncoder()

export const canonicalBytes = (value: unknown): Uint8Array => encoder.encode(canonicalJson(value))
