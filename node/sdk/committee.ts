import { blobIdOf, type CollectiveKey, type Hex32 } from '../../protocol/index.ts'
import { type CommitteeKeys, isProfileName } from '../../sandbox/index.ts'
import type { Client } from './client.ts'
import { ClientError } from './errors.ts'

/** A committee's key as a seller encrypts under it: every part checked against the chain. */
export interface CommitteeKeyMaterial {
  readonly epoch: number
  readonly keyHash: Hex32
  readonly key: CollectiveKey
  /** the SEAL objects' stored bytes, each hashing to its blob id in `key` */
  readonly publicKey: Uint8Array
  readonly relinKeys: Uint8Array
  readonly galoisKeys: Uint8Array
}

/**
 * Fetches an epoch's committee key from the client's node (the chain's current epoch if none is
 * named) and believes none of it: the key must hash to the Anchor's committeeKeys(epoch), which
 * 2f+1 of the epoch's members signed, and every blob to the id the key names. A node serving
 * another key (its own, say, whose secret it holds) is refused.
 */
export async function fetchCommitteeKey(client: Client, epoch?: number): Promise<CommitteeKeyMaterial> {
  // Client.committeeKey checks the key's hash against the Anchor and the public key's bytes.
  const checked = await client.committeeKey(epoch)
  const blob = async (what: string, ref: { blobId: Hex32 }) => {
    const bytes = await client.blob(ref.blobId)
    if (!bytes || blobIdOf(bytes) !== ref.blobId) {
      throw new ClientError(
        'COMMITTEE_KEY_INVALID',
        `the committee's ${what} blob ${ref.blobId} is missing or altered`,
      )
    }
    return bytes
  }
  return {
    epoch: checked.epoch,
    keyHash: checked.keyHash,
    key: checked.key,
    publicKey: checked.publicKey,
    relinKeys: await blob('relinearization keys', checked.key.relinKeys),
    galoisKeys: await blob('Galois keys', checked.key.galoisKeys),
  }
}

/**
 * The vault options of a committee vault: encrypted under the committee's public key (no secret
 * key, no agent), its manifest naming the committee's keys and recording the key holder.
 */
export function committeeVaultKeys(material: CommitteeKeyMaterial): CommitteeKeys {
  const profile = material.key.profile
  if (!isProfileName(profile)) {
    throw new ClientError(
      'BAD_RESPONSE',
      `the committee key is for profile ${profile}, which this client lacks`,
    )
  }
  return {
    profile,
    publicKey: material.publicKey,
    relinKeys: material.relinKeys,
    galoisKeys: material.galoisKeys,
    keyHolder: { mode: 'committee', epoch: material.epoch, keyHash: material.keyHash },
  }
}
