import { FAULT_CLASSES, type SimConfig } from './scenario.ts'

/** The exact `npm run sim` command that replays one run. */
export function replayCommand(config: SimConfig): string {
  const faults = config.faults.size === FAULT_CLASSES.length ? 'all' : [...config.faults].join(',') || 'none'
  const parts = [
    `npm run sim -- --seed ${config.seed} --n ${config.n} --byzantine ${config.byzantine}`,
    `--faults ${faults} --heights ${config.heights}`,
  ]
  if (config.behaviour) parts.push(`--behaviour ${config.behaviour}`)
  if (config.mutation) parts.push(`--mutation ${config.mutation}`)
  if (config.fixedDelay !== undefined) parts.push(`--fixed-delay ${config.fixedDelay}`)
  return parts.join(' ')
}
