import type { Hex32 } from '../hex.ts'

/** `n` as a 32-byte big-endian word in hex: distinct, readable ids and hashes for tests. */
export const hex32Of = (n: number): Hex32 => `0x${n.toString(16).padStart(64, '0')}`
