import { blobIdOf } from '../blobId.ts'
import { canonicalBytes } from '../canonicalJson.ts'
import type { Hex32 } from '../hex.ts'
import type { VaultManifest } from './vaultManifest.ts'

/**
 * A manifest as a blob: its canonical JSON. The seller registers the blob id
 * on chain as the vault's `manifestHash`, so any validator can fetch the
 * manifest from peers and check it against the vault id.
 */
export function manifestBlob(manifest: VaultManifest): { id: Hex32; bytes: Uint8Array } {
  const bytes = canonicalBytes(manifest)
  return { id: blobIdOf(bytes), bytes }
}

/** The blobs a vault is made of besides its manifest: what a validator needs to evaluate jobs on it. */
export function vaultBlobIds(manifest: VaultManifest): Hex32[] {
  return [
    manifest.keys.relinKeys,
    manifest.keys.galoisKeys,
    ...manifest.columns.flatMap((c) => c.chunks),
  ] as Hex32[]
}
