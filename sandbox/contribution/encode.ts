import { CsvError } from '../errors.ts'
import { PROFILES } from '../he/profiles.ts'
import { recordEncoder } from '../vault/cell-encoder.ts'
import { storedColumns } from '../vault/layout.ts'
import { ContributionError } from './errors.ts'
import { CONTRIBUTORS, type PoolLayout } from './layout.ts'

/** One record as a contributor holds it: a value per schema column; null, undefined or '' is missing. */
export type PoolRecord = Readonly<Record<string, string | number | boolean | null | undefined>>

/**
 * A contributor's records as the slot values of its contribution, on its
 * own side: slot i is Σ over the records of monomial i's product of stored
 * values. Each record is checked against the pool schema first; a bad one
 * is a RECORD_INVALID naming `records.<i>.<column>`.
 */
export function encodeContribution(layout: PoolLayout, records: readonly PoolRecord[]): Float64Array {
  if (records.length === 0) throw new ContributionError('RECORD_INVALID', 'records', 'no records')
  if (records.length > layout.maxRecords) {
    throw new ContributionError(
      'TOO_MANY_RECORDS',
      'records',
      `${records.length} records; a contribution to this pool holds at most ${layout.maxRecords}`,
    )
  }
  const columns = new Set(layout.schema.columns.map((c) => c.name))
  const index = new Map(storedColumns(layout.schema).map((c, i) => [c.name, i]))
  const counted = layout.monomials.map((m) => m.startsWith(CONTRIBUTORS))
  const factors = layout.monomials.map((m, i) =>
    m
      .slice(counted[i] ? CONTRIBUTORS.length : 0)
      .split('*')
      .map((f) => index.get(f)!),
  )
  const encode = recordEncoder(layout.schema)
  const slots = new Float64Array(PROFILES[layout.profile].slotCount)
  records.forEach((record, r) => {
    const extra = Object.keys(record).find((k) => !columns.has(k))
    if (extra !== undefined) {
      throw new ContributionError(
        'RECORD_INVALID',
        `records.${r}.${extra}`,
        'not a column of the pool schema',
      )
    }
    const cells: Record<string, string> = {}
    for (const [k, v] of Object.entries(record)) cells[k] = v === null || v === undefined ? '' : String(v)
    let values: Float64Array
    try {
      values = encode(cells, r)
    } catch (e) {
      if (!(e instanceof CsvError)) throw e
      const message = e.message.replace(/^line \d+(, column [^:]*)?: /, '')
      throw new ContributionError('RECORD_INVALID', `records.${r}.${e.column ?? ''}`, message, { cause: e })
    }
    factors.forEach((fs, i) => {
      let product = 1
      for (const f of fs) product *= values[f]!
      slots[i]! += product
    })
  })
  // This contributor is one of the contributors to a 0/1 monomial if any of its records is in it.
  counted.forEach((c, i) => {
    if (c) slots[i] = slots[i]! > 0 ? 1 : 0
  })
  return slots
}
