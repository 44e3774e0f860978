import type { Address, Hex32 } from '../protocol/index.ts'
import { parseManifest, type VaultManifest } from '../sandbox/index.ts'
import { NodeError, Refused } from './errors.ts'
import type { NodeChain, NodeNetwork } from './ports.ts'
import type { NodeStore } from './storage/index.ts'

const FETCH_ATTEMPTS = 5
/** Below the peers' per-peer inbound stream limit (4), so fetches are not turned away as busy. */
const FETCH_CONCURRENCY = 3

/**
 * Where the node finds what vaults are made of: manifests (content-addressed
 * by vault id, located by the manifest hash the chain records), vault owners
 * (as registered on chain; registrations are never transferred, so cached
 * for good) and blobs (the store, else peers).
 */
export class VaultDirectory {
  readonly #store: NodeStore
  readonly #chain: NodeChain
  readonly #network: () => NodeNetwork | undefined
  readonly #manifests = new Map<Hex32, VaultManifest>()
  readonly #owners = new Map<Hex32, Address>()
  readonly #ownerAddresses = new Set<Address>()
  /** fetches under way: a job and the vault's warming (vault-warmer.ts) wanting one blob fetch it once */
  readonly #inFlight = new Map<Hex32, Promise<Uint8Array>>()

  constructor(init: { store: NodeStore; chain: NodeChain; network: () => NodeNetwork | undefined }) {
    this.#store = init.store
    this.#chain = init.chain
    this.#network = init.network
  }

  /** What is known without I/O: block rules must not wait. */
  cached(vaultId: Hex32): VaultManifest | undefined {
    return this.#manifests.get(vaultId)
  }

  cachedOwner(vaultId: Hex32): Address | undefined {
    return this.#owners.get(vaultId)
  }

  /** Whether `address` owns a vault this node has looked up (its stored vaults are looked up at open). */
  isKnownOwner(address: Address): boolean {
    return this.#ownerAddresses.has(address)
  }

  remember(manifest: VaultManifest): void {
    this.#manifests.set(manifest.vaultId as Hex32, manifest)
  }

  /** A vault's manifest: memory, the store, or fetched from peers by the hash the chain records. */
  async manifest(vaultId: Hex32): Promise<VaultManifest> {
    const cached = this.#manifests.get(vaultId)
    if (cached) return cached
    const stored = await this.#store.getVault(vaultId)
    let manifest: VaultManifest
    if (stored) {
      manifest = parseManifest(stored.manifest)
    } else {
      const vault = await this.#chain.vault(vaultId)
      if (!vault) throw new Refused('VAULT_UNKNOWN', `vault ${vaultId} is not registered on chain`)
      const bytes = await this.fetch(vault.manifestHash)
      manifest = parseManifest(JSON.parse(new TextDecoder().decode(bytes)))
      if (manifest.vaultId !== vaultId)
        throw new NodeError('MANIFEST_MISMATCH', `manifest ${vault.manifestHash} is not vault ${vaultId}`)
      await this.#store.putVault(manifest)
    }
    this.#manifests.set(vaultId, manifest)
    return manifest
  }

  /** The vault's on-chain owner. */
  async owner(vaultId: Hex32): Promise<Address> {
    const cached = this.#owners.get(vaultId)
    if (cached) return cached
    const vault = await this.#chain.vault(vaultId)
    if (!vault) throw new Refused('VAULT_UNKNOWN', `vault ${vaultId} is not registered on chain`)
    const owner = vault.owner.toLowerCase() as Address
    this.#owners.set(vaultId, owner)
    this.#ownerAddresses.add(owner)
    return owner
  }

  /**
   * A blob from the store, else from peers (then kept). Peers answer a full
   * inbound queue by resetting the stream, so a failed fetch is retried with
   * backoff before it counts.
   */
  async fetch(id: Hex32): Promise<Uint8Array> {
    const local = await this.#store.blobs.get(id)
    if (local) return local
    let flight = this.#inFlight.get(id)
    if (!flight) {
      flight = this.#fetchFromPeers(id).finally(() => this.#inFlight.delete(id))
      this.#inFlight.set(id, flight)
    }
    return flight
  }

  async #fetchFromPeers(id: Hex32): Promise<Uint8Array> {
    const network = this.#network()
    if (!network) throw new NodeError('NOT_STARTED', `blob ${id} is not here and the network is not started`)
    for (let attempt = 1; ; attempt++) {
      try {
        const bytes = await network.fetchBlob(id)
        await this.#store.blobs.put(id, bytes)
        return bytes
      } catch (e) {
        if (attempt >= FETCH_ATTEMPTS) throw e
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt))
        // Published here meanwhile (a vault's manifest is stored at its publication, after its registration).
        const arrived = await this.#store.blobs.get(id)
        if (arrived) return arrived
      }
    }
  }

  /** Fetches whatever of `ids` the store lacks, a few at a time. */
  async ensure(ids: readonly Hex32[]): Promise<void> {
    const missing: Hex32[] = []
    for (const id of ids) if (!(await this.#store.blobs.has(id))) missing.push(id)
    let next = 0
    const worker = async () => {
      while (next < missing.length) await this.fetch(missing[next++]!)
    }
    await Promise.all(Array.from({ length: Math.min(FETCH_CONCURRENCY, missing.length) }, worker))
  }
}
