import { readFile } from 'node:fs/promises'
import type { Hex32 } from '../../../../protocol/index.ts'
import { CliError } from '../../errors.ts'

/** Arguments the job commands share: ids, spec files, sealing key files. */

const SEALING_KEY = /^0x[0-9a-fA-F]{64}$/

/** A 32-byte id as typed on the command line; the node answers a malformed one with 400 BAD_ID. */
export const idArg = (value: string): Hex32 => value.toLowerCase() as Hex32

export async function readSpec(path: string): Promise<unknown> {
  const text = await readFile(path, 'utf8').catch((cause: unknown) => {
    throw new CliError('FILE_UNREADABLE', `cannot read the spec ${path}`, { cause })
  })
  try {
    return JSON.parse(text) as unknown
  } catch (cause) {
    throw new CliError('JSON_INVALID', `the spec ${path} is not valid JSON`, { cause })
  }
}

export async function readSealingKey(path: string): Promise<Uint8Array> {
  const text = (
    await readFile(path, 'utf8').catch((cause: unknown) => {
      throw new CliError('FILE_UNREADABLE', `cannot read the sealing key ${path}`, { cause })
    })
  ).trim()
  if (!SEALING_KEY.test(text))
    throw new CliError('JSON_INVALID', `${path} does not hold a 32-byte hex sealing key`)
  return Uint8Array.from(Buffer.from(text.slice(2), 'hex'))
}
