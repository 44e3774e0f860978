import type { Address, Hex32 } from '../../protocol/index.ts'
import { heContext, isProfileName, rnsBasis, type VaultManifest } from '../../sandbox/index.ts'
import type { CommitteeView } from '../jobs/scored-rules.ts'
import type { Keyring } from './keyring.ts'

/**
 * What the block rules read of threshold mode, loaded ahead so the rules never wait: the committee
 * of each key this node holds, and each HE profile's primes. The DKG fills the keyring while the
 * node runs, so a key missing here is looked up again on the next block.
 */
export class ThresholdDirectory {
  readonly #keyring: Pick<Keyring, 'getKey'>
  readonly #committees = new Map<Hex32, CommitteeView>()
  readonly #primes = new Map<string, readonly bigint[]>()

  constructor(keyring: Pick<Keyring, 'getKey'>) {
    this.#keyring = keyring
  }

  committee(keyHash: Hex32): CommitteeView | undefined {
    return this.#committees.get(keyHash)
  }

  primes(profile: string): readonly bigint[] | undefined {
    return this.#primes.get(profile)
  }

  /** Drops what is loaded of a key: a reshare handed it to another epoch's holders. */
  forget(keyHash: Hex32): void {
    this.#committees.delete(keyHash)
  }

  /** The committee of a key, from the keyring if it is not loaded yet. */
  async loadCommittee(keyHash: Hex32): Promise<CommitteeView | undefined> {
    const known = this.#committees.get(keyHash)
    if (known) return known
    const record = await this.#keyring.getKey(keyHash)
    if (!record) return undefined
    const view = {
      members: record.members.map((a) => a.toLowerCase() as Address),
      threshold: record.threshold,
    }
    this.#committees.set(keyHash, view)
    return view
  }

  /** Loads what judging jobs on these vaults needs; owner-mode vaults need nothing. */
  async prepare(manifests: readonly (VaultManifest | undefined)[]): Promise<void> {
    for (const m of manifests) {
      const holder = m?.keyHolder
      if (!m || !holder) continue
      await this.loadCommittee(holder.keyHash)
      if (!this.#primes.has(m.profile) && isProfileName(m.profile)) {
        this.#primes.set(m.profile, rnsBasis(await heContext(m.profile)).primes)
      }
    }
  }
}
