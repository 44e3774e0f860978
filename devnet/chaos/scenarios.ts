import { ValidatorSet } from '../../consensus/index.ts'
import type { NodeStatus } from '../../node/index.ts'
import type { Address } from '../../protocol/index.ts'
import { DevnetError } from '../errors.ts'
import type { ChaosNetwork } from './network.ts'
import { sleep } from './validator.ts'

/**
 * A fault and when it strikes. `setup` runs before the first job; `strike`
 * runs once a few jobs are in, alongside the rest of the submissions, and
 * returns when the fault is over (the node restarted, the link healed).
 */
export interface Scenario {
  readonly name: string
  readonly description: string
  setup?(net: ChaosNetwork): void
  strike?(net: ChaosNetwork): Promise<void>
}

const KILLED = 3
const PARTITIONED = 2

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'latency-loss',
    description: '100 ms latency and 5% loss on every validator link',
    setup: (net) => Object.assign(net.conditions, { delayMs: 100, lossPercent: 5 }),
  },
  {
    name: 'kill-restart',
    description: `validator ${KILLED} SIGKILLed, restarted 5 s later`,
    strike: async (net) => {
      const victim = net.validators[KILLED]!
      await victim.kill('SIGKILL')
      await sleep(5_000)
      await victim.restart()
    },
  },
  {
    name: 'partition',
    description: `validator ${PARTITIONED} cut off for 30 s, then healed`,
    strike: async (net) => {
      await net.lab.setLink(PARTITIONED, false)
      try {
        await sleep(30_000)
      } finally {
        await net.lab.setLink(PARTITIONED, true)
      }
    },
  },
  {
    name: 'proposer-kill',
    description: 'the proposer of the round in progress SIGKILLed, restarted 8 s later',
    strike: async (net) => {
      const status = (await net.validators[0]!.api.api<NodeStatus>('/v1/status')).body
      const set = new ValidatorSet(
        status.validators.map((v) => ({ address: v.address.toLowerCase() as Address, power: v.power })),
      )
      // The node reports its last decided height; the round in progress is at the next one.
      const proposer = set.proposer(status.height + 1, status.round)
      const victim = net.validators.find((v) => v.api.address.toLowerCase() === proposer)
      if (victim === undefined)
        throw new DevnetError('UNKNOWN_PROPOSER', `proposer ${proposer} is none of the validators`)
      await victim.kill('SIGKILL')
      await sleep(8_000)
      await victim.restart()
    },
  },
]
