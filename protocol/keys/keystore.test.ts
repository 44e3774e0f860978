import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  decryptKeystore,
  generatePrivateKey,
  KeystoreError,
  readKeystoreFile,
  writeKeystoreFile,
} from './keystore.ts'

describe('keystore', () => {
  it('round-trips a key through an owner-only encrypted file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tcf-keys-'))
    try {
      const key = generatePrivateKey()
      const path = join(dir, 'validator.json')
      await writeKeystoreFile(path, key, 'hunter2', { scryptN: 1024 })
      expect((await stat(path)).mode & 0o777).toBe(0o600)
      expect(await readKeystoreFile(path, 'hunter2')).toBe(key)
      await expect(readKeystoreFile(path, 'wrong')).rejects.toMatchObject({ code: 'WRONG_PASSWORD' })
      await expect(writeKeystoreFile(path, key, 'x', { scryptN: 1024 })).rejects.toThrow()
    } finally {
      await rm(dir, { recursive: true })
    }
  })

  it('refuses what is not a keystore', async () => {
    await expect(decryptKeystore('{"nope":1}', 'x')).rejects.toBeInstanceOf(KeystoreError)
  })
})
