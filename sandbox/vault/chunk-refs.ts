import type { Hex32 } from '../../protocol/index.ts'
import { SandboxError } from '../errors.ts'
import type { VaultManifest } from './manifest.ts'

/**
 * What the evaluator reads as a column's chunk i: the ciphertext `chunks[i]`
 * names, or, in a vault of two values per slot, half i mod 2 of it
 * (`<id>#0` real, `<id>#1` imaginary; complex-pairs.ts). The reference, not
 * the blob id, is what the stat cache keys on, so a manifest that lists the
 * same blobs under the other format can never read a statistic cached for
 * this one.
 */
export type ChunkRef = string

export function chunkRefs(
  manifest: Pick<VaultManifest, 'valuesPerSlot'>,
  chunks: readonly string[],
): ChunkRef[] {
  return manifest.valuesPerSlot === 2 ? chunks.map((id, i) => `${id}#${i % 2}`) : [...chunks]
}

export function parseChunkRef(ref: ChunkRef): { id: Hex32; half?: 0 | 1 } {
  const match = /^(0x[0-9a-f]{64})(?:#([01]))?$/.exec(ref)
  if (!match) throw new SandboxError('BLOB_MISSING', `"${ref}" names no chunk`, { field: ref })
  const id = match[1] as Hex32
  return match[2] === undefined ? { id } : { id, half: match[2] === '1' ? 1 : 0 }
}
