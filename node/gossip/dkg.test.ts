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
import { epochCommittee } from '../threshold/committee-set.ts'
import { dkgGossip } from './dkg.ts'
import { domain, keys, outsider } from './testing/epoch.ts'

const anchorDomain: Eip712Domain = { chainId: 31337n, verifyingContract: `0x${'44'.repeat(20)}` }
const committee = epochCommittee(
  2,
  keys.map((k) => ({ address: addressOfPrivateKey(k), stake: 1n })),
)
const instance = dkgInstance(2, committee.setHash, 0)
const h = (n: number): Hex32 => `0x${n.toString(16).padStart(64, '0')}`

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

function handler(opts: { held?: Set<string>; round?: number } = {}) {
  const delivered: DkgGossipBody[] = []
  const gossip = dkgGossip({
    domain,
    anchorDomain,
    epoch: () => 2,
    committee: async (epoch) => (epoch === 2 ? committee : undefined),
    round: () => opts.round,
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
})
