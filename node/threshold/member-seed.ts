import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { z } from 'zod'
import { fromHex, type Hex32, hexBytesSchema, toHex } from '../../protocol/index.ts'
import type { Committee, MemberSecret } from '../../sandbox/index.ts'
import { ThresholdNodeError } from './errors.ts'

/**
 * The member's root seed: 32 random bytes created once per node home, from which every secret and
 * every piece of randomness of every DKG message this node signs derives (per instance, by HMAC).
 * Losing it mid-instance would make the node deal a second, different polynomial for the same
 * instance, which peers holding the first commitments would convict; so it is written (synced,
 * mode 0600) before anything derived from it is sent, and never regenerated.
 *
 * At rest it is sealed with AES-256-GCM under a key derived (HKDF) from the validator key, so the
 * file is as protected as the validator's keystore, which the operator's passphrase encrypts.
 */
export const MEMBER_SEED_FILE = join('threshold', 'member-seed.json')

const fileSchema = z.strictObject({
  version: z.literal(1),
  nonce: hexBytesSchema(12, 12),
  sealed: hexBytesSchema(48, 48),
})

const wrapKey = (validatorKey: Hex32) =>
  new Uint8Array(hkdfSync('sha256', fromHex(validatorKey), new Uint8Array(0), 'tcf/dkg/member-seed/v1', 32))

export async function loadOrCreateMemberSeed(home: string, validatorKey: Hex32): Promise<Uint8Array> {
  const path = join(home, MEMBER_SEED_FILE)
  const existing = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined
    throw new ThresholdNodeError('SEED_UNREADABLE', `cannot read ${path}: ${e.message}`, { cause: e })
  })
  if (existing !== undefined) return openSeed(existing, validatorKey, path)
  const seed = new Uint8Array(randomBytes(32))
  const nonce = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', wrapKey(validatorKey), nonce)
  const sealed = Buffer.concat([cipher.update(seed), cipher.final(), cipher.getAuthTag()])
  await mkdir(dirname(path), { recursive: true, mode: 0o700 })
  // 'wx': two starts racing on one home keep the first seed, and the loser reads it back.
  const text = JSON.stringify({ version: 1, nonce: toHex(nonce), sealed: toHex(sealed) })
  try {
    await writeFile(path, `${text}\n`, { mode: 0o600, flag: 'wx', flush: true })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      return openSeed(await readFile(path, 'utf8'), validatorKey, path)
    throw e
  }
  return seed
}

function openSeed(text: string, validatorKey: Hex32, path: string): Uint8Array {
  try {
    const file = fileSchema.parse(JSON.parse(text))
    const sealed = fromHex(file.sealed)
    const decipher = createDecipheriv('aes-256-gcm', wrapKey(validatorKey), fromHex(file.nonce))
    decipher.setAuthTag(sealed.subarray(32))
    return new Uint8Array(Buffer.concat([decipher.update(sealed.subarray(0, 32)), decipher.final()]))
  } catch (cause) {
    throw new ThresholdNodeError(
      'SEED_UNREADABLE',
      `${path} is not a member seed sealed under this validator key`,
      { cause },
    )
  }
}

const derive = (root: Uint8Array, label: string, instanceId: Hex32, extra = ''): Uint8Array =>
  new Uint8Array(createHmac('sha256', root).update(`tcf/dkg/${label}/v1\0${instanceId}\0${extra}`).digest())

/**
 * The member's secret for one instance: a fresh s_i per instance (a failed round's secret is never
 * reused), the same one after any restart.
 */
export const instanceMember = (
  root: Uint8Array,
  committee: Committee,
  index: number,
  instanceId: Hex32,
): MemberSecret => ({ committee, index, seed: derive(root, 'member', instanceId) })

/**
 * The ECIES ephemeral key and nonce of the dealing to `recipient`: fixed by (seed, instance,
 * recipient), so the one key and nonce only ever seal the one share to the one recipient.
 */
export function dealingRandomness(
  root: Uint8Array,
  instanceId: Hex32,
  recipient: number,
): { ephemeralKey: Uint8Array; nonce: Uint8Array } {
  const bytes = derive(root, 'dealing-ecies', instanceId, String(recipient))
  // An HMAC output is below the curve order with overwhelming probability; the seal checks it anyway.
  return {
    ephemeralKey: bytes,
    nonce: derive(root, 'dealing-nonce', instanceId, String(recipient)).subarray(0, 12),
  }
}
