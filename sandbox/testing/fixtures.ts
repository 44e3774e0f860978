import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { generateKeys, writeKeyDir } from '../he/keys.ts'
import type { ProfileName } from '../he/profiles.ts'
import { OP_NAMES } from '../spec/schema.ts'
import { createVault } from '../vault/create.ts'
import type { VaultManifest } from '../vault/manifest.ts'
import type { Policy } from '../vault/policy.ts'
import type { VaultSchema } from '../vault/schema.ts'

export const TEST_PASSPHRASE = 'test passphrase'
/** scrypt cost for tests only: sealing and opening stay well under a second */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 } as const

export const OPEN_POLICY: Policy = { allowedOps: [...OP_NAMES], minAggregation: 5, price: '1' }

export interface Workspace {
  readonly dir: string
  readonly keysDir: string
  vault(
    name: string,
    csv: string,
    schema: VaultSchema,
    policy?: Policy,
  ): Promise<{ dir: string; manifest: VaultManifest }>
  dispose(): Promise<void>
}

/** A temporary directory with one key set, for tests that build vaults. */
export async function workspace(profile: ProfileName = 'ckks-8192'): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'tcf-test-'))
  const keysDir = join(dir, 'keys')
  await writeKeyDir(keysDir, await generateKeys(profile, TEST_PASSPHRASE, TEST_SCRYPT))
  return {
    dir,
    keysDir,
    async vault(name, csv, schema, policy = OPEN_POLICY) {
      const out = join(dir, name)
      const manifest = await createVault({
        csv: Readable.from([csv]),
        schema,
        policy,
        keysDir,
        passphrase: TEST_PASSPHRASE,
        outDir: out,
        workers: 1,
      })
      return { dir: out, manifest }
    },
    dispose: () => rm(dir, { recursive: true, force: true }),
  }
}

/** Relative error, with an absolute floor for values near zero. */
export function relativeError(actual: number, expected: number, floor = 1e-9): number {
  return Math.abs(actual - expected) / Math.max(Math.abs(expected), floor)
}
