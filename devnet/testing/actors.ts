import { randomBytes } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { secp256k1 } from '@noble/curves/secp256k1.js'
import type { Wallet } from 'ethers'
import {
  type ContractAddresses,
  computePolicyHash,
  connectJobMarket,
  connectVaultRegistry,
  type Eip712Domain,
  type Hex32,
  type JobRequest,
  jobIdOf,
  manifestBlob,
  type SignedJobRequest,
  signJobRequest,
  signRequest,
  specHash,
} from '../../protocol/index.ts'
import { BLOB_DIR, minQualityOf, parseSpec, readManifest, type VaultManifest } from '../../sandbox/index.ts'
import type { ClusterNode } from '../cluster.ts'

/** A seller: uploads a vault's blobs and manifest to a node and registers the vault on chain. */
export async function publishVault(
  node: ClusterNode,
  vaultDir: string,
  seller: Wallet,
  addresses: ContractAddresses,
): Promise<VaultManifest> {
  const manifest = await readManifest(vaultDir)
  const sellerKey = seller.privateKey as Hex32
  const blobDir = join(vaultDir, BLOB_DIR)
  const announcement = new TextEncoder().encode(JSON.stringify(manifest))
  const announced = await fetch(`${node.apiUrl}/v1/vaults/pending`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...signRequest(sellerKey, 'POST', '/v1/vaults/pending', announcement),
    },
    body: announcement,
  })
  if (announced.status !== 201)
    throw new Error(`vault announce: ${announced.status} ${await announced.text()}`)
  for (const name of await readdir(blobDir)) {
    const bytes = await readFile(join(blobDir, name))
    const path = `/v1/blobs/0x${name}?vault=${manifest.vaultId}`
    const response = await fetch(`${node.apiUrl}${path}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream', ...signRequest(sellerKey, 'PUT', path, bytes) },
      body: bytes,
    })
    if (response.status !== 201) throw new Error(`blob upload: ${response.status} ${await response.text()}`)
  }
  const registry = connectVaultRegistry(addresses.vaultRegistry, seller)
  await registry.register(manifest.vaultId as Hex32, {
    manifestHash: manifestBlob(manifest).id,
    policyHash: computePolicyHash(manifest.policy),
    price: BigInt(manifest.policy.price),
  })
  const body = new TextEncoder().encode(JSON.stringify(manifest))
  const published = await node.api('/v1/vaults', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signRequest(sellerKey, 'POST', '/v1/vaults', body) },
    body,
  })
  if (published.status !== 201)
    throw new Error(`vault publish: ${published.status} ${JSON.stringify(published.body)}`)
  return manifest
}

export interface Buyer {
  readonly wallet: Wallet
  readonly key: Hex32
  /** secp256k1 key the result is sealed to */
  readonly sealingKey: Uint8Array
}

export function buyer(wallet: Wallet): Buyer {
  return { wallet, key: wallet.privateKey as Hex32, sealingKey: secp256k1.utils.randomSecretKey() }
}

export interface Submission {
  readonly jobId: Hex32
  readonly signed: SignedJobRequest
  readonly status: number
  readonly body: unknown
}

export interface JobOptions {
  readonly buyer: Buyer
  readonly domain: Eip712Domain
  readonly manifest: VaultManifest
  readonly spec: unknown
  readonly deadline: number
}

/** A buyer's signed request for `spec` on the vault, at the vault's price; nothing on chain yet. */
export function signedJobRequest(options: JobOptions): { signed: SignedJobRequest; jobId: Hex32 } {
  const { manifest, spec } = options
  const request: JobRequest = {
    version: 1,
    vaultId: manifest.vaultId as Hex32,
    algorithm: { specHash: specHash(spec), spec: spec as never },
    buyer: options.buyer.wallet.address.toLowerCase() as Hex32,
    maxPrice: manifest.policy.price,
    deadline: options.deadline,
    nonce: `0x${randomBytes(32).toString('hex')}`,
    sealingPublicKey: `0x${Buffer.from(secp256k1.getPublicKey(options.buyer.sealingKey, true)).toString('hex')}`,
  }
  return { signed: signJobRequest(options.domain, options.buyer.key, request), jobId: jobIdOf(request) }
}

/** A buyer: signs a job request, opens its escrow on chain and submits it to a node. */
export async function submitJob(
  node: ClusterNode,
  options: JobOptions & { readonly addresses: ContractAddresses; readonly escrow?: bigint },
): Promise<Submission> {
  const { manifest } = options
  const { signed, jobId } = signedJobRequest(options)
  const market = connectJobMarket(options.addresses.jobMarket, options.buyer.wallet)
  const expiresAt = BigInt(Math.floor(Date.now() / 1000) + 7200)
  await market.openJob(
    jobId,
    manifest.vaultId as Hex32,
    expiresAt,
    options.escrow ?? BigInt(manifest.policy.price),
    // The honest buyer escrows the minimum its signed spec states.
    minQualityOf(parseSpec(options.spec)),
  )
  const { status, body } = await node.api('/v1/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(signed),
  })
  return { jobId, signed, status, body }
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}
