import { Client } from '../../../../sdk/index.ts'
import { table } from '../../../table.ts'
import type { NodeStatusArgs } from './options.ts'

export async function nodeStatusHandler(args: NodeStatusArgs): Promise<void> {
  const s = await new Client({ url: args.node }).status()
  if (args.json) {
    console.log(JSON.stringify(s))
    return
  }
  console.log(`node ${s.address} (tcf ${s.version})`)
  console.log(`peer id ${s.peerId}`)
  console.log(`height ${s.height}, round ${s.round}, epoch ${s.epoch}`)
  if (s.chain)
    console.log(
      `chain ${s.chain.chainId} at ${s.chain.rpcUrl}, validator registry ${s.chain.addresses.validatorRegistry}`,
    )
  const total = s.validators.reduce((sum, v) => sum + v.power, 0)
  console.log(`\nvalidators (epoch ${s.epoch})`)
  console.log(
    table(
      ['address', 'power', 'share'],
      s.validators.map((v) => [v.address, String(v.power), `${((100 * v.power) / total).toFixed(1)}%`]),
    ),
  )
  console.log(`\npeers (${s.peers.length})`)
  console.log(
    table(
      ['peer id', 'score'],
      s.peers.map((p) => [p.peerId, p.score.toFixed(2)]),
    ),
  )
}
