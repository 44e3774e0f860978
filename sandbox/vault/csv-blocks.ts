/**
 * Cuts a CSV byte stream into blocks of whole records without parsing it,
 * so that parsing can happen in the encryption workers: the main thread
 * only looks for line feeds outside double quotes (both single bytes in
 * UTF-8, never inside a multi-byte character). The first block is the
 * header record alone; each later one holds up to `recordsPerBlock`
 * records. Empty lines are not counted (the parser skips them too), so a
 * block may parse to fewer records, never to more.
 */
export interface CsvBlock {
  readonly text: Uint8Array
  /** the file's line number of the block's first line */
  readonly firstLine: number
}

const QUOTE = 0x22
const LF = 0x0a
const CR = 0x0d
const BOM = [0xef, 0xbb, 0xbf]

export async function* csvBlocks(
  input: AsyncIterable<Uint8Array | string>,
  recordsPerBlock: number,
): AsyncGenerator<CsvBlock> {
  let pending: Uint8Array[] = []
  let pendingBytes = 0
  let inQuote = false
  let content = false
  let records = 0
  let target = 1 // the header first
  let line = 1
  let firstLine = 1
  let start = true
  const take = (): CsvBlock => {
    const text = new Uint8Array(pendingBytes)
    let at = 0
    for (const p of pending) {
      text.set(p, at)
      at += p.length
    }
    pending = []
    pendingBytes = 0
    return { text, firstLine }
  }
  for await (const piece of input) {
    let chunk = typeof piece === 'string' ? new TextEncoder().encode(piece) : piece
    if (start) {
      start = false
      if (BOM.every((b, i) => chunk[i] === b)) chunk = chunk.subarray(BOM.length)
    }
    let from = 0
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!
      if (b === QUOTE) {
        inQuote = !inQuote
        content = true
      } else if (b === LF) {
        line++
        if (inQuote) continue
        if (content) records++
        content = false
        if (records === target) {
          const part = chunk.subarray(from, i + 1)
          pending.push(part)
          pendingBytes += part.length
          yield take()
          from = i + 1
          firstLine = line
          records = 0
          target = recordsPerBlock
        }
      } else if (b !== CR) {
        content = true
      }
    }
    const rest = chunk.subarray(from)
    if (rest.length > 0) {
      // Copied: a stream may reuse its buffers once the next piece is read.
      pending.push(rest.slice())
      pendingBytes += rest.length
    }
  }
  if (content) records++
  if (records > 0) yield take()
}
