import { SingleBar } from 'cli-progress'
import { readKeystoreFile } from '../../../../../protocol/index.ts'
import { Client } from '../../../../sdk/index.ts'
import { readPassphrase } from '../../../passphrase.ts'
import { formatBytes, table } from '../../../table.ts'
import type { PublishArgs } from './options.ts'

export async function publishHandler(args: PublishArgs): Promise<void> {
  const key = await readKeystoreFile(args.ownerKey, await readPassphrase(args))
  const client = new Client({ url: args.node, key })
  const bar =
    process.stderr.isTTY && !args.json
      ? new SingleBar({
          format: 'uploading {bar} {value}/{total} blobs | {done} of {size}',
          stream: process.stderr,
          hideCursor: true,
        })
      : undefined
  const started = performance.now()
  try {
    const published = await client.publishVault(args.vault, {
      onProgress: (p) => {
        const payload = { done: formatBytes(p.bytesDone), size: formatBytes(p.bytesTotal) }
        if (p.blobsDone === 0) bar?.start(p.blobsTotal, 0, payload)
        else bar?.update(p.blobsDone, payload)
      },
    })
    bar?.stop()
    const ms = Math.round(performance.now() - started)
    if (args.json) {
      console.log(JSON.stringify({ ...published, ms }))
      return
    }
    console.log(`vault ${published.vaultId} published to ${args.node}\n`)
    console.log(
      table(
        ['what', 'value'],
        [
          ['manifest hash', published.manifestHash],
          ['blobs uploaded', `${published.blobs} (${formatBytes(published.bytes)})`],
          [
            'on chain',
            published.registeredTx ? `registered in tx ${published.registeredTx}` : 'already registered',
          ],
          ['took', `${ms} ms`],
        ],
      ),
    )
  } finally {
    bar?.stop()
    await client.close()
  }
}
