// LevelDB orders keys bytewise, so numbers are written as fixed-width decimal: then key order is
// numeric order and "the highest height" is the last key. 16 digits hold every safe integer.
const WIDTH = 16

export const numberKey = (n: number): string => String(n).padStart(WIDTH, '0')

/** Parses a key written by numberKey; undefined for anything else. */
export function parseNumberKey(key: string): number | undefined {
  if (key.length !== WIDTH || !/^[0-9]+$/.test(key)) return undefined
  const n = Number(key)
  return Number.isSafeInteger(n) ? n : undefined
}

/** WAL keys sort by height, then by append sequence within the height. */
export const walKey = (height: number, seq: number): string => `${numberKey(height)}:${numberKey(seq)}`

export function parseWalKey(key: string): { height: number; seq: number } | undefined {
  const [h, s, ...rest] = key.split(':')
  if (h === undefined || s === undefined || rest.length > 0) return undefined
  const height = parseNumberKey(h)
  const seq = parseNumberKey(s)
  return height === undefined || seq === undefined ? undefined : { height, seq }
}

/** Upper bound (exclusive) of every WAL key below a height, for range reads. */
export const walKeyBound = (height: number): string => `${numberKey(height)}:`
