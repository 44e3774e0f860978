import { describe, expect, it } from 'vitest'
import { DecodeError } from '../../protocol/index.ts'
import { SandboxError } from '../../sandbox/index.ts'
import { StorageError } from '../storage/index.ts'
import { CliError, reportError } from './errors.ts'

describe('the CLI reports errors by their base class', () => {
  const report = (e: unknown, json = false) => {
    const lines: string[] = []
    return { reported: reportError(e, json, (line) => lines.push(line)), lines }
  }

  it('prints any TcfError as code and message, including classes it was never told about', () => {
    expect(report(new CliError('ARGUMENT_INVALID', 'unknown profile x'))).toEqual({
      reported: true,
      lines: ['error [ARGUMENT_INVALID] unknown profile x'],
    })
    expect(report(new SandboxError('CSV_INVALID', 'line 3: not a number')).lines).toEqual([
      'error [CSV_INVALID] line 3: not a number',
    ])
    // Not in the hand-kept list the CLI used to have: it escaped as a stack trace.
    expect(report(new StorageError('CORRUPT_RECORD', 'block 7 is damaged')).lines).toEqual([
      'error [CORRUPT_RECORD] block 7 is damaged',
    ])
  })

  it('prints a JSON object under --json', () => {
    const { lines } = report(new DecodeError('SCHEMA', 'JobRequest', ['buyer'], 'expected an address'), true)
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { error: { code: 'SCHEMA', message: 'JobRequest: SCHEMA at buyer: expected an address' } },
    ])
  })

  it('leaves anything else to surface as the bug it is', () => {
    expect(report(new TypeError('x is undefined'))).toEqual({ reported: false, lines: [] })
    expect(report('a string')).toEqual({ reported: false, lines: [] })
  })
})
