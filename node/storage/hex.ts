import { z } from 'zod'

type Hex = `0x${string}`

// Lowercase only, as protocol/ spells every value, so a stored id compares equal to a computed one.
const fixedHex = (bytes: number) =>
  z.custom<Hex>(
    (value) => typeof value === 'string' && new RegExp(`^0x[0-9a-f]{${2 * bytes}}$`).test(value),
    `expected ${bytes} bytes of lowercase hex`,
  )

export const hex32Schema = fixedHex(32)
export const addressSchema = fixedHex(20)

/** Signatures as the consensus signer made them; the WAL keeps them as is and only bounds their size. */
export const signatureSchema = z.custom<Hex>(
  (value) => typeof value === 'string' && /^0x(?:[0-9a-f]{2}){1,256}$/.test(value),
  'expected at most 256 bytes of lowercase hex',
)
export const heightSchema = z.int().min(1)
