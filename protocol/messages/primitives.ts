import { z } from 'zod'
import { PROTOCOL_VERSION } from '../codec.ts'

export const versionSchema = z.literal(PROTOCOL_VERSION)
export const uintSchema = z.int().min(0)
/** Heights start at 1; fits EIP-712 uint64 because zod's int() is a safe integer. */
export const heightSchema = z.int().min(1)
export const epochSchema = uintSchema
export const roundSchema = z
  .int()
  .min(0)
  .max(2 ** 32 - 1)

/** Quality scores are signed and proven on chain, so they are integers: score * QUALITY_SCALE. */
export const QUALITY_SCALE = 1_000_000
export const qualityScoreSchema = z.int().min(0).max(QUALITY_SCALE)
