import {
  type Address,
  type DkgGossip,
  type DkgGossipBody,
  type Eip712Domain,
  type Hex32,
  verifyCommitteeKeySignature,
  verifyDkgMessage,
} from '../../protocol/index.ts'
import type { GossipHandler, GossipVerdict } from '../ports.ts'
import { RESHARE_ROUND_BASE } from '../threshold/reshare-run.ts'

export interface DkgGossipDeps {
  /** DKG messages are signed under the network's domain */
  readonly domain: Eip712Domain
  /** key signatures under the Anchor's */
  readonly anchorDomain: Eip712Domain
  /** the chain's current epoch as the DKG service last read it */
  readonly epoch: () => number | undefined
  /** an epoch's set in set order with its hash; undefined when unknown */
  readonly committee: (
    epoch: number,
  ) => Promise<{ readonly members: readonly Address[]; readonly setHash: string } | undefined>
  /**
   * When the epoch reshares the previous epoch's key instead of running a DKG: the old set (whose
   * members deal, even those no longer validators) and the key's hash.
   */
  readonly reshare?: (epoch: number) =>
    | {
        readonly old: {
          readonly epoch: number
          readonly members: readonly Address[]
          readonly setHash: Hex32
        }
        readonly keyHash: Hex32
      }
    | undefined
  /** the round this node runs for the epoch, if any: older rounds are over */
  readonly round: (epoch: number) => number | undefined
  /** whether the signed body is held already (the envelope is a re-send of something we have) */
  readonly holds: (body: DkgGossipBody) => boolean
  readonly deliver: (body: DkgGossipBody) => void
}

/** How far past its own round a node takes messages: members that failed a few rounds while it was away. */
export const MAX_ROUNDS_AHEAD = 3

/** The member index a body claims its signer holds. */
function claimedIndex(m: DkgGossipBody): number | undefined {
  switch (m.kind) {
    case 'DkgCommitments':
    case 'DkgDealing':
      return m.body.dealer
    case 'DkgRoundShare':
      return m.body.member
    case 'DkgComplaint':
      return m.body.complainant
    case 'CollectiveKeySignature':
      return undefined
  }
}

/**
 * A DKG message is for the current epoch's set (its instance names the epoch and the registry's set
 * hash; the codec already checked that the instance id hashes them), in a round not given up here,
 * signed by the member it names. REJECT what only the signer could have got wrong (a signer outside
 * the set, an index not its own, a bad signature); IGNORE the rest (another epoch, an old round, a
 * body held already, which is how re-sends stop after one hop). Sizes are bounded by the codec.
 */
export function dkgGossip(deps: DkgGossipDeps): GossipHandler<DkgGossip> {
  return {
    async validate({ message: m }): Promise<GossipVerdict> {
      const current = deps.epoch()
      const reshare = current === undefined ? undefined : deps.reshare?.(current)
      if (reshare !== undefined && current !== undefined) {
        const verdict = await validateReshare(deps, current, reshare, m)
        if (verdict !== undefined) return verdict
      }
      const instance = m.kind === 'CollectiveKeySignature' ? m.body.key.instance : m.body.instance
      if (instance.epoch !== deps.epoch()) return 'ignore'
      const committee = await deps.committee(instance.epoch)
      if (committee === undefined || instance.setHash !== committee.setHash) return 'ignore'
      const signer = m.body.signer.toLowerCase() as Address
      const index = committee.members.indexOf(signer) + 1
      if (index === 0) return 'reject'
      const claimed = claimedIndex(m)
      if (claimed !== undefined && claimed !== index) return 'reject'
      const signed =
        m.kind === 'CollectiveKeySignature'
          ? verifyCommitteeKeySignature(
              deps.anchorDomain,
              { epoch: instance.epoch, setHash: instance.setHash, keyHash: m.body.keyHash },
              m.body.signature,
              signer,
            )
          : verifyDkgMessage(deps.domain, m.kind, m.body)
      if (!signed) return 'reject'
      if (m.kind === 'DkgDealing' && committee.members[m.body.recipient - 1] === undefined) return 'reject'
      // Older rounds are over; rounds far ahead are no round anyone honest is in (each round is a
      // fresh instance, so unbounded rounds would be unbounded messages from one member).
      const round = deps.round(instance.epoch) ?? 0
      if (instance.round < round || instance.round > round + MAX_ROUNDS_AHEAD) return 'ignore'
      return deps.holds(m) ? 'ignore' : 'accept'
    },
    deliver: ({ message }) => deps.deliver(message),
  }
}

type ReshareView = NonNullable<ReturnType<NonNullable<DkgGossipDeps['reshare']>>>

/**
 * A message of the current epoch's reshare, or undefined for one that is not (the DKG's checks
 * apply). Participants are the old set, then the new members not in it, so an old member who is no
 * longer a validator still deals; each message's index must be its signer's place in that list, and
 * only in the reshare's own rounds. A signature on the key counts for the new epoch's set (a new
 * member's), or re-states the old epoch's registration (an old member's announcement, which carries
 * the key record to newcomers); any other signer or statement is refused.
 */
async function validateReshare(
  deps: DkgGossipDeps,
  epoch: number,
  reshare: ReshareView,
  m: DkgGossipBody,
): Promise<GossipVerdict | undefined> {
  const committee = await deps.committee(epoch)
  if (committee === undefined) return undefined
  const signer = m.body.signer.toLowerCase() as Address
  if (m.kind === 'CollectiveKeySignature') {
    if (m.body.keyHash !== reshare.keyHash) return undefined
    const asNew =
      committee.members.includes(signer) &&
      verifyCommitteeKeySignature(
        deps.anchorDomain,
        { epoch, setHash: committee.setHash as Hex32, keyHash: m.body.keyHash },
        m.body.signature,
        signer,
      )
    const asOld =
      reshare.old.members.includes(signer) &&
      verifyCommitteeKeySignature(
        deps.anchorDomain,
        { epoch: reshare.old.epoch, setHash: reshare.old.setHash, keyHash: m.body.keyHash },
        m.body.signature,
        signer,
      )
    if (!asNew && !asOld) return 'reject'
    return deps.holds(m) ? 'ignore' : 'accept'
  }
  const { instance } = m.body
  if (instance.round < RESHARE_ROUND_BASE) return undefined
  if (instance.epoch !== epoch || instance.setHash !== committee.setHash) return 'ignore'
  const participants = [
    ...reshare.old.members,
    ...committee.members.filter((a) => !reshare.old.members.includes(a)),
  ]
  const index = participants.indexOf(signer) + 1
  if (index === 0) return 'reject'
  if (claimedIndex(m) !== index) return 'reject'
  if (!verifyDkgMessage(deps.domain, m.kind, m.body)) return 'reject'
  if (m.kind === 'DkgDealing' && !committee.members.includes(participants[m.body.recipient - 1]!))
    return 'reject'
  const round = deps.round(epoch) ?? RESHARE_ROUND_BASE
  if (instance.round < round || instance.round > round + MAX_ROUNDS_AHEAD) return 'ignore'
  return deps.holds(m) ? 'ignore' : 'accept'
}
