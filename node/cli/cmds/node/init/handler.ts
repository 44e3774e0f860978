import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import type { Hex32 } from '../../../../../protocol/index.ts'
import { initHome } from '../../../../home.ts'
import { peerIdOf } from '../../../../p2p/index.ts'
import { CliError } from '../../../errors.ts'
import { readJsonFile } from '../../../files.ts'
import { readPassphrase } from '../../../passphrase.ts'
import type { NodeInitArgs } from './options.ts'

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/)
const AddressesSchema = z.object({
  validatorRegistry: address,
  vaultRegistry: address,
  jobMarket: address,
  anchor: address,
})

export async function nodeInitHandler(args: NodeInitArgs): Promise<void> {
  const addresses = await readJsonFile(args.addresses, AddressesSchema, 'contract addresses')
  const validatorKey = args.importKey === undefined ? undefined : await readKey(args.importKey)
  const peerKey = args.importPeerKey === undefined ? undefined : await readPeerKey(args.importPeerKey)
  const passphrase = await readPassphrase(args, true)
  const scryptN = process.env.TCF_SCRYPT_N === undefined ? undefined : Number(process.env.TCF_SCRYPT_N)
  const home = await initHome({
    home: args.home,
    passphrase,
    ...(validatorKey ? { validatorKey } : {}),
    ...(peerKey ? { peerKey } : {}),
    ...(scryptN ? { scryptN } : {}),
    config: {
      chain: { rpcUrl: args.rpcUrl, chainId: args.chainId, addresses },
      p2p: {
        ...(args.listen ? { listen: args.listen } : {}),
        ...(args.bootstrap ? { bootstrap: args.bootstrap } : {}),
      },
      api: args.apiPort === undefined ? {} : { port: args.apiPort },
    },
  })
  if (args.json) {
    console.log(JSON.stringify({ home: args.home, address: home.address, peerId: home.peerId }))
    return
  }
  console.log(`node home ${args.home}`)
  console.log(`validator address ${home.address} (keystore validator.json, encrypted)`)
  console.log(`peer id ${home.peerId}`)
  console.log(`config ${args.home}/config.json: every setting with its default; TCF_* variables override it`)
  console.log(`register the validator with stake on chain, then: tcf node start --home ${args.home}`)
}

async function readKey(path: string): Promise<Hex32> {
  const text = (
    await readFile(path, 'utf8').catch((cause: unknown) => {
      throw new CliError('FILE_UNREADABLE', `cannot read ${path}`, { cause })
    })
  ).trim()
  if (!/^0x[0-9a-fA-F]{64}$/.test(text))
    throw new CliError('JSON_INVALID', `${path} does not hold a 0x-prefixed 32-byte hex key`)
  return text.toLowerCase() as Hex32
}

async function readPeerKey(path: string): Promise<Uint8Array> {
  const bytes = new Uint8Array(
    await readFile(path).catch((cause: unknown) => {
      throw new CliError('FILE_UNREADABLE', `cannot read ${path}`, { cause })
    }),
  )
  peerIdOf(bytes) // refuses what is not a libp2p private key
  return bytes
}
