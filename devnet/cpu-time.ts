import { readFileSync } from 'node:fs'

/**
 * /proc reports a process's CPU in USER_HZ ticks, which Linux fixes at 100 a second whatever the
 * kernel's own tick (sysconf(_SC_CLK_TCK)).
 */
const TICKS_PER_SECOND = 100

/**
 * The CPU seconds a process (every thread of it: a validator's evaluation workers too) has used
 * so far, user and system; undefined where there is no /proc (not Linux) or no such process. Wall
 * times on this shared machine move with the other processes' load; the CPU a validator spends on
 * a burst moves much less, so the bench reports both.
 */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  } catch {
    return undefined
  }
}
