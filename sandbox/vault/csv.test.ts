import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { CsvError } from '../errors.ts'
import { encodeBlock, readCsv } from './csv.ts'
import { storedColumns } from './layout.ts'
import type { VaultSchema } from './schema.ts'

const schema: VaultSchema = {
  columns: [
    { name: 'age', type: 'integer', min: 18, max: 90, nullable: false },
    { name: 'bmi', type: 'number', min: 15, max: 50, nullable: true },
    { name: 'smoker', type: 'boolean', nullable: false },
    { name: 'sex', type: 'categorical', categories: ['F', 'M'], nullable: false },
    { name: 'steps', type: 'bucketed', edges: [0, 5000, 10000, 30000], nullable: false },
  ],
}

async function read(csv: string) {
  const rows = []
  for await (const row of readCsv(Readable.from([csv]), schema)) rows.push(row)
  return rows
}

async function failure(csv: string): Promise<CsvError> {
  try {
    await read(csv)
  } catch (e) {
    expect(e).toBeInstanceOf(CsvError)
    return e as CsvError
  }
  throw new Error('expected a CsvError')
}

const header = 'age,bmi,smoker,sex,steps'

describe('readCsv', () => {
  it('encodes values normalized, masks, one-hot categories and buckets', async () => {
    const rows = await read(`${header}\n54,32.5,true,M,7500\n18,,no,F,30000\n`)
    const layout = storedColumns(schema).map((s) => s.name)
    const byName = (values: Float64Array) => Object.fromEntries(layout.map((n, i) => [n, values[i]]))
    expect(byName(rows[0]!.values)).toEqual({
      age: 0, // (54 - 54) / 36
      bmi: (32.5 - 32.5) / 17.5,
      'bmi#present': 1,
      smoker: 1,
      'sex=F': 0,
      'sex=M': 1,
      'steps=[0,5000)': 0,
      'steps=[5000,10000)': 1,
      'steps=[10000,30000]': 0,
    })
    const second = byName(rows[1]!.values)
    expect(second.age).toBe(-1)
    expect(second.bmi).toBe(0)
    expect(second['bmi#present']).toBe(0)
    expect(second['steps=[10000,30000]']).toBe(1)
    expect(rows.map((r) => r.line)).toEqual([2, 3])
  })

  it('accepts the header columns in any order', async () => {
    const rows = await read('sex,steps,age,smoker,bmi\nF,10,30,false,20\n')
    expect(rows).toHaveLength(1)
  })

  it.each([
    ['a wrong type', `${header}\n54,32.5,true,M,7500\nold,20,true,F,10\n`, 3, 'age', /not an integer/],
    [
      'an out-of-range value',
      `${header}\n54,75.2,true,M,7500\n`,
      2,
      'bmi',
      /outside the declared range \[15, 50\]/,
    ],
    ['an unknown category', `${header}\n54,20,true,X,7500\n`, 2, 'sex', /not one of the declared categories/],
    ['a bad boolean', `${header}\n54,20,maybe,F,7500\n`, 2, 'smoker', /not a boolean/],
    ['a missing cell in a non-nullable column', `${header}\n,20,true,F,7500\n`, 2, 'age', /not nullable/],
    ['a non-finite number', `${header}\n54,Infinity,true,F,7500\n`, 2, 'bmi', /not a number/],
  ])('names line and column for %s', async (_what, csv, line, column, message) => {
    const e = await failure(csv)
    expect(e.code).toBe('CSV_INVALID')
    expect(e.line).toBe(line)
    expect(e.column).toBe(column)
    expect(e.message).toMatch(message)
    expect(e.message).toContain(`line ${line}, column ${column}`)
  })

  it('names the line of a row with the wrong column count', async () => {
    const e = await failure(`${header}\n54,20,true,F,7500\n54,20,true,F\n`)
    expect(e.line).toBe(3)
    expect(e.message).toMatch(/expected 5 fields, found 4/)
  })

  it('rejects headers that do not match the schema', async () => {
    expect((await failure('age,bmi,smoker,sex\n')).message).toMatch(/no column "steps"/)
    expect((await failure(`${header},extra\n`)).message).toMatch(/"extra" is not a schema column/)
    expect((await failure('age,age,bmi,smoker,sex,steps\n')).message).toMatch(/appears twice/)
    expect((await failure('')).message).toMatch(/empty/)
  })

  it('turns malformed CSV quoting into a CsvError with its line', async () => {
    const e = await failure(`${header}\n54,20,true,"F,7500\n`)
    expect(e.code).toBe('CSV_INVALID')
    expect(e.message).toMatch(/malformed CSV/)
  })

  it('reads a block without quotes as csv-parse does: spaces trimmed, CRLF, empty lines, line numbers', () => {
    const fields = header.split(',')
    // The same records twice: plain (the fast split) and with one field quoted (csv-parse).
    const plain = ' 54 , 32.5,true ,M,7500\n\n18,,no,F, 30000\n\n60,NA,1,M,0'
    const quoted = plain.replace('true', '"true"')
    const a = encodeBlock(plain, schema, fields, 2, 8)
    expect(a.count).toBe(3)
    expect(a).toEqual(encodeBlock(quoted, schema, fields, 2, 8))
    const crlf = plain.replaceAll('\n', '\r\n')
    expect(encodeBlock(crlf, schema, fields, 2, 8)).toEqual(a)
    expect(encodeBlock(crlf.replace('true', '"true"'), schema, fields, 2, 8)).toEqual(a)
    // Mixed endings: csv-parse's reading (the first line's ending only), whichever it is.
    const mixed = plain.replace('\n', '\r\n')
    expect(() => encodeBlock(mixed, schema, fields, 2, 8)).toThrow('expected 5 fields, found 9')
    // A bad cell names the same file line on either path (line 2 is the block's first).
    const bad = (text: string) => {
      try {
        encodeBlock(text, schema, fields, 2, 8)
      } catch (e) {
        return (e as CsvError).field
      }
      return undefined
    }
    expect(bad(plain.replace('60,', '91,'))).toBe('line 6, column age')
    expect(bad(quoted.replace('60,', '91,'))).toBe('line 6, column age')
    expect(bad(plain.replace('18,,', '18,'))).toBe(bad(quoted.replace('18,,', '18,')))
  })
})
