import { type ParseArgsConfig, parseArgs } from 'node:util'
import { DevnetError } from './errors.ts'

type Options = NonNullable<ParseArgsConfig['options']>

/** One devnet script's command line: its options as node:util parseArgs takes them, each described. */
export interface CommandLine<T extends Options> {
  /** how it is run, e.g. `npm run bench:devnet --` */
  readonly command: string
  readonly summary: string
  readonly options: T
  readonly describe: { readonly [K in keyof T]: string }
}

export type CommandValues<T extends Options> = ReturnType<
  typeof parseArgs<{ options: T; strict: true }>
>['values']

export type CommandLineRead<R> =
  | { readonly kind: 'help'; readonly usage: string }
  | { readonly kind: 'run'; readonly options: R }

/** The usage text: the summary, then one line per option with its default. */
export function usageOf<T extends Options>(line: CommandLine<T>): string {
  const rows = Object.entries(line.options).map(([name, option]) => {
    const flag = option.type === 'string' ? `--${name} <value>` : `--${name}`
    const fallback = option.default === undefined ? '' : ` (default: ${String(option.default)})`
    return [flag, `${line.describe[name as keyof T]}${fallback}`] as const
  })
  rows.push(['--help', 'print this and exit'])
  const width = Math.max(...rows.map(([flag]) => flag.length))
  return [
    `usage: ${line.command} [options]`,
    '',
    line.summary,
    '',
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`),
  ].join('\n')
}

/**
 * Reads `argv` against the script's options and turns the values into what the script runs with
 * (`read` checks numbers and lists). An unknown option, a missing value, a stray argument or a value
 * `read` refuses is a DevnetError BAD_OPTION whose message names it and carries the usage.
 */
export function readCommandLine<T extends Options, R>(
  line: CommandLine<T>,
  argv: readonly string[],
  read: (values: CommandValues<T>) => R,
): CommandLineRead<R> {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help', usage: usageOf(line) }
  let values: CommandValues<T>
  try {
    values = parseArgs({
      args: [...argv],
      options: line.options,
      strict: true,
      allowPositionals: false,
    }).values
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause)
    throw new DevnetError('BAD_OPTION', `${why}\n\n${usageOf(line)}`, { cause })
  }
  try {
    return { kind: 'run', options: read(values) }
  } catch (error) {
    if (error instanceof DevnetError && error.code === 'BAD_OPTION')
      throw new DevnetError('BAD_OPTION', `${error.message}\n\n${usageOf(line)}`, { cause: error })
    throw error
  }
}

/** readCommandLine on process.argv: `--help` prints the usage and exits 0, a bad option exits 2. */
export function commandLine<T extends Options, R>(
  line: CommandLine<T>,
  read: (values: CommandValues<T>) => R,
): R {
  try {
    const result = readCommandLine(line, process.argv.slice(2), read)
    if (result.kind === 'run') return result.options
    console.log(result.usage)
    process.exit(0)
  } catch (error) {
    if (!(error instanceof DevnetError && error.code === 'BAD_OPTION')) throw error
    console.error(`${line.command}: ${error.message}`)
    process.exit(2)
  }
}

/**
 * A whole number option (counts, seeds, seconds) in [min, max]: a DevnetError BAD_OPTION naming the
 * option and the text it was given otherwise. Number('') and Number('1e3') are not accepted as counts.
 */
export function wholeNumber(name: string, text: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new DevnetError('BAD_OPTION', `--${name}: "${text}" is not a whole number from ${min} to ${max}`)
  return value
}

/** A comma-separated list of whole numbers, e.g. `--validators 4,7`. */
export const wholeNumbers = (name: string, text: string, min = 0, max = Number.MAX_SAFE_INTEGER): number[] =>
  text.split(',').map((part) => wholeNumber(name, part.trim(), min, max))
