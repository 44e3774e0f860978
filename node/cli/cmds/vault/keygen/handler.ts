import {
  DEFAULT_SCRYPT,
  generateKeys,
  isProfileName,
  KEY_FILES,
  writeKeyDir,
} from '../../../../../sandbox/index.ts'
import { CliError } from '../../../errors.ts'
import { readPassphrase } from '../../../passphrase.ts'
import { formatBytes, table } from '../../../table.ts'
import type { KeygenArgs } from './options.ts'

export async function keygenHandler(args: KeygenArgs): Promise<void> {
  if (!isProfileName(args.profile)) throw new CliError('ARGUMENT_INVALID', `unknown profile ${args.profile}`)
  const passphrase = await readPassphrase(args, true)
  // Tests set TCF_SCRYPT_N to keep key sealing fast; production uses the default cost.
  const n = Number(process.env.TCF_SCRYPT_N ?? DEFAULT_SCRYPT.N)
  const keys = await generateKeys(args.profile, passphrase, { ...DEFAULT_SCRYPT, N: n })
  await writeKeyDir(args.out, keys)
  if (args.json) {
    console.log(JSON.stringify({ dir: args.out, ...keys.meta }))
    return
  }
  console.log(`keys for profile ${keys.meta.profile} written to ${args.out}`)
  console.log(`key id ${keys.meta.keyId}\n`)
  console.log(
    table(
      ['file', 'size', 'what'],
      [
        [KEY_FILES.publicKey, formatBytes(keys.publicKey.length), 'public key'],
        [KEY_FILES.relinKeys, formatBytes(keys.relinKeys.length), 'relinearization keys (shared with nodes)'],
        [
          KEY_FILES.galoisKeys,
          formatBytes(keys.galoisKeys.length),
          `Galois keys for steps ${keys.meta.galoisSteps[0]}..${keys.meta.galoisSteps.at(-1)}${keys.meta.conjugation ? ' and the conjugation' : ''} (shared with nodes)`,
        ],
        [
          KEY_FILES.secret,
          formatBytes(keys.secretFile.length),
          'secret key, sealed under your passphrase: never share',
        ],
      ],
    ),
  )
}
