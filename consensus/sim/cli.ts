import { parseArgs } from 'node:util'
import { MUTATIONS, type Mutation } from '../mutation.ts'
import { SimulationError } from './errors.ts'
import { replayCommand } from './replay.ts'
import { BYZANTINE_BEHAVIOURS, type ByzantineBehaviour, FAULT_CLASSES, type FaultClass } from './scenario.ts'
import { runSimulation, type SimResult } from './simulation.ts'

const USAGE = `usage: npm run sim -- [--seeds N | --seed S] [--n 4] [--byzantine 1] [--faults all|none|${FAULT_CLASSES.join(',')}]
                      [--heights 5] [--first-seed 1] [--fixed-delay MS] [--behaviour ${BYZANTINE_BEHAVIOURS.join('|')}] [--mutation ${MUTATIONS.join('|')}]`

function parseFaults(text: string): Set<FaultClass> {
  if (text === 'all') return new Set(FAULT_CLASSES)
  if (text === 'none') return new Set()
  const faults = text.split(',')
  for (const fault of faults) {
    if (!FAULT_CLASSES.includes(fault as FaultClass))
      throw new SimulationError('invalid-config', `unknown fault class ${fault}\n${USAGE}`)
  }
  return new Set(faults as FaultClass[])
}

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  what: string,
): T | undefined {
  if (value === undefined) return undefined
  if (!allowed.includes(value as T))
    throw new SimulationError('invalid-config', `unknown ${what} ${value}\n${USAGE}`)
  return value as T
}

function integer(value: string, name: string): number {
  const parsed = Number(value)
  if (!Number.isSafeInteger(parsed))
    throw new SimulationError('invalid-config', `--${name} needs an integer, got ${value}`)
  return parsed
}

function main(): void {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string' },
      seed: { type: 'string' },
      'first-seed': { type: 'string', default: '1' },
      n: { type: 'string', default: '4' },
      byzantine: { type: 'string' },
      faults: { type: 'string', default: 'all' },
      heights: { type: 'string', default: '5' },
      behaviour: { type: 'string' },
      mutation: { type: 'string' },
      'fixed-delay': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help) {
    console.log(USAGE)
    return
  }
  const n = integer(values.n, 'n')
  const behaviour = oneOf<ByzantineBehaviour>(values.behaviour, BYZANTINE_BEHAVIOURS, 'behaviour')
  const mutation = oneOf<Mutation>(values.mutation, MUTATIONS, 'mutation')
  const base = {
    n,
    byzantine:
      values.byzantine === undefined ? Math.floor((n - 1) / 3) : integer(values.byzantine, 'byzantine'),
    faults: parseFaults(values.faults),
    heights: integer(values.heights, 'heights'),
    ...(behaviour ? { behaviour } : {}),
    ...(mutation ? { mutation } : {}),
    ...(values['fixed-delay'] === undefined
      ? {}
      : { fixedDelay: integer(values['fixed-delay'], 'fixed-delay') }),
  }
  const single = values.seed !== undefined
  const first = single ? integer(values.seed ?? '', 'seed') : integer(values['first-seed'], 'first-seed')
  const count = single ? 1 : integer(values.seeds ?? '100', 'seeds')
  const started = performance.now()
  const failures: SimResult[] = []
  for (let seed = first; seed < first + count; seed++) {
    const result = runSimulation({ seed, ...base })
    if (!result.ok) {
      failures.push(result)
      const violation = result.violations[0]!
      console.log(`FAIL seed ${seed}: ${violation.kind} at ${violation.at} ms: ${violation.detail}`)
      console.log(`  replay: ${replayCommand(result.config)}`)
    } else if (single) {
      const rounds = result.heights.map((h) => h.round).join(',')
      console.log(
        `seed ${seed}: ok, ${result.heights.length} heights in ${result.simulatedMs} ms simulated, decision rounds ${rounds}, ` +
          `${result.consensusMessages} consensus + ${result.statusMessages} status messages, ${result.evidence} evidence`,
      )
    }
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  console.log(`${count - failures.length} passed, ${failures.length} failed (${count} seeds, ${seconds} s)`)
  process.exitCode = failures.length === 0 ? 0 : 1
}

main()
