import { join } from 'node:path'
import { pino } from 'pino'
import { type Cluster, type ClusterNode, startCluster } from '../../devnet/cluster.ts'
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
  readonly committee: TestCommittee
  readonly keyHash: Hex32
  readonly epoch: number
  readonly record: CommitteeKeyRecord
}

/** Builds the committee and writes each node's part into its store; call before the nodes start. */
export async function seedCommittee(
  nodes: readonly ClusterNode[],
  net: TestNetwork,
  chain: DevChain,
): Promise<SeededCommittee> {
  const ctx = await heContext('ckks-8192')
  const tc = testCommittee(ctx, nodes.length, 'e2e')
  const evk = committeeEvaluationKeys(tc, rotateAndSumSteps(ctx.profile.slotCount))
  const wire = <T extends SealObject>(bytes: Uint8Array, make: () => T) => {
    const obj = loadInto(ctx, make, bytes, 'committee key', 'KEY_INVALID')
    try {
      return wireBytes(ctx.seal, obj)
    } finally {
      obj.delete()
    }
  }
  const blobs = {
    publicKey: wire(tc.publicKey, () => new ctx.seal.PublicKey()),
    relinKeys: wire(evk.relinKeys, () => new ctx.seal.RelinKeys()),
    galoisKeys: wire(evk.galoisKeys, () => new ctx.seal.GaloisKeys()),
  }
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
  const record: CommitteeKeyRecord = { keyHash, key, members, threshold: tc.committee.t }
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
      await keyring.putShare({ keyHash, member: i + 1, share: toHex(encodePoly(tc.keys[i]!.share)) })
    } finally {
      await store.close()
    }
  }
  return { committee: tc, keyHash, epoch: net.epoch, record }
}

/** Registers the key hash on chain with the signatures of the first t members (the DKG's last step). */
export async function registerCommitteeKey(
  chain: DevChain,
  net: TestNetwork,
  seeded: SeededCommittee,
): Promise<void> {
  const setHash = seeded.record.key.instance.setHash
  const domain = { chainId: chain.chainId, verifyingContract: net.addresses.anchor }
  const signers = net.validatorKeys.slice(0, seeded.record.threshold)
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

/** Four validator daemons started with a seeded committee whose key is registered on chain. */
export async function startSeededCluster(
  dir: string,
): Promise<{ cluster: Cluster; seeded: SeededCommittee }> {
  let seeded: SeededCommittee | undefined
  const cluster = await startCluster({
    dir,
    validators: 4,
    beforeStart: async (nodes, net, chain) => {
      seeded = await seedCommittee(nodes, net, chain)
    },
  })
  await registerCommitteeKey(cluster.chain, cluster.network, seeded!)
  return { cluster, seeded: seeded! }
}
