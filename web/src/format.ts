import { formatEther } from 'ethers'

export const short = (hex: string, keep = 6): string =>
  hex.length > 2 + 2 * keep ? `${hex.slice(0, 2 + keep)}…${hex.slice(-4)}` : hex

export const eth = (wei: string | bigint): string => `${formatEther(BigInt(wei))} ETH`

export const fixed = (x: number, digits = 4): string => (Number.isInteger(x) ? String(x) : x.toFixed(digits))

/** A significant-digits view of a released value; the value itself is already rounded by the release. */
export const num = (x: number): string =>
  Math.abs(x) >= 1e6 ? x.toExponential(3) : String(+x.toPrecision(8))

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`

/** The quality score as the chain stores it: fixed point with 6 decimals. */
export const QUALITY_SCALE = 1_000_000
export const score = (fixedPoint: number): string => (fixedPoint / QUALITY_SCALE).toFixed(4)
