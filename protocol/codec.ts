import type { z } from 'zod'
import { canonicalBytes } from './canonicalJson.ts'
import { deepFreeze } from './deep-freeze.ts'
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
  /** Whether `value` is one this codec decoded or adopted: checked and frozen. */
  knows(value: unknown): boolean
  /**
   * Takes a frozen value another codec's decode already checked against this codec's schema (a
   * request inside a block, say) as checked here too; an unfrozen value is ignored.
   */
  adopt(value: T): void
  /**
   * Checks a value this process built, as encode does, and returns the checked copy frozen and
   * known: encoding, hashing or storing it later does not walk it again.
   */
  check(value: T): T
}

export function defineMessage<T>(
  kind: string,
  schema: z.ZodType<T>,
  maxBytes: number,
  checkContent?: ContentCheck<T>,
  /** Adopts the parts of a checked message that other codecs encode or hash on their own. */
  parts?: (value: T) => void,
): MessageCodec<T> {
  /**
   * What decode returned, frozen, with its canonical bytes and, once asked, its id. A validator
   * encodes a received message again to hash it, store it or pass it on (a job request's id at
   * admission, in the block, in its record): each time the schema walk and the canonical JSON
   * again, a tenth of its CPU in a burst. A frozen value cannot have changed since it was checked.
   */
  const known = new WeakMap<object, { bytes?: Uint8Array; id?: Hex32 }>()
  const knownEntry = (value: unknown) =>
    typeof value === 'object' && value !== null ? known.get(value) : undefined
  const remember = (value: T, bytes?: Uint8Array) => {
    if (typeof value !== 'object' || value === null || !Object.isFrozen(value) || known.has(value)) return
    known.set(value, bytes === undefined ? {} : { bytes })
    parts?.(value)
  }

  const sized = (bytes: Uint8Array): Uint8Array => {
    if (bytes.length > maxBytes) {
      throw new EncodeError('OVERSIZED', `${kind}: ${bytes.length} bytes exceeds ${maxBytes}`)
    }
    return bytes
  }

  const checked = (value: T): T => {
    const parsed = schema.safeParse(value)
    if (!parsed.success) {
      throw new EncodeError('SCHEMA', `${kind}: ${parsed.error.issues[0]?.message ?? 'invalid'}`)
    }
    return parsed.data
  }

  const encode = (value: T): Uint8Array => {
    const entry = knownEntry(value)
    if (entry !== undefined) {
      entry.bytes ??= sized(canonicalBytes(value))
      return entry.bytes
    }
    return sized(canonicalBytes(checked(value)))
  }

  const check = (value: T): T => {
    if (knownEntry(value) !== undefined) return value
    const copy = deepFreeze(checked(value))
    remember(copy, sized(canonicalBytes(copy)))
    return copy
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
    const value = deepFreeze(parsed.data)
    remember(value, canonical)
    return value
  }

  const id = (value: T): Hex32 => {
    const entry = knownEntry(value)
    if (entry === undefined) return keccak256(encode(value))
    entry.id ??= keccak256(encode(value))
    return entry.id
  }

  return {
    kind,
    maxBytes,
    schema,
    encode,
    decode,
    id,
    knows: (value) => knownEntry(value) !== undefined,
    adopt: (value) => remember(value),
    check,
  }
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
