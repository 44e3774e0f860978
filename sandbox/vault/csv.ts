import type { Readable } from 'node:stream'
import { parse } from 'csv-parse'
import { parse as parseSync } from 'csv-parse/sync'
import { CsvError } from '../errors.ts'
import { normalizationOf, type StoredColumn, storedColumns } from './layout.ts'
import type { Column, VaultSchema } from './schema.ts'
import { categoriesOf } from './schema.ts'

const MISSING = new Set(['', 'na', 'n/a', 'null'])

/** One CSV record, already encoded as the stored columns' values in layout order. */
export interface EncodedRow {
  readonly line: number
  readonly values: Float64Array
}

/**
 * Streams a CSV whose header names exactly the schema's columns (any order)
 * and yields each record encoded for encryption. Any cell that does not fit
 * the schema stops the stream with a CsvError naming the line and column:
 * a vault is built from all of the seller's rows or none.
 */
export async function* readCsv(input: Readable, schema: VaultSchema): AsyncGenerator<EncodedRow> {
  const layout = storedColumns(schema)
  const parser = input.pipe(
    parse({ bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true }),
  )
  // pipe() does not forward a read error: without this the loop below would wait forever.
  input.once('error', (e) => parser.destroy(e))
  let plan: CellEncoder[] | undefined
  try {
    for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record, info } = item
      if (!plan) {
        plan = headerPlan(record, schema, layout, info.lines)
        continue
      }
      if (record.length !== plan.length) {
        throw new CsvError(`expected ${plan.length} fields, found ${record.length}`, info.lines)
      }
      const values = new Float64Array(layout.length)
      for (let i = 0; i < plan.length; i++) plan[i]!(record[i]!, values, info.lines)
      yield { line: info.lines, values }
    }
  } catch (e) {
    if (e instanceof CsvError) throw e
    // The file could not be read (not a malformed CSV): the caller names the file.
    if (isIoError(e)) throw e
    const line =
      typeof e === 'object' && e !== null && 'lines' in e && typeof e.lines === 'number' ? e.lines : 0
    throw new CsvError(`malformed CSV (${e instanceof Error ? e.message : String(e)})`, line)
  }
  if (!plan) throw new CsvError('the file is empty: expected a header line', 1)
}

const PARSE_OPTIONS = { trim: true, skip_empty_lines: true, relax_column_count: true, info: true } as const

/** A CSV's header record, checked against the schema: what `encodeBlock` needs to read its rows. */
export function readHeader(text: string, schema: VaultSchema, firstLine: number): string[] {
  const records = parseBlock(text, firstLine)
  const header = records[0]
  if (!header) throw new CsvError('the file is empty: expected a header line', 1)
  headerPlan(header.record, schema, storedColumns(schema), firstLine - 1 + header.info.lines)
  return header.record
}

/**
 * One block of a CSV's records (see csvBlocks), parsed and encoded as the
 * stored columns' values, a `slots`-long array per stored column: what an
 * encryption worker encrypts. Errors name the file's line, as readCsv's do.
 */
export function encodeBlock(
  text: string,
  schema: VaultSchema,
  header: readonly string[],
  firstLine: number,
  slots: number,
): { columns: Float64Array[]; count: number } {
  const layout = storedColumns(schema)
  const plan = headerPlan([...header], schema, layout, 1)
  const records = parseBlock(text, firstLine)
  if (records.length > slots) {
    throw new CsvError(`more than ${slots} records in one block: lines must end with \n or \r\n`, firstLine)
  }
  const columns = layout.map(() => new Float64Array(slots))
  const values = new Float64Array(layout.length)
  records.forEach(({ record, info }, row) => {
    const line = firstLine - 1 + info.lines
    if (record.length !== plan.length) {
      throw new CsvError(`expected ${plan.length} fields, found ${record.length}`, line)
    }
    values.fill(0)
    for (let i = 0; i < plan.length; i++) plan[i]!(record[i]!, values, line)
    for (let c = 0; c < layout.length; c++) columns[c]![row] = values[c]!
  })
  return { columns, count: records.length }
}

function parseBlock(text: string, firstLine: number): Array<{ record: string[]; info: { lines: number } }> {
  try {
    return parseSync(text, PARSE_OPTIONS) as unknown as Array<{ record: string[]; info: { lines: number } }>
  } catch (e) {
    const lines =
      typeof e === 'object' && e !== null && 'lines' in e && typeof e.lines === 'number' ? e.lines : 1
    throw new CsvError(`malformed CSV (${e instanceof Error ? e.message : String(e)})`, firstLine - 1 + lines)
  }
}

type CellEncoder = (cell: string, out: Float64Array, line: number) => void

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

function headerPlan(
  header: string[],
  schema: VaultSchema,
  layout: StoredColumn[],
  line: number,
): CellEncoder[] {
  const byName = new Map(schema.columns.map((c) => [c.name, c]))
  const seen = new Set<string>()
  const plan = header.map((name, i) => {
    const column = byName.get(name)
    if (!column) throw new CsvError(`header field ${i + 1} "${name}" is not a schema column`, line)
    if (seen.has(name)) throw new CsvError(`column "${name}" appears twice in the header`, line)
    seen.add(name)
    return cellEncoder(column, layout)
  })
  const absent = schema.columns.find((c) => !seen.has(c.name))
  if (absent) throw new CsvError(`the header has no column "${absent.name}"`, line)
  return plan
}

function cellEncoder(column: Column, layout: StoredColumn[]): CellEncoder {
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
    if (MISSING.has(cell.toLowerCase())) {
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

/** A Node system error (ENOENT, EACCES, EISDIR, ENOSPC...): it carries an errno code and a syscall. */
export function isIoError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && 'syscall' in e
}
