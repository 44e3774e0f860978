import { readFile, writeFile } from 'node:fs/promises'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import { decryptKeystoreJson, encryptKeystoreJson, isKeystoreJson } from 'ethers'
import { addressOfPrivateKey } from '../eip712/ecdsa.ts'
import { TcfError } from '../errors.ts'
import { type Hex32, toHex } from '../hex.ts'

/** Validator, buyer and seller keys are all secp256k1, so one keystore format serves every role. */
export const generatePrivateKey = (): Hex32 => toHex(secp256k1.utils.randomSecretKey())

export class KeystoreError extends TcfError {
  override readonly name = 'KeystoreError'
  readonly code: 'NOT_A_KEYSTORE' | 'WRONG_PASSWORD'

  constructor(code: 'NOT_A_KEYSTORE' | 'WRONG_PASSWORD', message: string) {
    super(message)
    this.code = code
  }
}

export interface KeystoreOptions {
  /** scrypt cost; the default (2^17) takes about a second. Tests pass 2^10. */
  readonly scryptN?: number
}

/** Web3 Secret Storage v3 JSON (scrypt + AES-128-CTR), readable by geth, ethers and MetaMask. */
export async function encryptKeystore(privateKey: Hex32, password: string, options: KeystoreOptions = {}) {
  const address = addressOfPrivateKey(privateKey)
  return encryptKeystoreJson(
    { address, privateKey },
    password,
    options.scryptN === undefined ? {} : { scrypt: { N: options.scryptN } },
  )
}

export async function decryptKeystore(json: string, password: string): Promise<Hex32> {
  if (!isKeystoreJson(json)) throw new KeystoreError('NOT_A_KEYSTORE', 'not an encrypted JSON keystore')
  try {
    const account = await decryptKeystoreJson(json, password)
    return account.privateKey.toLowerCase() as Hex32
  } catch (error) {
    throw new KeystoreError('WRONG_PASSWORD', `cannot decrypt keystore: ${String(error)}`)
  }
}

export async function writeKeystoreFile(
  path: string,
  privateKey: Hex32,
  password: string,
  options: KeystoreOptions = {},
): Promise<void> {
  // Owner-only: the file is encrypted, but its scrypt parameters are no reason to publish it.
  await writeFile(path, await encryptKeystore(privateKey, password, options), { mode: 0o600, flag: 'wx' })
}

export const readKeystoreFile = async (path: string, password: string): Promise<Hex32> =>
  decryptKeystore(await readFile(path, 'utf8'), password)
