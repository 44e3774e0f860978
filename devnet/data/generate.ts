/**
 * The demo vault's data: a seeded synthetic heart-health cohort with known
 * relationships, so every statistic tcf computes on it can be checked.
 *
 *   systolic_bp  = 84 + 0.45 age + 0.95 bmi + 7 smoker - 0.0004 daily_steps + N(0, 9)
 *   diastolic_bp = 18 + 0.42 systolic_bp + N(0, 6)
 *   resting_hr   = 76 + 5 smoker - 0.0005 daily_steps + N(0, 7)
 *
 * bmi, resting_hr and daily_steps are missing in about 3%, 2% and 4% of rows.
 * Run: npm run demo:data [-- --rows 10000 --seed 42 --out devnet/data/heart.csv]
 */
import { writeFileSync } from 'node:fs'
import { commandLine, wholeNumber } from '../command-line.ts'

export const HEADER = [
  'age',
  'sex',
  'bmi',
  'resting_hr',
  'systolic_bp',
  'diastolic_bp',
  'daily_steps',
  'smoker',
  'age_bucket',
] as const

/** sfc32: small, fast and with no bias a demo could notice; identical everywhere. */
function sfc32(seed: number): () => number {
  let a = 0x9e3779b9
  let b = 0x243f6a88
  let c = 0xb7e15162
  let d = seed >>> 0
  const next = () => {
    a >>>= 0
    b >>>= 0
    c >>>= 0
    d >>>= 0
    const t = (((a + b) | 0) + d) | 0
    d = (d + 1) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    c = (c + t) | 0
    return (t >>> 0) / 4294967296
  }
  for (let i = 0; i < 15; i++) next()
  return next
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v))
}

export function ageBucket(age: number): string {
  if (age < 30) return '18-29'
  if (age < 40) return '30-39'
  if (age < 50) return '40-49'
  if (age < 60) return '50-59'
  if (age < 70) return '60-69'
  return '70+'
}

export function generateHeartCsv(rows: number, seed: number): string {
  const random = sfc32(seed)
  const gaussian = () => {
    const u = 1 - random()
    const v = random()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }
  const lines: string[] = [HEADER.join(',')]
  for (let i = 0; i < rows; i++) {
    const age = Math.round(clamp(48 + 15 * gaussian(), 18, 90))
    const sex = random() < 0.51 ? 'F' : 'M'
    const smoker = random() < 0.22
    const bmi = Math.round(clamp(27 + 4.5 * gaussian(), 15, 50) * 10) / 10
    const steps = Math.round(clamp(7500 + 3500 * gaussian() - (age - 48) * 40, 0, 30000))
    const sbp = Math.round(
      clamp(84 + 0.45 * age + 0.95 * bmi + (smoker ? 7 : 0) - 0.0004 * steps + 9 * gaussian(), 80, 220),
    )
    const dbp = Math.round(clamp(18 + 0.42 * sbp + 6 * gaussian(), 50, 130))
    const hr = Math.round(clamp(76 + (smoker ? 5 : 0) - 0.0005 * steps + 7 * gaussian(), 40, 120))
    const missing = (rate: number) => random() < rate
    lines.push(
      [
        age,
        sex,
        missing(0.03) ? '' : bmi.toFixed(1),
        missing(0.02) ? '' : hr,
        sbp,
        dbp,
        missing(0.04) ? '' : steps,
        smoker ? 'true' : 'false',
        ageBucket(age),
      ].join(','),
    )
  }
  return `${lines.join('\n')}\n`
}

if (import.meta.main) {
  const values = commandLine(
    {
      command: 'npm run demo:data --',
      summary: "The demo seller's synthetic heart-health records, as CSV.",
      options: {
        rows: { type: 'string', default: '10000' },
        seed: { type: 'string', default: '42' },
        out: { type: 'string', default: new URL('./heart.csv', import.meta.url).pathname },
      },
      describe: { rows: 'records to write', seed: 'the generator seed', out: 'the CSV file' },
    },
    (v) => ({ ...v, rows: wholeNumber('rows', v.rows, 1, 10_000_000), seed: wholeNumber('seed', v.seed) }),
  )
  writeFileSync(values.out, generateHeartCsv(values.rows, values.seed))
  console.log(`wrote ${values.rows} rows (seed ${values.seed}) to ${values.out}`)
}
