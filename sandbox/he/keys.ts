import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { GaloisKeys, RelinKeys, SecretKey } from 'node-seal'
import { z } from 'zod'
import { blobIdOf, type Hex32, hex32Schema } from '../../protocol/vocabulary.ts'
import { SandboxError } from '../errors.ts'
import { DEFAULT_SCRYPT, openSecret, type ScryptParams, SealedSecretSchema, sealSecret } from './keystore.ts'
import { type ProfileName, rotateAndSumSteps } from './profiles.ts'
import { type HeContext, heContext } from './seal.ts'
import { describe, loadInto, wireBytes } from './serialize.ts'

export const KEY_FILES = {
  meta: 'keys.json',
  publicKey: 'public.key',
  relinKeys: 'relin.key',
  galoisKeys: 'galois.key',
  secret: 'secret.json',
} as const

/**
 * keys.json: what a vault manifest pins. Key material is fixed once generated,
 * so each key is named by the sha256 of its wire file, which is also its blob
 * id on the network. `keyId` is the public key's.
 */
export const KeyMetaSchema = z.object({
  version: z.literal(1),
  profile: z.enum(['ckks-8192', 'ckks-16384']),
  keyId: hex32Schema,
  relinKeys: hex32Schema,
  galoisKeys: hex32Schema,
  galoisSteps: z.array(z.number().int().positive()),
  /**
   * The Galois keys also hold the conjugation, which separates the two values of a complex slot
   * (vault/complex-pairs.ts). Absent in key directories made before it: their vaults keep one
   * value per slot.
   */
  conjugation: z.literal(true).optional(),
  createdAt: z.string(),
})
export type KeyMeta = z.infer<typeof KeyMetaSchema>

const SecretFileSchema = z.object({ version: z.literal(1), keyId: hex32Schema, sealed: SealedSecretSchema })

export interface GeneratedKeys {
  readonly meta: KeyMeta
  /** wire bytes (seeded, zstd) of the public material */
  readonly publicKey: Uint8Array
  readonly relinKeys: Uint8Array
  readonly galoisKeys: Uint8Array
  readonly secretFile: string
}

export async function generateKeys(
  profile: ProfileName,
  passphrase: string,
  scrypt: ScryptParams = DEFAULT_SCRYPT,
): Promise<GeneratedKeys> {
  const ctx = await heContext(profile)
  const { seal } = ctx
  const keygen = new seal.KeyGenerator(ctx.context)
  const secretKey = keygen.secretKey()
  const steps = rotateAndSumSteps(ctx.profile.slotCount)
  const serializables = [
    keygen.createPublicKeySerializable(),
    keygen.createRelinKeysSerializable(),
    // Step 0 is SEAL's conjugation (Galois element 2N - 1).
    keygen.createGaloisKeysSerializableWithSteps(Int32Array.from([0, ...steps])),
  ] as const
  try {
    const [publicKey, relinKeys, galoisKeys] = serializables.map((s) => wireBytes(seal, s)) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ]
    const keyId = blobIdOf(publicKey)
    const meta: KeyMeta = {
      version: 1,
      profile,
      keyId,
      relinKeys: blobIdOf(relinKeys),
      galoisKeys: blobIdOf(galoisKeys),
      galoisSteps: steps,
      conjugation: true,
      createdAt: new Date().toISOString(),
    }
    const secret = wireBytes(seal, secretKey)
    const secretFile = JSON.stringify(
      { version: 1, keyId, sealed: sealSecret(secret, passphrase, scrypt, keyId) },
      null,
      2,
    )
    secret.fill(0)
    return { meta, publicKey, relinKeys, galoisKeys, secretFile }
  } finally {
    for (const s of serializables) s.delete()
    secretKey.delete()
    keygen.delete()
  }
}

export async function writeKeyDir(dir: string, keys: GeneratedKeys): Promise<void> {
  await mkdir(dir, { recursive: true })
  await Promise.all([
    writeFile(join(dir, KEY_FILES.publicKey), keys.publicKey),
    writeFile(join(dir, KEY_FILES.relinKeys), keys.relinKeys),
    writeFile(join(dir, KEY_FILES.galoisKeys), keys.galoisKeys),
    writeFile(join(dir, KEY_FILES.secret), keys.secretFile, { mode: 0o600 }),
  ])
  // keys.json last: a directory with it is complete.
  await writeFile(join(dir, KEY_FILES.meta), `${JSON.stringify(keys.meta, null, 2)}\n`)
}

export async function readKeyMeta(dir: string): Promise<KeyMeta> {
  const raw = await readKeyFile(dir, KEY_FILES.meta)
  return parseJsonFile(KeyMetaSchema, raw.toString('utf8'), join(dir, KEY_FILES.meta))
}

async function readKeyFile(dir: string, name: string): Promise<Buffer> {
  try {
    return await readFile(join(dir, name))
  } catch (cause) {
    throw new SandboxError('KEY_INVALID', `cannot read ${join(dir, name)}: ${describe(cause)}`, {
      field: name,
      cause,
    })
  }
}

function parseJsonFile<T>(schema: z.ZodType<T>, text: string, path: string): T {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new SandboxError('KEY_INVALID', `${path} is not JSON`, { field: path, cause })
  }
  const parsed = schema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new SandboxError('KEY_INVALID', `${path}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`, {
      field: path,
    })
  }
  return parsed.data
}

/** Evaluation keys checked against the hashes a manifest pins. */
export interface EvaluationKeys {
  readonly relinKeys: RelinKeys
  readonly galoisKeys: GaloisKeys
  delete(): void
}

export function loadEvaluationKeys(
  ctx: HeContext,
  wire: { relinKeys: Uint8Array; galoisKeys: Uint8Array },
  expected: { relinKeys: Hex32; galoisKeys: Hex32 },
): EvaluationKeys {
  expectHash(blobIdOf(wire.relinKeys), expected.relinKeys, 'relinKeys')
  expectHash(blobIdOf(wire.galoisKeys), expected.galoisKeys, 'galoisKeys')
  const relinKeys = loadInto(
    ctx,
    () => new ctx.seal.RelinKeys(),
    wire.relinKeys,
    KEY_FILES.relinKeys,
    'KEY_INVALID',
  )
  let galoisKeys: GaloisKeys | undefined
  try {
    galoisKeys = loadInto(
      ctx,
      () => new ctx.seal.GaloisKeys(),
      wire.galoisKeys,
      KEY_FILES.galoisKeys,
      'KEY_INVALID',
    )
  } catch (e) {
    relinKeys.delete()
    galoisKeys?.delete()
    throw e
  }
  const gk = galoisKeys
  return {
    relinKeys,
    galoisKeys: gk,
    delete() {
      relinKeys.delete()
      gk.delete()
    },
  }
}

function expectHash(actual: Hex32, expected: Hex32, what: string): void {
  if (actual !== expected) {
    throw new SandboxError(
      'KEY_MISMATCH',
      `${what} do not belong to this vault (hash ${actual}, expected ${expected})`,
      {
        field: what,
      },
    )
  }
}

export async function readEvaluationKeyFiles(
  dir: string,
): Promise<{ relinKeys: Uint8Array; galoisKeys: Uint8Array }> {
  const [relinKeys, galoisKeys] = await Promise.all([
    readKeyFile(dir, KEY_FILES.relinKeys),
    readKeyFile(dir, KEY_FILES.galoisKeys),
  ])
  return { relinKeys, galoisKeys }
}

/**
 * Opens the passphrase-sealed secret key. `expectedKeyId` (from a vault
 * manifest) makes a key directory of another vault fail loudly instead of
 * decrypting to noise.
 */
export async function loadSecretKey(
  ctx: HeContext,
  dir: string,
  passphrase: string,
  expectedKeyId?: Hex32,
): Promise<SecretKey> {
  const bytes = await openSecretFile(dir, passphrase, expectedKeyId)
  try {
    return loadInto(ctx, () => new ctx.seal.SecretKey(), bytes, KEY_FILES.secret, 'KEY_INVALID')
  } finally {
    bytes.fill(0)
  }
}

/** The secret key's wire bytes, unsealed; callers zero them when done. */
export async function openSecretFile(
  dir: string,
  passphrase: string,
  expectedKeyId?: Hex32,
): Promise<Uint8Array> {
  const path = join(dir, KEY_FILES.secret)
  const file = parseJsonFile(
    SecretFileSchema,
    (await readKeyFile(dir, KEY_FILES.secret)).toString('utf8'),
    path,
  )
  if (expectedKeyId !== undefined && file.keyId !== expectedKeyId) {
    throw new SandboxError(
      'KEY_MISMATCH',
      `the key in ${dir} (${file.keyId}) is not this vault's (${expectedKeyId})`,
      {
        field: 'keys',
      },
    )
  }
  return openSecret(file.sealed, passphrase, file.keyId)
}
