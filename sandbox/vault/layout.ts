import { type Column, categoriesOf, type VaultSchema } from './schema.ts'

/**
 * How a schema becomes encrypted columns. Every stored column holds one value
 * per record, 0 where the source cell is missing, so any product that
 * includes a stored column of a source already excludes that source's
 * missing records:
 * - `value`: a number, integer or boolean, normalized to [-1, 1]:
 *   (v - center) / halfWidth over its declared range (booleans stay 0/1).
 *   Every product of stored columns is then in [-1, 1] and every aggregate
 *   is bounded by the record count, which is what lets the compiler prove a
 *   result fits the decryption headroom; centering also keeps sums of
 *   squares from cancelling, where CKKS would lose digits.
 * - `mask`: 1 where the source is present (nullable columns only).
 * - `onehot`: 1 where the source equals `category` (categorical, bucketed).
 */
export type StoredKind = 'value' | 'mask' | 'onehot'

export interface StoredColumn {
  readonly name: string
  readonly kind: StoredKind
  readonly source: string
  readonly category?: string
  readonly center?: number
  readonly halfWidth?: number
}

export function maskName(source: string): string {
  return `${source}#present`
}

export function onehotName(source: string, category: string): string {
  return `${source}=${category}`
}

/** The affine map from a value column's stored [-1, 1] back to its units: v = center + halfWidth * s. */
export function normalizationOf(column: Column): { center: number; halfWidth: number } {
  if (column.type === 'number' || column.type === 'integer') {
    return { center: (column.min + column.max) / 2, halfWidth: (column.max - column.min) / 2 }
  }
  return { center: 0, halfWidth: 1 }
}

export function storedColumns(schema: VaultSchema): StoredColumn[] {
  const out: StoredColumn[] = []
  for (const column of schema.columns) {
    const categories = categoriesOf(column)
    if (categories) {
      for (const category of categories) {
        out.push({ name: onehotName(column.name, category), kind: 'onehot', source: column.name, category })
      }
    } else {
      out.push({ name: column.name, kind: 'value', source: column.name, ...normalizationOf(column) })
    }
    if (column.nullable) out.push({ name: maskName(column.name), kind: 'mask', source: column.name })
  }
  return out
}
