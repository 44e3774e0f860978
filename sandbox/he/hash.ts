import { createHash } from 'node:crypto'

export type Hex32 = `0x${string}`

export function sha256Hex(...parts: Uint8Array[]): Hex32 {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return `0x${h.digest('hex')}`
}

export function isHex32(s: string): s is Hex32 {
  return /^0x[0-9a-f]{64}$/.test(s)
}
