import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pino } from 'pino'
import { inject } from 'vitest'
import type { ClusterNode } from '../../devnet/cluster.ts'
import { HOME_FILES } from '../../node/home.ts'
import { createNodeStore } from '../../node/storage/index.ts'
import { type CommitteeKeyRecord, createKeyring } from '../../node/threshold/index.ts'
import {
  type Address,
  addressOfPrivateKey,
  blobIdOf,
  type CollectiveKey,
  collectiveKeyHash,
  connectCommitteeKeys,
  type DevChain,
  dkgInstance,
  type Hex,
  type Hex32,
  signCommitteeKey,
  type TestNetwork,
  toHex,
} from '../../protocol/index.ts'
import { rotateAndSumSteps } from '../../sandbox/he/profiles.ts'
import { loadInto, type SealObject, wireBytes } from '../../sandbox/he/serialize.ts'
import { encodePoly, heContext } from '../../sandbox/index.ts'
import {
  committeeEvaluationKeys,
  type TestCommittee,
  testCommittee,
} from '../../sandbox/testing/threshold-committee.ts'

/**
 * Stands in for the DKG's transport, and only that: the committee's maths runs for real
 * (sandbox testCommittee: every member's secret, the Shamir dealing, CKG, RKG, RTG on real SEAL),
 * and each daemon gets what the DKG would leave in it: the collective key's blobs in its blob
 * store, the key record, and its own share only. The key hash is registered on chain by 2f+1 of
 * the members' signatures, as the DKG does. Swap this file for the real DKG when it lands.
 */
export interface SeededCommittee {
  /** the committee's key as its members made it (uncompressed SEAL bytes) */
  readonly committee: Pick<TestCommittee, 'publicKey'>
  readonly keyHash: Hex32
  readonly epoch: number
  readonly record: CommitteeKeyRecord
}

/**
 * What a committee of `n` leaves behind that a seeded node needs: its keys as the wire carries them
 * and each member's share. Independent of the chain (the key record binds epoch and set later).
 */
interface CommitteeMaterial {
  readonly threshold: number
  /** uncompressed SEAL PublicKey bytes (TestCommittee.publicKey) */
  readonly publicKey: Uint8Array
  readonly blobs: {
    readonly publicKey: Uint8Array
    readonly relinKeys: Uint8Array
    readonly galoisKeys: Uint8Array
  }
  /** encodePoly of member i + 1's key share, hex */
  readonly shares: readonly Hex[]
  /** read from the run's cache rather than made here */
  readonly cached?: boolean
}

const BLOB_NAMES = ['publicKey', 'relinKeys', 'galoisKeys'] as const

/**
 * The committee's maths for `n` members, on real SEAL. Its evaluation keys (RKG, and RTG for
 * every rotate-and-sum step) take the most part of ten seconds of one core, and every committee
 * e2e file seeds the same shape of committee: the first file of a run to need one makes it and
 * leaves it in the run's cache (test/support/run-cache.ts), the next files read it. Which secrets
 * the members hold proves nothing in those files; the key they were seeded with is the same kind
 * either way.
 */
async function committeeMaterial(n: number): Promise<CommitteeMaterial> {
  const cacheDir = inject('runCacheDir')
  const dir = cacheDir && join(cacheDir, `seeded-committee-${n}`)
  if (dir && existsSync(dir)) {
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as {
      threshold: number
      shares: Hex[]
    }
    const read = async (name: string) => new Uint8Array(await readFile(join(dir, `${name}.bin`)))
    const [publicKey, wirePublicKey, relinKeys, galoisKeys] = await Promise.all(
      ['committee-public-key', ...BLOB_NAMES].map(read),
    )
    return {
      threshold: meta.threshold,
      publicKey: publicKey!,
      blobs: { publicKey: wirePublicKey!, relinKeys: relinKeys!, galoisKeys: galoisKeys! },
      shares: meta.shares,
      cached: true,
    }
  }
  const material = await makeCommitteeMaterial(n)
  if (dir) {
    // Written aside and renamed into place, so a reader sees all of it or none; a file of the same
    // run that made one meanwhile keeps its own.
    const aside = await mkdtemp(`${dir}-`)
    await writeFile(join(aside, 'committee-public-key.bin'), material.publicKey)
    for (const name of BLOB_NAMES) await writeFile(join(aside, `${name}.bin`), material.blobs[name])
    await writeFile(
      join(aside, 'meta.json'),
      JSON.stringify({ threshold: material.threshold, shares: material.shares }),
    )
    await rename(aside, dir).catch(() => rm(aside, { recursive: true, force: true }))
  }
  return material
}

async function makeCommitteeMaterial(n: number): Promise<CommitteeMaterial> {
  const ctx = await heContext('ckks-8192')
  const tc = testCommittee(ctx, n, 'e2e')
  const evk = committeeEvaluationKeys(tc, rotateAndSumSteps(ctx.profile.slotCount))
  const wire = <T extends SealObject>(bytes: Uint8Array, make: () => T) => {
    const obj = loadInto(ctx, make, bytes, 'committee key', 'KEY_INVALID')
    try {
      return wireBytes(ctx.seal, obj)
    } finally {
      obj.delete()
    }
  }
  return {
    threshold: tc.committee.t,
    publicKey: tc.publicKey,
    blobs: {
      publicKey: wire(tc.publicKey, () => new ctx.seal.PublicKey()),
      relinKeys: wire(evk.relinKeys, () => new ctx.seal.RelinKeys()),
      galoisKeys: wire(evk.galoisKeys, () => new ctx.seal.GaloisKeys()),
    },
    shares: tc.keys.map((k) => toHex(encodePoly(k.share))),
  }
}

/** Builds the committee and writes each node's part into its store; call before the nodes start. */
export async function seedCommittee(
  nodes: readonly ClusterNode[],
  net: TestNetwork,
  chain: DevChain,
): Promise<SeededCommittee> {
  const started = performance.now()
  const material = await committeeMaterial(nodes.length)
  console.log(
    `seeded committee of ${nodes.length}: ${material.cached ? 'read from the run cache' : 'made'} in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
  const { blobs } = material
  const ref = (bytes: Uint8Array) => ({ blobId: blobIdOf(bytes), size: bytes.length })
  // Member i + 1 is node i, and node i holds validator key i: the set order the record states.
  const members = nodes.map((n) => n.address.toLowerCase() as Address)
  const setHash = (await net.connect(chain.wallet(0)).validators.epochSetHash(net.epoch)) as Hex32
  const key: CollectiveKey = {
    instance: dkgInstance(net.epoch, setHash, 0),
    profile: 'ckks-8192',
    qualified: members.map((_, i) => i + 1),
    publicKey: ref(blobs.publicKey),
    relinKeys: ref(blobs.relinKeys),
    galoisKeys: ref(blobs.galoisKeys),
  }
  const keyHash = collectiveKeyHash(key)
  const record: CommitteeKeyRecord = { keyHash, key, members, threshold: material.threshold }
  for (const [i, node] of nodes.entries()) {
    const store = createNodeStore({
      dir: join(node.home, HOME_FILES.database),
      logger: pino({ level: 'silent' }),
    })
    await store.open()
    try {
      for (const bytes of Object.values(blobs)) await store.blobs.put(blobIdOf(bytes), bytes)
      const keyring = createKeyring(store)
      await keyring.putKey(record)
      await keyring.putShare({ keyHash, member: i + 1, share: material.shares[i]! })
    } finally {
      await store.close()
    }
  }
  return { committee: { publicKey: material.publicKey }, keyHash, epoch: net.epoch, record }
}

/**
 * Registers the key hash on chain with the signatures of the fewest first members holding more than
 * two thirds of the (equal) stake, as the Anchor counts it (the DKG's last step).
 */
export async function registerCommitteeKey(
  chain: DevChain,
  net: TestNetwork,
  seeded: SeededCommittee,
): Promise<void> {
  const setHash = seeded.record.key.instance.setHash
  const domain = { chainId: chain.chainId, verifyingContract: net.addresses.anchor }
  const n = seeded.record.members.length
  const signers = net.validatorKeys.slice(0, Math.floor((2 * n) / 3) + 1)
  await connectCommitteeKeys(net.addresses.anchor, chain.wallet(0)).register({
    epoch: seeded.epoch,
    keyHash: seeded.keyHash,
    validatorSet: net.validatorSet,
    signatures: signers.map((k) => ({
      validator: addressOfPrivateKey(k),
      signature: signCommitteeKey(domain, k, { epoch: seeded.epoch, setHash, keyHash: seeded.keyHash }),
    })),
  })
}
