/**
 * A Byzantine validator process for the e2e: the real daemon, started like
 * `tcf node start --home <home> --passphrase-file <file>`, publishing through
 * byzantineNetwork. The plan is a JSON file named by TCF_BYZANTINE_PLAN,
 * re-read before every proposal and vote (absent = honest). TCF_BYZANTINE_DKG_CORRUPT_SHARE_TO
 * makes it a dishonest DKG dealer. TCF_SLOW_VALIDATOR_SET_MS makes an honest but slow one: each
 * validator set it reads from the registry (at start and at an epoch change) answers that late.
 */
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { readPassphrase } from '../../node/cli/passphrase.ts'
import { Daemon } from '../../node/daemon.ts'
import { loadHome } from '../../node/home.ts'
import type { NodeChain } from '../../node/ports.ts'
import type { Address } from '../../protocol/index.ts'
import { type ByzantinePlan, byzantineNetwork } from './byzantine-network.ts'

const { values } = parseArgs({
  options: { home: { type: 'string' }, 'passphrase-file': { type: 'string' } },
})
if (!values.home) throw new Error('--home is required')
const home = values.home
const passphrase = await readPassphrase({ passphraseFile: values['passphrase-file'] })
const { config, validatorKey } = await loadHome(home, passphrase)
const planFile = process.env.TCF_BYZANTINE_PLAN

const plan = async (): Promise<ByzantinePlan> => {
  if (!planFile) return {}
  const text = await readFile(planFile, 'utf8').catch(() => undefined)
  return text ? (JSON.parse(text) as ByzantinePlan) : {}
}

const slowSetMs = Number(process.env.TCF_SLOW_VALIDATOR_SET_MS ?? 0)

// A dealer that deals this member (1-based, set order) a share that does not open its commitment.
const corruptShareTo = process.env.TCF_BYZANTINE_DKG_CORRUPT_SHARE_TO

const daemon = await Daemon.start({
  home,
  passphrase,
  ...(corruptShareTo ? { dkg: { corruptShareTo: Number(corruptShareTo) } } : {}),
  ...(slowSetMs > 0
    ? {
        wrapChain: (chain: NodeChain): NodeChain => ({
          ...chain,
          validatorSet: async (epoch) => {
            await new Promise((resolve) => setTimeout(resolve, slowSetMs))
            return chain.validatorSet(epoch)
          },
        }),
      }
    : {}),
  wrapNetwork: (network, node) =>
    byzantineNetwork(network, node, {
      validatorKey,
      domain: {
        chainId: BigInt(config.chain.chainId),
        verifyingContract: config.chain.addresses.validatorRegistry.toLowerCase() as Address,
      },
      plan,
      report: (act) => process.stdout.write(`${JSON.stringify(act)}\n`),
    }),
})

await new Promise<void>((resolve) => {
  const stop = () => void daemon.stop().finally(resolve)
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
})
