import { CsvError } from '../errors.ts'
import { normalizationOf, type StoredColumn, storedColumns } from './layout.ts'
import type { Column, VaultSchema } from './schema.ts'
import { categoriesOf } from './schema.ts'

/**
 * Schema cells to stored column values: the one rule every record follows,
 * whether a seller's CSV line or a pool contributor's record in a browser.
 * Free of CSV parsing and of Node, so the browser bundle can carry it.
 */

const MISSING = new Set(['', 'na', 'n/a', 'null'])
const MISSING_LONGEST = Math.max(...[...MISSING].map((m) => m.length))

export type CellEncoder = (cell: string, out: Float64Array, line: number) => void

/**
 * One record given as cells by column name (a missing or empty cell is a
 * missing value), encoded as the stored columns' values in layout order:
 * what a pool contributor encodes on its own side. Errors are CsvErrors
 * naming `line` (the record's position) and the column.
 */
export function recordEncoder(
  schema: VaultSchema,
): (cells: Readonly<Record<string, string | undefined>>, line: number) => Float64Array {
  const layout = storedColumns(schema)
  const plan = schema.columns.map((c) => [c.name, cellEncoder(c, layout)] as const)
  return (cells, line) => {
    const values = new Float64Array(layout.length)
    for (const [name, encode] of plan) encode(cells[name] ?? '', values, line)
    return values
  }
}

export function cellEncoder(column: Column, layout: StoredColumn[]): CellEncoder {
  const indexOf = (name: string) => layout.findIndex((s) => s.name === name)
  const maskIndex = layout.findIndex((s) => s.kind === 'mask' && s.source === column.name)
  const parseValue = valueParser(column)
  const categories = categoriesOf(column)
  const onehotIndex = categories?.map((c) =>
    layout.findIndex((s) => s.source === column.name && s.category === c),
  )
  const valueIndex = indexOf(column.name)
  const { center, halfWidth } = normalizationOf(column)

  return (cell, out, line) => {
    // Length first: a lower-cased copy of every cell costs more than the check.
    if (cell.length <= MISSING_LONGEST && MISSING.has(cell.toLowerCase())) {
      if (!column.nullable)
        throw new CsvError('missing value in a column that is not nullable', line, column.name)
      return // every stored column of this source stays 0, the mask included
    }
    const parsed = parseValue(cell)
    if (typeof parsed === 'string') throw new CsvError(parsed, line, column.name)
    if (maskIndex >= 0) out[maskIndex] = 1
    if (onehotIndex) out[onehotIndex[parsed]!] = 1
    else out[valueIndex] = (parsed - center) / halfWidth
  }
}

/** Returns the cell's number (a category index for one-hot columns) or a message saying what is wrong. */
function valueParser(column: Column): (cell: string) => number | string {
  switch (column.type) {
    case 'number':
      return (cell) => inRange(Number(cell), cell, column.min, column.max, 'a number')
    case 'integer':
      return (cell) =>
        /^[+-]?\d+$/.test(cell)
          ? inRange(Number(cell), cell, column.min, column.max, 'an integer')
          : `"${cell}" is not an integer`
    case 'boolean':
      return (cell) => {
        const v = cell.toLowerCase()
        if (v === 'true' || v === '1' || v === 'yes') return 1
        if (v === 'false' || v === '0' || v === 'no') return 0
        return `"${cell}" is not a boolean (true/false, 1/0, yes/no)`
      }
    case 'categorical':
      return (cell) => {
        const i = column.categories.indexOf(cell)
        return i >= 0
          ? i
          : `"${cell}" is not one of the declared categories (${column.categories.join(', ')})`
      }
    case 'bucketed': {
      const { edges } = column
      return (cell) => {
        const v = inRange(Number(cell), cell, edges[0]!, edges[edges.length - 1]!, 'a number')
        if (typeof v === 'string') return v
        let i = 0
        while (i + 2 < edges.length && v >= edges[i + 1]!) i++
        return i
      }
    }
  }
}

function inRange(v: number, cell: string, min: number, max: number, what: string): number | string {
  if (cell === '' || !Number.isFinite(v)) return `"${cell}" is not ${what}`
  if (v < min || v > max) return `${cell} is outside the declared range [${min}, ${max}]`
  return v
}
