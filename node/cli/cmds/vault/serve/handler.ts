import { readKeystoreFile } from '../../../../../protocol/index.ts'
import { VaultAgent } from '../../../../agent/index.ts'
import { createLogger } from '../../../../log.ts'
import { readPassphrase } from '../../../passphrase.ts'
import type { ServeArgs } from './options.ts'

/**
 * Runs the vault agent: JSON logs (pino) on stdout, one line per decision,
 * never a decrypted value. With --once, one poll and a summary.
 */
export async function serveHandler(args: ServeArgs): Promise<void> {
  const passphrase = await readPassphrase(args)
  const ownerKey = await readKeystoreFile(args.ownerKey, passphrase)
  const logger = createLogger({ level: process.env.TCF_LOG_LEVEL ?? 'info', name: 'tcf-vault-agent' })
  const agent = new VaultAgent({
    vaultDir: args.vault,
    keysDir: args.keys,
    passphrase,
    ownerKey,
    nodes: args.node.map(String),
    logger,
  })
  await agent.start()
  try {
    if (args.once) {
      const report = await agent.runOnce()
      logger.info(
        { released: report.released.length, refused: report.refused.length, pending: report.pending },
        'served once',
      )
      if (args.json) console.log(JSON.stringify(report))
      return
    }
    const stop = new AbortController()
    const onSignal = () => stop.abort()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    await agent.run(stop.signal, args.pollMs)
    logger.info('stopped')
  } finally {
    await agent.stop()
  }
}
