#!/usr/bin/env node
// The container healthcheck: `tcf node health --node URL` without loading the
// whole CLI (seconds of CPU, every few seconds, on every validator).
//   node bin/tcf-health.ts URL
import { probeHealth } from '../node/cli/cmds/node/health/probe.ts'

const [url] = process.argv.slice(2)
if (url === undefined) {
  console.error('usage: tcf-health.ts URL')
  process.exit(2)
}
try {
  const health = await probeHealth(url, { withinMs: 5000 })
  console.log(`healthy: height ${health.height}, ${health.peers} peers (${health.minPeers} needed)`)
} catch (e) {
  console.error(e instanceof Error ? e.message : String(e))
  process.exit(1)
}
