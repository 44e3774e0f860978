import { describe, expect, it } from 'vitest'
import {
  addressOfPrivateKey,
  collectiveKeyHash,
  type DkgCommitments,
  type DkgGossip,
  type DkgGossipBody,
  dkgGossipCodec,
  dkgInstance,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  signCommitteeKey,
  signDkgMessage,
} from '../../protocol/index.ts'
import { sampleCollectiveKey } from '../../protocol/testing/dkgSamples.ts'
import { hex32Of as h } from '../../protocol/testing/hex32.ts'
import { epochCommittee } from '../threshold/committee-set.ts'
import { RESHARE_ROUND_BASE } from '../threshold/reshare-run.ts'
import { dkgGossip } from './dkg.ts'
import { domain, keys, outsider } from './testing/epoch.ts'

const anchorDomain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'44'.repeat(20)}` }
const committee = epochCommittee(
  2,
  keys.map((k) => ({ address: addressOfPrivateKey(k), stake: 1n })),
)
const instance = dkgInstance(2, committee.setHash, 0)

const commitments = (key: Hex32, dealer: number, inst = instance): DkgGossipBody => ({
  kind: 'DkgCommitments',
  body: signDkgMessage<DkgCommitments>(domain, 'DkgCommitments', key, {
    version: 1,
    instance: inst,
    dealer,
    perRecipient: [h(1), h(2), h(3), h(4)],
  }),
})
const envelope = (message: DkgGossipBody, resend = 0): DkgGossip => ({ version: 1, resend, message })

/** Epoch 1's set: a validator who leaves at epoch 2 and three who stay; keys[3] joins at epoch 2. */
const leaver = generatePrivateKey()
const oldSet = epochCommittee(
  1,
  [leaver, keys[0]!, keys[1]!, keys[2]!].map((k) => ({ address: addressOfPrivateKey(k), stake: 1n })),
)
const reshareKey = { ...sampleCollectiveKey, instance: dkgInstance(1, oldSet.setHash, 0) }
const reshareKeyHash = collectiveKeyHash(reshareKey)
const reshareInstance = dkgInstance(2, committee.setHash, RESHARE_ROUND_BASE)

function handler(opts: { held?: Set<string>; round?: number; reshare?: boolean } = {}) {
  const delivered: DkgGossipBody[] = []
  const gossip = dkgGossip({
    domain,
    anchorDomain,
    epoch: () => 2,
    committee: async (epoch) => (epoch === 2 ? committee : undefined),
    round: () => opts.round,
    reshare: (epoch) =>
      opts.reshare === true && epoch === 2
        ? {
            old: { epoch: 1, members: oldSet.members, setHash: oldSet.setHash },
            keyHash: reshareKeyHash,
          }
        : undefined,
    holds: (b) => opts.held?.has(JSON.stringify(b)) === true,
    deliver: (b) => delivered.push(b),
  })
  return { gossip, delivered }
}

describe('dkg gossip', () => {
  it("accepts a member's signed message for the epoch's set and instance, and delivers it", async () => {
    const { gossip, delivered } = handler()
    const m = envelope(commitments(keys[1]!, 2))
    expect(await gossip.validate(m)).toBe('accept')
    gossip.deliver(m)
    expect(delivered).toEqual([m.message])
  })

  it('rejects a signer outside the set, a member claiming another index, and a forged signature', async () => {
    const { gossip } = handler()
    expect(await gossip.validate(envelope(commitments(outsider, 2)))).toBe('reject')
    expect(await gossip.validate(envelope(commitments(keys[0]!, 2)))).toBe('reject')
    const forged = commitments(keys[1]!, 2)
    if (forged.kind !== 'DkgCommitments') throw new Error('unreachable')
    const tampered = { ...forged, body: { ...forged.body, perRecipient: [h(9), h(2), h(3), h(4)] } }
    expect(await gossip.validate(envelope(tampered))).toBe('reject')
  })

  it('ignores another epoch, another set, an old round, and a body already held (a re-send)', async () => {
    const other = epochCommittee(
      2,
      [...keys].reverse().map((k) => ({ address: addressOfPrivateKey(k), stake: 1n })),
    )
    const { gossip } = handler({ round: 1 })
    expect(
      await gossip.validate(envelope(commitments(keys[1]!, 2, dkgInstance(3, committee.setHash, 1)))),
    ).toBe('ignore')
    expect(await gossip.validate(envelope(commitments(keys[1]!, 2, dkgInstance(2, other.setHash, 1))))).toBe(
      'ignore',
    )
    expect(await gossip.validate(envelope(commitments(keys[1]!, 2, instance)))).toBe('ignore')
    const current = commitments(keys[1]!, 2, dkgInstance(2, committee.setHash, 1))
    const held = handler({ round: 1, held: new Set([JSON.stringify(current)]) })
    expect(await held.gossip.validate(envelope(current, 7))).toBe('ignore')
    expect(await handler({ round: 1 }).gossip.validate(envelope(current, 7))).toBe('accept')
  })

  it("checks a key signature under the Anchor's domain, by a member", async () => {
    const { gossip } = handler()
    const key = { ...sampleCollectiveKey, instance }
    const keyHash = collectiveKeyHash(key)
    const sign = (k: Hex32, d: Eip712Domain): DkgGossipBody => ({
      kind: 'CollectiveKeySignature',
      body: {
        version: 1,
        key,
        keyHash,
        signer: addressOfPrivateKey(k),
        signature: signCommitteeKey(d, k, { epoch: 2, setHash: committee.setHash, keyHash }),
      },
    })
    expect(await gossip.validate(envelope(sign(keys[3]!, anchorDomain)))).toBe('accept')
    expect(await gossip.validate(envelope(sign(keys[3]!, domain)))).toBe('reject')
    expect(await gossip.validate(envelope(sign(generatePrivateKey(), anchorDomain)))).toBe('reject')
  })

  it('the codec refuses an oversized envelope, a wrong instance id and a runaway re-send counter, naming them', () => {
    const code = (f: () => unknown) => {
      try {
        f()
      } catch (e) {
        return (e as { code?: string; path?: unknown }).code + JSON.stringify((e as { path?: unknown }).path)
      }
      return 'decoded'
    }
    expect(code(() => dkgGossipCodec.decode(new Uint8Array(dkgGossipCodec.maxBytes + 1)))).toBe('OVERSIZED[]')
    const m = envelope(commitments(keys[1]!, 2))
    const text = new TextDecoder().decode(dkgGossipCodec.encode(m))
    const wrongId = text.replace(instance.instanceId, h(1))
    expect(code(() => dkgGossipCodec.decode(new TextEncoder().encode(wrongId)))).toBe(
      'BAD_CONTENT_HASH["message","body","instance","instanceId"]',
    )
    expect(code(() => dkgGossipCodec.decode(dkgGossipCodec.encode({ ...m, resend: 5 })))).toBe('decoded')
    const runaway = text.replace('"resend":0', '"resend":1000001')
    expect(code(() => dkgGossipCodec.decode(new TextEncoder().encode(runaway)))).toBe('SCHEMA["resend"]')
  })

  it('attack: one member signing messages for far-future rounds gets them accepted and forwarded', async () => {
    // Each round is a fresh instance with its own slots, so rounds without bound are messages without bound.
    const { gossip } = handler({ round: 0 })
    const far = commitments(keys[1]!, 2, dkgInstance(2, committee.setHash, 1_000_000))
    expect(await gossip.validate(envelope(far))).toBe('ignore')
    const next = commitments(keys[1]!, 2, dkgInstance(2, committee.setHash, 1))
    expect(await gossip.validate(envelope(next))).toBe('accept')
  })

  describe('a reshare of epoch 1 key to epoch 2 set (participants: the old set, then the newcomer)', () => {
    const signKey = (k: Hex32, epoch: number, setHash: Hex32): DkgGossipBody => ({
      kind: 'CollectiveKeySignature',
      body: {
        version: 1,
        key: reshareKey,
        keyHash: reshareKeyHash,
        signer: addressOfPrivateKey(k),
        signature: signCommitteeKey(anchorDomain, k, { epoch, setHash, keyHash: reshareKeyHash }),
      },
    })

    it('admits an old member who is no longer a validator, for the reshare instance only, and the newcomer at its place after the old set', async () => {
      const { gossip } = handler({ reshare: true, round: RESHARE_ROUND_BASE })
      expect(await gossip.validate(envelope(commitments(leaver, 1, reshareInstance)))).toBe('accept')
      expect(await gossip.validate(envelope(commitments(keys[3]!, 5, reshareInstance)))).toBe('accept')
      // the same member in the epoch's own DKG rounds: not a validator of epoch 2
      expect(
        await handler({ reshare: true, round: 0 }).gossip.validate(envelope(commitments(leaver, 1))),
      ).toBe('reject')
      // indices are places in the participants' list, not in the new set
      expect(await gossip.validate(envelope(commitments(keys[3]!, 4, reshareInstance)))).toBe('reject')
      expect(await gossip.validate(envelope(commitments(outsider, 5, reshareInstance)))).toBe('reject')
    })

    it("counts a key signature for the new epoch's set by a new member, and an old member's re-statement of the old registration; nothing else", async () => {
      const { gossip } = handler({ reshare: true, round: RESHARE_ROUND_BASE })
      expect(await gossip.validate(envelope(signKey(keys[3]!, 2, committee.setHash)))).toBe('accept')
      expect(await gossip.validate(envelope(signKey(leaver, 1, oldSet.setHash)))).toBe('accept')
      // a leaving member signing for the new epoch, a newcomer re-stating an epoch it was not in
      expect(await gossip.validate(envelope(signKey(leaver, 2, committee.setHash)))).toBe('reject')
      expect(await gossip.validate(envelope(signKey(keys[3]!, 1, oldSet.setHash)))).toBe('reject')
    })

    it("attack: replays of an old epoch's messages, and an old member's messages after its round, are not taken", async () => {
      const { gossip } = handler({ reshare: true, round: RESHARE_ROUND_BASE + 1 })
      // a member of both sets replays its epoch-1 DKG commitments
      expect(
        await gossip.validate(envelope(commitments(keys[0]!, 2, dkgInstance(1, oldSet.setHash, 0)))),
      ).toBe('ignore')
      // the leaver's message of the round that is over
      expect(await gossip.validate(envelope(commitments(leaver, 1, reshareInstance)))).toBe('ignore')
      expect(
        await gossip.validate(
          envelope(commitments(leaver, 1, dkgInstance(2, committee.setHash, RESHARE_ROUND_BASE + 1))),
        ),
      ).toBe('accept')
    })
  })
})
