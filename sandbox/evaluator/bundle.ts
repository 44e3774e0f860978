import { createHash } from 'node:crypto'
import { canonicalJson, type Hex32, sha256 } from '../../protocol/vocabulary.ts'
import type { Circuit } from '../compiler/circuit.ts'
import { SandboxError } from '../errors.ts'

/**
 * An evaluation's output: one ciphertext per stat (canonical bytes), bound
 * to the circuit and the execution environment that produced it.
 * `resultHash` is what validators attest to; equal hashes mean equal bytes.
 */
export interface ResultBundle {
  readonly circuitId: Hex32
  readonly execEnvHash: Hex32
  readonly stats: readonly Uint8Array[]
  readonly resultHash: Hex32
}

export function circuitIdOf(circuit: Circuit): Hex32 {
  const { cost: _estimate, ...semantics } = circuit
  return sha256(new TextEncoder().encode(canonicalJson(semantics)))
}

export function resultHashOf(circuitId: Hex32, execEnvHash: Hex32, stats: readonly Uint8Array[]): Hex32 {
  const h = createHash('sha256')
  h.update(`tcf-result/1\n${circuitId}\n${execEnvHash}\n${stats.length}\n`)
  for (const s of stats) {
    h.update(lengthPrefix(s.length))
    h.update(s)
  }
  return `0x${h.digest('hex')}`
}

function lengthPrefix(n: number): Uint8Array {
  const b = new Uint8Array(8)
  new DataView(b.buffer).setBigUint64(0, BigInt(n))
  return b
}

const MAGIC = new TextEncoder().encode('TCFR')

/** Bytes on disk or on the wire: magic, header JSON, then length-prefixed stats. */
export function encodeBundle(bundle: Omit<ResultBundle, 'resultHash'>): Uint8Array {
  const header = new TextEncoder().encode(
    JSON.stringify({
      circuitId: bundle.circuitId,
      execEnvHash: bundle.execEnvHash,
      stats: bundle.stats.map((s) => s.length),
    }),
  )
  const total = MAGIC.length + 4 + header.length + bundle.stats.reduce((a, s) => a + s.length, 0)
  const out = new Uint8Array(total)
  out.set(MAGIC, 0)
  new DataView(out.buffer).setUint32(4, header.length)
  out.set(header, 8)
  let at = 8 + header.length
  for (const s of bundle.stats) {
    out.set(s, at)
    at += s.length
  }
  return out
}

/**
 * A received bundle, its result hash computed from its bytes. Its stats are views into `bytes`, not
 * copies (MiBs a result): the caller gives the bytes over and changes them no more.
 */
export function decodeBundle(bytes: Uint8Array): ResultBundle {
  const { circuitId, execEnvHash, stats } = parseBundle(bytes)
  return { circuitId, execEnvHash, stats, resultHash: resultHashOf(circuitId, execEnvHash, stats) }
}

/**
 * An encoded bundle's fields, its stats views into `bytes` (no copy, no hash): for bytes this
 * process encoded itself, whose result hash it computed from the same stats.
 */
export function parseBundle(bytes: Uint8Array): Omit<ResultBundle, 'resultHash'> {
  const fail = (why: string) => new SandboxError('RESULT_INVALID', `not a result bundle: ${why}`)
  if (bytes.length < 8 || MAGIC.some((b, i) => bytes[i] !== b)) throw fail('bad magic')
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4)
  if (8 + headerLength > bytes.length) throw fail('truncated header')
  let header: unknown
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)))
  } catch {
    throw fail('header is not JSON')
  }
  const h = header as { circuitId?: unknown; execEnvHash?: unknown; stats?: unknown }
  if (
    typeof h.circuitId !== 'string' ||
    typeof h.execEnvHash !== 'string' ||
    !Array.isArray(h.stats) ||
    !h.stats.every((n) => Number.isSafeInteger(n) && n > 0)
  ) {
    throw fail('bad header')
  }
  const stats: Uint8Array[] = []
  let at = 8 + headerLength
  for (const n of h.stats as number[]) {
    if (at + n > bytes.length) throw fail('truncated stats')
    stats.push(bytes.subarray(at, at + n))
    at += n
  }
  if (at !== bytes.length) throw fail('trailing bytes')
  return { circuitId: h.circuitId as Hex32, execEnvHash: h.execEnvHash as Hex32, stats }
}
