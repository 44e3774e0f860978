import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createVault, generateKeys, type Policy, type VaultManifest, writeKeyDir } from '../sandbox/index.ts'
import { CLUSTER_PASSPHRASE } from './cluster.ts'

/**
 * The devnet's demo vault (data/heart.csv) built under `dir`: its seller's keys in `dir/keys`
 * (light scrypt: benches build it every run), the vault in `dir/vault`.
 */
export async function createDemoVault(
  dir: string,
  schema: Parameters<typeof createVault>[0]['schema'],
  policy: Policy,
): Promise<{ manifest: VaultManifest; keysDir: string; vaultDir: string }> {
  const keysDir = join(dir, 'keys')
  await writeKeyDir(keysDir, await generateKeys('ckks-8192', CLUSTER_PASSPHRASE, { N: 1024, r: 8, p: 1 }))
  const vaultDir = join(dir, 'vault')
  const manifest = await createVault({
    csv: fileURLToPath(new URL('./data/heart.csv', import.meta.url)),
    schema,
    policy,
    keysDir,
    passphrase: CLUSTER_PASSPHRASE,
    outDir: vaultDir,
  })
  return { manifest, keysDir, vaultDir }
}
