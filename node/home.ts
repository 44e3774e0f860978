import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  type Address,
  addressOfPrivateKey,
  generatePrivateKey,
  type Hex32,
  readKeystoreFile,
  writeKeystoreFile,
} from '../protocol/index.ts'
import {
  CONFIG_FILE,
  ConfigError,
  loadConfig,
  type NodeConfig,
  type NodeConfigInput,
  parseConfig,
} from './config/index.ts'
import { generatePeerKey, peerIdOf } from './p2p/index.ts'

/** A node's home directory: config, keys, database and the evaluation cache. */
export const HOME_FILES = {
  config: CONFIG_FILE,
  validatorKey: 'validator.json',
  peerKey: 'peer.key',
  database: 'db',
} as const

export interface InitHomeOptions {
  readonly home: string
  readonly config: NodeConfigInput
  readonly passphrase: string
  /** import this validator key instead of generating one */
  readonly validatorKey?: Hex32
  /** use this libp2p key (from generatePeerKey) instead of a new one: lets a devnet know peer ids up front */
  readonly peerKey?: Uint8Array
  /** scrypt cost of the keystore (tests lower it) */
  readonly scryptN?: number
}

export interface InitializedHome {
  readonly address: Address
  readonly peerId: string
  readonly config: NodeConfig
}

/** Creates a home: the full config (defaults written out, so the file documents itself) and both keys. */
export async function initHome(options: InitHomeOptions): Promise<InitializedHome> {
  await mkdir(options.home, { recursive: true })
  if ((await readdir(options.home)).length > 0) {
    throw new ConfigError('HOME_EXISTS', `${options.home} is not empty; a node home is initialized once`)
  }
  const config = parseConfig(options.config, 'config')
  const validatorKey = options.validatorKey ?? generatePrivateKey()
  const peerKey = options.peerKey ?? generatePeerKey()
  await writeKeystoreFile(
    join(options.home, HOME_FILES.validatorKey),
    validatorKey,
    options.passphrase,
    options.scryptN === undefined ? {} : { scryptN: options.scryptN },
  )
  await writeFile(join(options.home, HOME_FILES.peerKey), peerKey, { mode: 0o600 })
  await writeFile(join(options.home, HOME_FILES.config), `${JSON.stringify(config, null, 2)}\n`)
  return { address: addressOfPrivateKey(validatorKey), peerId: peerIdOf(peerKey), config }
}

export interface LoadedHome {
  readonly config: NodeConfig
  readonly validatorKey: Hex32
  readonly peerKey: Uint8Array
}

export async function loadHome(
  home: string,
  passphrase: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedHome> {
  const config = await loadConfig(home, env)
  const validatorKey = await readKeystoreFile(join(home, HOME_FILES.validatorKey), passphrase)
  let peerKey: Uint8Array
  try {
    peerKey = new Uint8Array(await readFile(join(home, HOME_FILES.peerKey)))
  } catch (cause) {
    throw new ConfigError('KEY_UNREADABLE', `cannot read ${join(home, HOME_FILES.peerKey)}`, { cause })
  }
  return { config, validatorKey, peerKey }
}
