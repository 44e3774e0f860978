import { addressOfPrivateKey, generatePrivateKey, writeKeystoreFile } from '../../../../../protocol/index.ts'
import { readPassphrase } from '../../../passphrase.ts'
import type { KeyNewArgs } from './options.ts'

/** A fresh secp256k1 account key (seller or buyer) in an encrypted keystore file. */
export async function keyNewHandler(args: KeyNewArgs): Promise<void> {
  const passphrase = await readPassphrase(args, true)
  const key = generatePrivateKey()
  // Tests set TCF_SCRYPT_N to keep sealing fast; production uses the keystore default.
  const scryptN = process.env.TCF_SCRYPT_N ? Number(process.env.TCF_SCRYPT_N) : undefined
  await writeKeystoreFile(args.out, key, passphrase, scryptN === undefined ? {} : { scryptN })
  const address = addressOfPrivateKey(key)
  if (args.json) console.log(JSON.stringify({ address, file: args.out }))
  else console.log(`key ${address} written to ${args.out}; fund it before publishing or submitting`)
}
