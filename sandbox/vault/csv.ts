import type { Readable } from 'node:stream'
import { parse } from 'csv-parse'
import { parse as parseSync } from 'csv-parse/sync'
import { CsvError } from '../errors.ts'
import { type CellEncoder, cellEncoder } from './cell-encoder.ts'
import { type StoredColumn, storedColumns } from './layout.ts'
import type { VaultSchema } from './schema.ts'

export { recordEncoder } from './cell-encoder.ts'

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
  const simple = simpleRecords(text)
  if (simple) return simple
  try {
    return parseSync(text, PARSE_OPTIONS) as unknown as Array<{ record: string[]; info: { lines: number } }>
  } catch (e) {
    const lines =
      typeof e === 'object' && e !== null && 'lines' in e && typeof e.lines === 'number' ? e.lines : 1
    throw new CsvError(`malformed CSV (${e instanceof Error ? e.message : String(e)})`, firstLine - 1 + lines)
  }
}

/**
 * The records of a block in which no field can be quoted or need more than a split: no double quote,
 * line feeds all alone or all after a carriage return, no tab or other control character to trim. Most
 * machine-written CSVs are such, and csv-parse (kept for every other block) costs more than the
 * encryption of what it reads. Gives what csv-parse gives with PARSE_OPTIONS: fields split at
 * commas, spaces around them trimmed, empty lines skipped, `info.lines` the record's line in the
 * block. Undefined when the block needs the full parser.
 */
function simpleRecords(text: string): Array<{ record: string[]; info: { lines: number } }> | undefined {
  // csv-parse takes the first line's ending as every record's: a block mixing CRLF and LF is its.
  if (UNSIMPLE.test(text) || (text.includes('\r') && LF_ALONE.test(text))) return undefined
  const records: Array<{ record: string[]; info: { lines: number } }> = []
  let line = 0
  for (let from = 0; from < text.length; ) {
    let to = text.indexOf('\n', from)
    if (to < 0) to = text.length
    line++
    const end = to > from && text.charCodeAt(to - 1) === 0x0d ? to - 1 : to
    if (end > from) {
      const record = text.slice(from, end).split(',')
      for (let i = 0; i < record.length; i++) {
        const f = record[i]!
        if (f.charCodeAt(0) === 0x20 || f.charCodeAt(f.length - 1) === 0x20) record[i] = trimSpaces(f)
      }
      records.push({ record, info: { lines: line } })
    }
    from = to + 1
  }
  return records
}

/** A double quote, a carriage return not before a line feed, or a control character other than the line feed. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const UNSIMPLE = /["\x00-\x09\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)/

const LF_ALONE = /(?:^|[^\r])\n/

function trimSpaces(f: string): string {
  let a = 0
  let b = f.length
  while (a < b && f.charCodeAt(a) === 0x20) a++
  while (b > a && f.charCodeAt(b - 1) === 0x20) b--
  return f.slice(a, b)
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

/** A Node system error (ENOENT, EACCES, EISDIR, ENOSPC...): it carries an errno code and a syscall. */
export function isIoError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && 'syscall' in e
}
