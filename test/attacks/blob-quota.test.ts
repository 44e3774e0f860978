import { randomBytes } from 'node:crypto'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Wallet } from 'ethers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Address, blobIdOf, computeVaultId, type Hex32, signRequest } from '../../protocol/index.ts'
import { BLOB_DIR, readManifest, type VaultManifest } from '../../sandbox/index.ts'
import { REGRESSION_VAULT } from '../../sandbox/testing/regression.ts'
import { type SingleNode, startSingleNode } from '../support/single-node.ts'

/**
 * Disk abuse through uploads: a key with no vault on chain announces one
 * and stores what it likes. It gets to store only that vault's blobs,
 * within its quota, and only until its announcement expires unregistered.
 */
const QUOTA = 2 ** 20
const TTL_MS = 3000
/** all unregistered vaults together: two of the small blobs fit, three do not */
const POOL = 400_000

let one: SingleNode
let manifest: VaultManifest
const blobs: { id: Hex32; bytes: Uint8Array }[] = []

beforeAll(async () => {
  one = await startSingleNode({
    node: {
      uploads: { quotaBytes: QUOTA, pendingTtlMs: TTL_MS, maxPendingPerOwner: 1, pendingPoolBytes: POOL },
      gcIntervalMs: 0,
    },
  })
  manifest = await readManifest(REGRESSION_VAULT)
  const dir = join(REGRESSION_VAULT, BLOB_DIR)
  const names = (await readdir(dir)).filter((n) => /^[0-9a-f]{64}$/.test(n))
  const sizes = await Promise.all(names.map(async (n) => (await stat(join(dir, n))).size))
  // Smallest first: the last one (the Galois keys) is larger than the quota on its own.
  for (const name of names.map((n, i) => [n, sizes[i]!] as const).sort((a, b) => a[1] - b[1]))
    blobs.push({ id: `0x${name[0]}`, bytes: new Uint8Array(await readFile(join(dir, name[0]))) })
}, 120_000)
afterAll(async () => {
  await one?.stop()
})

async function send(key: Hex32, method: string, path: string, body: Uint8Array, type: string) {
  const response = await fetch(`${one.url}${path}`, {
    method,
    headers: { 'content-type': type, ...signRequest(key, method, path, body) },
    body,
  })
  const text = await response.text()
  return { status: response.status, code: (JSON.parse(text) as { error?: { code: string } }).error?.code }
}
const announce = (key: Hex32, m: unknown) =>
  send(key, 'POST', '/v1/vaults/pending', new TextEncoder().encode(JSON.stringify(m)), 'application/json')
const upload = (key: Hex32, blob: { id: Hex32; bytes: Uint8Array }, vault?: Hex32) =>
  send(
    key,
    'PUT',
    `/v1/blobs/${blob.id}${vault ? `?vault=${vault}` : ''}`,
    blob.bytes,
    'application/octet-stream',
  )

describe('uploads by a key that announced a vault', () => {
  const key = Wallet.createRandom().privateKey as Hex32
  const owner = new Wallet(key).address.toLowerCase() as Address

  it('stores only the announced vault’s blobs, within the owner’s quota and the pool of unregistered vaults', async () => {
    const vaultId = manifest.vaultId as Hex32
    expect(await upload(key, blobs[0]!, vaultId)).toEqual({ status: 403, code: 'NOT_A_VAULT_OWNER' })
    expect(await announce(key, manifest)).toEqual({ status: 201, code: undefined })
    expect(await upload(key, blobs[0]!)).toEqual({ status: 403, code: 'NOT_A_VAULT_OWNER' })
    const junk = new Uint8Array(randomBytes(1024))
    expect(await upload(key, { id: blobIdOf(junk), bytes: junk }, vaultId)).toEqual({
      status: 403,
      code: 'BLOB_NOT_IN_VAULT',
    })
    expect(await upload(key, blobs[0]!, vaultId)).toEqual({ status: 201, code: undefined })
    expect(await upload(key, blobs[1]!, vaultId)).toEqual({ status: 201, code: undefined })
    const used = blobs[0]!.bytes.length + blobs[1]!.bytes.length
    expect(one.node.uploadedBy(owner)).toBe(used)
    // Within the owner's quota, but over what unregistered vaults may hold together.
    expect(await upload(key, blobs[2]!, vaultId)).toEqual({ status: 503, code: 'PENDING_FULL' })
    const galois = blobs.at(-1)!
    expect(galois.bytes.length).toBeGreaterThan(QUOTA)
    expect(await upload(key, galois, vaultId)).toEqual({ status: 413, code: 'QUOTA_EXCEEDED' })
    expect(await one.store.blobs.has(galois.id)).toBe(false)
  })

  it('holds the announcement against other keys, and one pending vault per owner here', async () => {
    const other = Wallet.createRandom().privateKey as Hex32
    expect(await announce(other, manifest)).toEqual({ status: 409, code: 'ALREADY_ANNOUNCED' })
    const { vaultId: _, ...content } = { ...manifest, createdAt: new Date().toISOString() }
    const second = { ...content, vaultId: computeVaultId(content as never) }
    expect(await announce(key, second)).toEqual({ status: 429, code: 'TOO_MANY_PENDING' })
  })

  it('collects the blobs of an announcement never registered once it expires', async () => {
    expect(await one.node.collectGarbage()).toEqual({ blobs: 0, bytes: 0 })
    await new Promise((resolve) => setTimeout(resolve, TTL_MS + 500))
    const collected = await one.node.collectGarbage()
    expect(collected).toEqual({ blobs: 2, bytes: blobs[0]!.bytes.length + blobs[1]!.bytes.length })
    expect(await one.store.blobs.has(blobs[0]!.id)).toBe(false)
    expect(one.node.uploadedBy(owner)).toBe(0)
    expect(await upload(key, blobs[0]!, manifest.vaultId as Hex32)).toEqual({
      status: 403,
      code: 'NOT_A_VAULT_OWNER',
    })
  })
})
