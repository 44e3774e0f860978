import { type Address, type Hex32, manifestBlob, vaultBlobIds } from '../protocol/index.ts'
import { parseManifest, type VaultManifest } from '../sandbox/index.ts'
import { NodeBusy, NotPermitted, QuotaExceeded, StateConflict, TooManyPending } from './errors.ts'
import type { ChainVault, NodeChain } from './ports.ts'
import type { NodeStore, StoredUpload } from './storage/index.ts'

/** What a node lets vault owners keep on its disk. */
export interface UploadLimits {
  /** bytes one owner may have stored through the API at a time */
  readonly quotaBytes: number
  /** how long an announced vault may stay unregistered on chain before its uploads are collected */
  readonly pendingTtlMs: number
  /** announced, unregistered vaults per owner at a time */
  readonly maxPendingPerOwner: number
  /**
   * bytes all unregistered announcements together may hold: keys are free, so without it every
   * fresh key could store a quota's worth for an hour; a registered owner is not held to it
   */
  readonly pendingPoolBytes: number
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  quotaBytes: 4 * 2 ** 30,
  pendingTtlMs: 60 * 60_000,
  maxPendingPerOwner: 4,
  pendingPoolBytes: 8 * 2 ** 30,
}

/** Announcements held in memory, across owners: each keeps a manifest of up to the JSON body limit. */
const MAX_PENDING = 256

interface Pending {
  readonly manifest: VaultManifest
  readonly owner: Address
  readonly expiresAt: number
}

/**
 * Who may store blobs on this node, and for how long. Only a vault's owner
 * uploads its blobs: the on-chain owner of a registered vault, or the signer
 * who announced a vault (its manifest) and has not registered it yet; only
 * the blobs that vault's manifest names; within a per-owner quota. Blobs of
 * vaults deactivated on chain, and of announcements never registered, are
 * collected unless a vault still alive or an open job needs them.
 */
export class VaultUploads {
  readonly #store: NodeStore
  readonly #chain: NodeChain
  readonly #limits: UploadLimits
  readonly #now: () => number
  readonly #pending = new Map<Hex32, Pending>()
  /** bytes charged per owner, including uploads in flight */
  readonly #usage = new Map<Address, number>()
  /** bytes uploaded per vault not registered on chain at the time (since this process started) */
  readonly #unregistered = new Map<Hex32, number>()

  constructor(init: { store: NodeStore; chain: NodeChain; limits: UploadLimits; now?: () => number }) {
    this.#store = init.store
    this.#chain = init.chain
    this.#limits = init.limits
    this.#now = init.now ?? Date.now
  }

  async open(): Promise<void> {
    this.#usage.clear()
    for (const u of await this.#store.listUploads()) this.#charge(u.owner as Address, u.bytes)
  }

  /** Bytes stored for `owner` through the API. */
  usage(owner: Address): number {
    return this.#usage.get(owner.toLowerCase() as Address) ?? 0
  }

  /** A signed manifest: its signer may upload the blobs it names until `expiresAt` unless it registers the vault. */
  async announce(
    body: unknown,
    signer: Address,
  ): Promise<{ vaultId: Hex32; expiresAt: string; blobs: number }> {
    const owner = signer.toLowerCase() as Address
    const manifest = parseManifest(body)
    const vaultId = manifest.vaultId as Hex32
    const onChain = await this.#chain.vault(vaultId)
    if (onChain && onChain.owner.toLowerCase() !== owner)
      throw new NotPermitted(
        'NOT_VAULT_OWNER',
        `vault ${vaultId} is registered to ${onChain.owner}, not ${owner}`,
      )
    if (onChain && !onChain.active)
      throw new StateConflict('VAULT_INACTIVE', `vault ${vaultId} is deactivated`)
    this.#expire()
    const current = this.#pending.get(vaultId)
    // Registration proves ownership; before it, the first announcer holds the vault until it expires.
    if (!onChain && current && current.owner !== owner) {
      throw new StateConflict(
        'ALREADY_ANNOUNCED',
        `vault ${vaultId} is announced by another key until ${new Date(current.expiresAt).toISOString()}; register it on chain to take it`,
      )
    }
    const others = [...this.#pending.entries()].filter(([id, p]) => p.owner === owner && id !== vaultId)
    if (others.length >= this.#limits.maxPendingPerOwner) {
      throw new TooManyPending(
        'TOO_MANY_PENDING',
        `${owner} has ${others.length} announced vaults not yet registered; register or wait for them to expire`,
      )
    }
    if (!this.#pending.has(vaultId) && this.#pending.size >= MAX_PENDING)
      throw new NodeBusy('PENDING_FULL', 'too many vaults are being announced; retry later')
    const expiresAt = this.#now() + this.#limits.pendingTtlMs
    this.#pending.set(vaultId, { manifest, owner, expiresAt })
    return { vaultId, expiresAt: new Date(expiresAt).toISOString(), blobs: vaultBlobIds(manifest).length }
  }

  /** Stores one blob of `vaultId` for `signer`, or refuses with the reason. */
  async upload(id: Hex32, bytes: Uint8Array, signer: Address, vaultId: Hex32 | undefined): Promise<void> {
    const owner = signer.toLowerCase() as Address
    if (vaultId === undefined) {
      throw new NotPermitted(
        'NOT_A_VAULT_OWNER',
        'blobs are uploaded by a vault owner for a vault: name it (?vault=0x…) after announcing or registering it',
      )
    }
    const { manifest, registered } = await this.#manifestFor(vaultId, owner)
    if (id !== manifestBlob(manifest).id && !vaultBlobIds(manifest).includes(id))
      throw new NotPermitted('BLOB_NOT_IN_VAULT', `blob ${id} is not part of vault ${vaultId}`)
    if (await this.#store.blobs.has(id)) return
    const used = this.usage(owner)
    if (used + bytes.length > this.#limits.quotaBytes) {
      throw new QuotaExceeded(
        'QUOTA_EXCEEDED',
        `${owner} stores ${used} bytes here; ${bytes.length} more exceed the quota of ${this.#limits.quotaBytes}`,
      )
    }
    const pooled = [...this.#unregistered.values()].reduce((a, b) => a + b, 0)
    if (!registered && pooled + bytes.length > this.#limits.pendingPoolBytes) {
      throw new NodeBusy(
        'PENDING_FULL',
        `unregistered vaults hold ${pooled} bytes here, the most they may; register vault ${vaultId} on chain first`,
      )
    }
    // Charged before the write so that concurrent uploads cannot all pass the check.
    this.#charge(owner, bytes.length)
    if (!registered) this.#pool(vaultId, bytes.length)
    const record: StoredUpload = {
      blobId: id,
      owner,
      vaultId,
      bytes: bytes.length,
      at: new Date(this.#now()).toISOString(),
    }
    await this.#store.putUpload(record, bytes).catch((e: unknown) => {
      this.#charge(owner, -bytes.length)
      if (!registered) this.#pool(vaultId, -bytes.length)
      throw e
    })
  }

  /**
   * Deletes the blobs no live vault and no open job needs. A vault is live while
   * it is announced and unregistered, active on chain, or named by an open job;
   * one whose chain state cannot be read is left alone.
   */
  async collect(openVaults: ReadonlySet<Hex32>): Promise<{ readonly blobs: number; readonly bytes: number }> {
    this.#expire()
    const manifests = new Map<Hex32, VaultManifest>()
    for (const { manifest } of await this.#store.listVaults())
      manifests.set(manifest.vaultId as Hex32, parseManifest(manifest))
    for (const [vaultId, p] of this.#pending) manifests.set(vaultId, p.manifest)
    const uploads = await this.#store.listUploads()
    const vaultIds = new Set<Hex32>([...manifests.keys(), ...uploads.map((u) => u.vaultId as Hex32)])
    const dead = new Set<Hex32>()
    for (const vaultId of vaultIds) {
      if (openVaults.has(vaultId)) continue
      let onChain: ChainVault | undefined
      try {
        onChain = await this.#chain.vault(vaultId)
      } catch {
        continue
      }
      if (onChain) this.#unregistered.delete(vaultId) // registered since: out of the pool
      // An announcement keeps a vault alive until it is registered; then the chain says.
      if (!onChain && this.#pending.has(vaultId)) continue
      // Unregistered and unannounced: alive only while its newest upload is younger than an announcement.
      const newest = Math.max(0, ...uploads.filter((u) => u.vaultId === vaultId).map((u) => Date.parse(u.at)))
      const abandoned = !onChain && newest + this.#limits.pendingTtlMs < this.#now()
      if ((onChain && !onChain.active) || abandoned) dead.add(vaultId)
    }
    if (dead.size === 0) return { blobs: 0, bytes: 0 }
    const live = new Set<Hex32>()
    for (const [vaultId, manifest] of manifests) {
      if (dead.has(vaultId)) continue
      live.add(manifestBlob(manifest).id)
      for (const id of vaultBlobIds(manifest)) live.add(id)
    }
    const doomed = new Set<Hex32>()
    for (const vaultId of dead) {
      const manifest = manifests.get(vaultId)
      if (manifest) for (const id of vaultBlobIds(manifest)) doomed.add(id)
    }
    const records = uploads.filter((u) => dead.has(u.vaultId as Hex32))
    for (const u of records) doomed.add(u.blobId as Hex32)
    for (const id of live) doomed.delete(id)
    let bytes = 0
    const present: Hex32[] = []
    for (const id of doomed) {
      const blob = await this.#store.blobs.get(id)
      if (blob) {
        present.push(id)
        bytes += blob.length
      }
    }
    if (present.length > 0 || records.length > 0) await this.#store.collect(present, records)
    for (const vaultId of dead) this.#unregistered.delete(vaultId)
    for (const u of records) this.#charge(u.owner as Address, -u.bytes)
    return { blobs: present.length, bytes }
  }

  /** The vault is published (its manifest stored): the announcement has served. */
  published(vaultId: Hex32): void {
    this.#pending.delete(vaultId)
    this.#unregistered.delete(vaultId)
  }

  async #manifestFor(
    vaultId: Hex32,
    owner: Address,
  ): Promise<{ manifest: VaultManifest; registered: boolean }> {
    const pending = this.#pending.get(vaultId)
    const onChain = await this.#chain.vault(vaultId)
    if (!onChain && pending && pending.owner === owner && pending.expiresAt > this.#now())
      return { manifest: pending.manifest, registered: false }
    if (!onChain || onChain.owner.toLowerCase() !== owner) {
      throw new NotPermitted(
        'NOT_A_VAULT_OWNER',
        `${owner} has neither registered nor announced vault ${vaultId}`,
      )
    }
    if (!onChain.active) throw new StateConflict('VAULT_INACTIVE', `vault ${vaultId} is deactivated`)
    // The owner is proven by the chain; the manifest is content-addressed, whoever announced it.
    if (pending) return { manifest: pending.manifest, registered: true }
    const stored = await this.#store.getVault(vaultId)
    if (!stored)
      throw new StateConflict(
        'VAULT_NOT_ANNOUNCED',
        `announce vault ${vaultId} (POST /v1/vaults/pending) first`,
      )
    return { manifest: parseManifest(stored.manifest), registered: true }
  }

  #pool(vaultId: Hex32, bytes: number): void {
    this.#unregistered.set(vaultId, (this.#unregistered.get(vaultId) ?? 0) + bytes)
  }

  #expire(): void {
    const now = this.#now()
    for (const [vaultId, p] of this.#pending) if (p.expiresAt <= now) this.#pending.delete(vaultId)
  }

  #charge(owner: Address, bytes: number): void {
    this.#usage.set(owner, (this.#usage.get(owner) ?? 0) + bytes)
  }
}
