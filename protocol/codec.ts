import type { z } from 'zod'
import { canonicalBytes } from './canonicalJson.ts'
import { DecodeError, EncodeError } from './errors.ts'
import { type Hex32, keccak256 } from './hex.ts'

/** Every message carries this version; a peer speaking another one is refused with BAD_VERSION. */
export const PROTOCOL_VERSION = 1

/** Deepest nesting any message may have; checked before the schema so recursion stays bounded. */
const MAX_DEPTH = 32

/** A content check the schema cannot express, e.g. that an embedded hash matches its content. */
export type ContentCheck<T> = (value: T) => { path: (string | number)[]; detail: string } | undefined

export interface MessageCodec<T> {
  readonly kind: string
  readonly maxBytes: number
  readonly schema: z.ZodType<T>
  /** Canonical bytes of a valid message. Throws EncodeError for a value that is not one. */
  encode(value: T): Uint8Array
  /** Parses untrusted bytes. Throws DecodeError and nothing else. */
  decode(bytes: Uint8Array): T
  /** keccak256 of the canonical bytes. */
  id(value: T): Hex32
}

export function defineMessage<T>(
  kind: string,
  schema: z.ZodType<T>,
  maxBytes: number,
  checkContent?: ContentCheck<T>,
): MessageCodec<T> {
  const encode = (value: T): Uint8Array => {
    const parsed = schema.safeParse(value)
    if (!parsed.success) {
      throw new EncodeError('SCHEMA', `${kind}: ${parsed.error.issues[0]?.message ?? 'invalid'}`)
    }
    const bytes = canonicalBytes(parsed.data)
    if (bytes.length > maxBytes) {
      throw new EncodeError('OVERSIZED', `${kind}: ${bytes.length} bytes exceeds ${maxBytes}`)
    }
    return bytes
  }

  const decode = (bytes: Uint8Array): T => {
    const fail = (code: DecodeError['code'], path: (string | number)[], detail: string) =>
      new DecodeError(code, kind, path, detail)
    if (!(bytes instanceof Uint8Array)) throw fail('MALFORMED', [], 'not a byte array')
    if (bytes.length > maxBytes) throw fail('OVERSIZED', [], `${bytes.length} bytes exceeds ${maxBytes}`)
    let json: unknown
    try {
      json = JSON.parse(utf8.decode(bytes))
    } catch (error) {
      throw fail('MALFORMED', [], error instanceof Error ? error.message : 'not UTF-8 JSON')
    }
    if (nestingDepth(json) > MAX_DEPTH) throw fail('MALFORMED', [], `nested deeper than ${MAX_DEPTH}`)
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      throw fail('SCHEMA', [], 'expected an object')
    }
    const version = (json as { version?: unknown }).version
    if (version !== PROTOCOL_VERSION) throw fail('BAD_VERSION', ['version'], `unsupported ${String(version)}`)
    let parsed: ReturnType<typeof schema.safeParse>
    try {
      parsed = schema.safeParse(json)
    } catch (error) {
      // Our refinements are meant to be total; if one is not, the peer still only gets a DecodeError.
      throw fail('SCHEMA', [], `schema check threw: ${String(error)}`)
    }
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const path = (issue?.path ?? []).map((p) => (typeof p === 'number' ? p : String(p)))
      throw fail('SCHEMA', path, issue?.message ?? 'invalid')
    }
    // One message, one byte string: otherwise two peers could hash the same content to two ids.
    const canonical = canonicalBytes(parsed.data)
    if (!sameBytes(canonical, bytes)) throw fail('NON_CANONICAL', [], 'bytes are not in canonical form')
    const problem = checkContent?.(parsed.data)
    if (problem !== undefined) throw fail('BAD_CONTENT_HASH', problem.path, problem.detail)
    return parsed.data
  }

  return { kind, maxBytes, schema, encode, decode, id: (value) => keccak256(encode(value)) }
}

/** One decoder for every message: a non-streaming decode keeps no state between calls. */
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Iterative, so hostile nesting cannot overflow the stack. */
function nestingDepth(root: unknown): number {
  let deepest = 0
  const stack: [unknown, number][] = [[root, 0]]
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!
    if (typeof value !== 'object' || value === null) continue
    if (depth + 1 > deepest) deepest = depth + 1
    if (deepest > MAX_DEPTH) return deepest
    for (const child of Object.values(value)) stack.push([child, depth + 1])
  }
  return deepest
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
