import { describe, expect, it } from 'vitest'
import { type CommandLine, readCommandLine, usageOf, wholeNumber, wholeNumbers } from './command-line.ts'
import { DevnetError } from './errors.ts'

const line = {
  command: 'npm run bench:x --',
  summary: 'A bench.',
  options: {
    jobs: { type: 'string', default: '40' },
    sizes: { type: 'string', default: '4,7' },
    keep: { type: 'boolean', default: false },
  },
  describe: { jobs: 'jobs in the burst', sizes: 'network sizes', keep: 'keep the logs' },
} as const satisfies CommandLine<Record<string, { type: 'string' | 'boolean'; default: string | boolean }>>

const read = (argv: string[]) =>
  readCommandLine(line, argv, (v) => ({
    jobs: wholeNumber('jobs', v.jobs, 1, 100),
    sizes: wholeNumbers('sizes', v.sizes, 1, 16),
    keep: v.keep,
  }))

/** The BAD_OPTION message `argv` is refused with; anything else fails the test. */
function refusal(argv: string[]): string {
  try {
    read(argv)
  } catch (error) {
    if (error instanceof DevnetError && error.code === 'BAD_OPTION') return error.message
    throw error
  }
  throw new Error(`${argv.join(' ')} was accepted`)
}

describe('devnet command lines', () => {
  it('reads options into what the script runs with, defaults included', () => {
    expect(read([])).toEqual({ kind: 'run', options: { jobs: 40, sizes: [4, 7], keep: false } })
    expect(read(['--jobs', '80', '--sizes', '4', '--keep'])).toEqual({
      kind: 'run',
      options: { jobs: 80, sizes: [4], keep: true },
    })
  })

  it('answers --help with the usage: every option, its description and its default', () => {
    const help = read(['--jobs', '3', '--help'])
    expect(help).toEqual({ kind: 'help', usage: usageOf(line) })
    const usage = usageOf(line)
    expect(usage).toMatch(/^usage: npm run bench:x -- \[options\]/)
    expect(usage).toMatch(/--jobs <value> +jobs in the burst \(default: 40\)/)
    expect(usage).toMatch(/--keep +keep the logs \(default: false\)/)
    expect(usage).toMatch(/--help +print this and exit/)
  })

  it('refuses an unknown option, a missing value or a stray argument, naming it, with the usage', () => {
    expect(refusal(['--jobz', '3'])).toMatch(/Unknown option '--jobz'[\s\S]*usage: npm run bench:x/)
    expect(refusal(['--jobs'])).toMatch(/--jobs/)
    expect(refusal(['80'])).toMatch(/Unexpected argument '80'/)
  })

  it('refuses a count that is not a whole number in range, naming the option and the text', () => {
    for (const text of ['', 'abc', '1e3', '-1', '2.5', '0', '101', ' 7'])
      expect(refusal([`--jobs=${text}`])).toMatch(
        new RegExp(
          `--jobs: "${text.replace('.', '\\.')}" is not a whole number from 1 to 100[\\s\\S]*usage:`,
        ),
      )
    expect(refusal(['--sizes', '4,x'])).toMatch(/--sizes: "x" is not a whole number from 1 to 16/)
    expect(refusal(['--sizes', '4,17'])).toMatch(/--sizes: "17"/)
  })

  it('lets an error of the script itself through unchanged', () => {
    const broken = () =>
      readCommandLine(line, [], () => {
        throw new RangeError('not an option problem')
      })
    expect(broken).toThrow(RangeError)
  })
})
