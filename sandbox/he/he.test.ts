import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SandboxError } from '../errors.ts'
import { TEST_PASSPHRASE, TEST_SCRYPT, type Workspace, workspace } from '../testing/fixtures.ts'
import { REGRESSION_KEYS, REGRESSION_VAULT } from '../testing/regression.ts'
import { getBlobSync } from '../vault/blob-dir.ts'
import { BLOB_DIR, readManifest } from '../vault/manifest.ts'
import { loadEvaluationKeys, loadSecretKey, readEvaluationKeyFiles } from './keys.ts'
import { openSecret, sealSecret } from './keystore.ts'
import { heContext } from './seal.ts'
import { loadCiphertext } from './serialize.ts'

function code(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(SandboxError)
    return (e as SandboxError).code
  }
  throw new Error('expected a SandboxError')
}

async function asyncCode(f: () => Promise<unknown>): Promise<string> {
  try {
    await f()
  } catch (e) {
    expect(e).toBeInstanceOf(SandboxError)
    return (e as SandboxError).code
  }
  throw new Error('expected a SandboxError')
}

describe('keystore', () => {
  it('round-trips a secret and refuses a wrong passphrase or a tampered file', () => {
    const secret = new Uint8Array([1, 2, 3, 4, 5])
    const sealed = sealSecret(secret, 'pass', TEST_SCRYPT, 'key-a')
    expect([...openSecret(sealed, 'pass', 'key-a')]).toEqual([1, 2, 3, 4, 5])
    expect(code(() => openSecret(sealed, 'wrong', 'key-a'))).toBe('PASSPHRASE_WRONG')
    expect(code(() => openSecret(sealed, 'pass', 'key-b'))).toBe('PASSPHRASE_WRONG')
    const flipped = { ...sealed, ciphertext: `${sealed.ciphertext.slice(0, -2)}00` }
    expect(code(() => openSecret(flipped, 'pass', 'key-a'))).toBe('PASSPHRASE_WRONG')
  })
})

describe('untrusted SEAL bytes', () => {
  let other: Workspace
  beforeAll(async () => {
    other = await workspace()
  })
  afterAll(() => other?.dispose())

  it('refuses truncated, garbage and foreign-profile ciphertexts with typed errors', async () => {
    const ctx = await heContext('ckks-8192')
    const manifest = await readManifest(REGRESSION_VAULT)
    const bytes = getBlobSync(join(REGRESSION_VAULT, BLOB_DIR), manifest.columns[0]!.chunks[0]!)
    const ct = loadCiphertext(ctx, bytes, 'good')
    ct.delete()
    expect(code(() => loadCiphertext(ctx, bytes.subarray(0, bytes.length - 100), 'truncated'))).toBe(
      'CIPHERTEXT_INVALID',
    )
    expect(code(() => loadCiphertext(ctx, new Uint8Array(4096).fill(7), 'garbage'))).toBe(
      'CIPHERTEXT_INVALID',
    )
    expect(code(() => loadCiphertext(ctx, new Uint8Array(0), 'empty'))).toBe('CIPHERTEXT_INVALID')
    const deep = await heContext('ckks-16384')
    expect(code(() => loadCiphertext(deep, bytes, 'foreign'))).toBe('CIPHERTEXT_INVALID')
  })

  it("refuses another vault's evaluation keys and secret key", async () => {
    const ctx = await heContext('ckks-8192')
    const manifest = await readManifest(REGRESSION_VAULT)
    const otherWire = await readEvaluationKeyFiles(other.keysDir)
    expect(code(() => loadEvaluationKeys(ctx, otherWire, manifest.keys))).toBe('KEY_MISMATCH')
    expect(
      await asyncCode(() => loadSecretKey(ctx, other.keysDir, TEST_PASSPHRASE, manifest.keys.publicKey)),
    ).toBe('KEY_MISMATCH')
    const own = await loadSecretKey(ctx, REGRESSION_KEYS, TEST_PASSPHRASE, manifest.keys.publicKey)
    own.delete()
    expect(await asyncCode(() => loadSecretKey(ctx, REGRESSION_KEYS, 'not it'))).toBe('PASSPHRASE_WRONG')
  })

  it('refuses evaluation keys whose bytes are corrupted', async () => {
    const ctx = await heContext('ckks-8192')
    const manifest = await readManifest(REGRESSION_VAULT)
    const blobs = join(REGRESSION_VAULT, BLOB_DIR)
    const relinKeys = new Uint8Array(getBlobSync(blobs, manifest.keys.relinKeys))
    relinKeys[relinKeys.length - 1]! ^= 0xff
    const galoisKeys = getBlobSync(blobs, manifest.keys.galoisKeys)
    expect(code(() => loadEvaluationKeys(ctx, { relinKeys, galoisKeys }, manifest.keys))).toBe('KEY_MISMATCH')
  })

  it('refuses an unknown profile', async () => {
    await expect(heContext('ckks-1024')).rejects.toMatchObject({ code: 'PROFILE_UNKNOWN' })
  })
})
