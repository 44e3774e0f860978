/**
 * The compose devnet's demo container: the demo seller and buyer of
 * `npm run devnet`, against the validators by their service names. The
 * seller's files go to /data, the vault agent's home, and `ready` tells the
 * agent to serve them. Exits 0 only if every check passed.
 */
import { DEV_PRIVATE_KEYS } from '../../protocol/index.ts'
import { markSellerReady, prepareSeller, printReport, runDemoJob } from '../demo.ts'
import { apiPort, COMPOSE, DEVNET_PASSPHRASE, MOUNTS, validatorName } from '../topology.ts'
import { reportLine } from './report-line.ts'

const started = Date.now()
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`
const say = (line = '') => console.log(line)
const nodeUrl = (i: number) => `http://${COMPOSE.hostOf(validatorName(i))}:${apiPort(i)}`

try {
  // The same dev accounts as the process devnet: 1 sells, 2 buys.
  const seller = await prepareSeller({
    dir: MOUNTS.home,
    nodeUrl: nodeUrl(0),
    sellerKey: DEV_PRIVATE_KEYS[1],
    passphrase: DEVNET_PASSPHRASE,
    say,
    elapsed,
  })
  await markSellerReady(MOUNTS.home)
  say(`[${elapsed()}] the vault agent may serve: its files are in its home`)
  const report = await runDemoJob({
    nodeUrl: nodeUrl(1),
    buyerKey: DEV_PRIVATE_KEYS[2],
    vaultId: seller.vaultId,
    say,
    elapsed,
  })
  printReport(report, say, elapsed)
  say(reportLine(report))
  process.exit(report.ok ? 0 : 1)
} catch (e) {
  console.error(`demo failed: ${e instanceof Error ? e.message : String(e)}`)
  process.exit(1)
}
