import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto'
import { z } from 'zod'
import { SandboxError } from '../errors.ts'

/** scrypt cost; tests lower `N` to keep the suite fast, files record what was used. */
export interface ScryptParams {
  readonly N: number
  readonly r: number
  readonly p: number
}

export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 }

export const SealedSecretSchema = z.object({
  kdf: z.literal('scrypt'),
  N: z.number().int().positive(),
  r: z.number().int().positive(),
  p: z.number().int().positive(),
  salt: z.string().regex(/^[0-9a-f]{64}$/),
  cipher: z.literal('aes-256-gcm'),
  iv: z.string().regex(/^[0-9a-f]{24}$/),
  tag: z.string().regex(/^[0-9a-f]{32}$/),
  ciphertext: z.string().regex(/^[0-9a-f]*$/),
})
export type SealedSecret = z.infer<typeof SealedSecretSchema>

function deriveKey(passphrase: string, salt: Buffer, params: ScryptParams): Buffer {
  return scryptSync(passphrase.normalize('NFKC'), salt, 32, {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  })
}

/**
 * `aad` binds the sealed secret to its public identity (the key id), so a
 * secret file cannot be swapped under another vault's metadata unnoticed.
 */
export function sealSecret(
  secret: Uint8Array,
  passphrase: string,
  params: ScryptParams = DEFAULT_SCRYPT,
  aad = '',
): SealedSecret {
  if (passphrase.length === 0) throw new SandboxError('PASSPHRASE_WRONG', 'the passphrase must not be empty')
  const salt = randomBytes(32)
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', deriveKey(passphrase, salt, params), iv)
  cipher.setAAD(Buffer.from(aad, 'utf8'))
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()])
  return {
    kdf: 'scrypt',
    ...params,
    salt: salt.toString('hex'),
    cipher: 'aes-256-gcm',
    iv: iv.toString('hex'),
    tag: cipher.getAuthTag().toString('hex'),
    ciphertext: ciphertext.toString('hex'),
  }
}

export function openSecret(sealed: SealedSecret, passphrase: string, aad = ''): Uint8Array {
  const key = deriveKey(passphrase, Buffer.from(sealed.salt, 'hex'), sealed)
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'hex'))
  decipher.setAuthTag(Buffer.from(sealed.tag, 'hex'))
  decipher.setAAD(Buffer.from(aad, 'utf8'))
  try {
    return Buffer.concat([decipher.update(Buffer.from(sealed.ciphertext, 'hex')), decipher.final()])
  } catch {
    // GCM authentication covers both a wrong passphrase and a tampered file.
    throw new SandboxError('PASSPHRASE_WRONG', 'wrong passphrase, or the secret key file was altered', {
      field: 'secret.json',
    })
  }
}
