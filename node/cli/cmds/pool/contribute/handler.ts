import { readFile } from 'node:fs/promises'
import { parse } from 'csv-parse/sync'
import { type Hex32, readKeystoreFile } from '../../../../../protocol/index.ts'
import type { PoolRecord } from '../../../../../sandbox/index.ts'
import { Client } from '../../../../sdk/index.ts'
import { CliError } from '../../../errors.ts'
import { readPassphrase } from '../../../passphrase.ts'
import { formatBytes, table } from '../../../table.ts'
import type { PoolContributeArgs } from './options.ts'

export async function poolContributeHandler(args: PoolContributeArgs): Promise<void> {
  if (!/^0x[0-9a-f]{64}$/.test(args.pool))
    throw new CliError('ARGUMENT_INVALID', '--pool must be 0x followed by 64 lowercase hex digits')
  let records: PoolRecord[]
  try {
    records = parse(await readFile(args.records), {
      columns: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
    })
  } catch (cause) {
    throw new CliError('ARGUMENT_INVALID', `--records ${args.records} is not a readable CSV`, { cause })
  }
  const key = await readKeystoreFile(args.key, await readPassphrase(args))
  const client = new Client({ url: args.node })
  try {
    const started = performance.now()
    const sent = await client.contribute(args.pool as Hex32, records, key, {
      ...(args.sequence === undefined ? {} : { sequence: args.sequence }),
    })
    const ms = Math.round(performance.now() - started)
    if (args.json) {
      console.log(JSON.stringify({ ...sent, records: records.length, ms }))
      return
    }
    console.log(
      `contribution ${sent.contributionId} accepted by ${args.node}; a block admits it into the pool's log\n`,
    )
    console.log(
      table(
        ['what', 'value'],
        [
          ['contributor', sent.contributor],
          ['records', String(records.length)],
          ['encrypted', `${formatBytes(sent.bytes)} (blob ${sent.blobId})`],
          ['window / sequence', `${sent.window} / ${sent.sequence}`],
          ['took', `${ms} ms`],
        ],
      ),
    )
  } finally {
    await client.close()
  }
}
