import { randomBytes } from 'node:crypto'
import type { TcfNode } from '../../node/node.ts'
import type { NodeNetwork, TopicMessages, TopicName } from '../../node/ports.ts'
import {
  type Block,
  blockHash,
  createEip712ConsensusSigner,
  type Eip712Domain,
  generatePrivateKey,
  type Hex32,
  jobIdOf,
  type ProposalMessage,
  QUALITY_SCALE,
  type SignedJobRequest,
  signRelease,
  type VoteMessage,
} from '../../protocol/index.ts'

/** What the Byzantine validator is told to do; re-read before each of its proposals and votes. */
export interface ByzantinePlan {
  /** A buyer-signed request nobody paid for: put it in this validator's proposals. */
  readonly unpaid?: SignedJobRequest
  /** Close a certified job in this validator's proposals with a release a stranger signed. */
  readonly forgeRelease?: boolean
  /** Next to its own prevote, sign and send a second one for another block. */
  readonly equivocate?: boolean
}

/** One line on stdout per misdeed, so a test can tell what the adversary actually tried. */
export interface ByzantineAct {
  readonly byzantine: 'unpaid-admission' | 'forged-release' | 'equivocation'
  readonly height: number
  readonly round: number
  readonly jobId?: Hex32
}

export interface ByzantineInit {
  readonly validatorKey: Hex32
  readonly domain: Eip712Domain
  readonly plan: () => Promise<ByzantinePlan>
  readonly report: (act: ByzantineAct) => void
}

/**
 * Wraps a real validator's network so that what it publishes is adversarial:
 * its proposals carry an unpaid admission or a forged release (re-signed, so
 * they are well-formed proposals from the round's proposer), and its prevotes
 * are doubled with a conflicting one. Everything else is the honest daemon.
 */
export function byzantineNetwork(inner: NodeNetwork, node: TcfNode, init: ByzantineInit): NodeNetwork {
  const signer = (epoch: number) =>
    createEip712ConsensusSigner({ privateKey: init.validatorKey, domain: init.domain, epoch })

  let proposals = 0

  /** An unpaid admission, or undefined once that job is admitted (it never should be). */
  const unpaidBlock = async (plan: ByzantinePlan, m: ProposalMessage) => {
    if (!plan.unpaid) return undefined
    const jobId = jobIdOf(plan.unpaid.request)
    if ((await node.job(jobId))?.admittedHeight !== undefined) return undefined
    const block: Block = { ...m.block, admitted: [plan.unpaid, ...m.block.admitted] }
    return { block, act: { byzantine: 'unpaid-admission' as const, jobId } }
  }

  /** A release of some certified, open job, signed by a fresh key with the best score. */
  const forgedBlock = async (plan: ByzantinePlan, m: ProposalMessage) => {
    if (!plan.forgeRelease) return undefined
    const open = (await node.jobs({})).find(
      (r) => r.certifiedHeight !== undefined && (r.stage === 'certified' || r.stage === 'anchored'),
    )
    if (!open?.resultHash) return undefined
    const jobId = open.jobId as Hex32
    const score = QUALITY_SCALE
    const forged = signRelease(init.domain, generatePrivateKey(), {
      jobId,
      resultHash: open.resultHash as Hex32,
      qualityScore: score,
      components: { sampleSize: score, completeness: score, plausibility: score, fitness: score },
      sealedHash: `0x${randomBytes(32).toString('hex')}`,
    })
    const block: Block = {
      ...m.block,
      released: [forged, ...m.block.released.filter((r) => r.jobId !== jobId)],
      failed: m.block.failed.filter((id) => id !== jobId),
    }
    return { block, act: { byzantine: 'forged-release' as const, jobId } }
  }

  /** Takes turns between the two kinds of bad block, whichever is possible. */
  const tamper = async (m: ProposalMessage): Promise<ProposalMessage> => {
    const plan = await init.plan()
    const kinds = proposals++ % 2 === 0 ? [unpaidBlock, forgedBlock] : [forgedBlock, unpaidBlock]
    for (const kind of kinds) {
      const bad = await kind(plan, m)
      if (!bad) continue
      const signed = signer(m.epoch).signProposal({ ...m.proposal, valueId: blockHash(bad.block) })
      init.report({ ...bad.act, height: m.proposal.height, round: m.proposal.round })
      return { ...m, proposal: signed.proposal, signature: signed.signature, block: bad.block }
    }
    return m
  }

  const conflicting = async (m: VoteMessage): Promise<VoteMessage | undefined> => {
    if (m.vote.type !== 'prevote' || !(await init.plan()).equivocate) return undefined
    const other = `0x${randomBytes(32).toString('hex')}` as Hex32
    const signed = signer(m.epoch).signVote({ ...m.vote, valueId: other })
    init.report({ byzantine: 'equivocation', height: m.vote.height, round: m.vote.round })
    return { ...m, vote: signed.vote, signature: signed.signature }
  }

  const publish = async <K extends TopicName>(topic: K, message: TopicMessages[K]): Promise<void> => {
    if (topic === 'proposals') {
      await inner.publish('proposals', await tamper(message as ProposalMessage))
      return
    }
    await inner.publish(topic, message)
    if (topic === 'votes') {
      const second = await conflicting(message as VoteMessage)
      if (second) await inner.publish('votes', second)
    }
  }

  return {
    peerId: inner.peerId,
    peers: () => inner.peers(),
    topicPeers: (topic) => inner.topicPeers(topic),
    gossipCounters: () => inner.gossipCounters(),
    blobBytes: () => inner.blobBytes(),
    fetchBlob: (id) => inner.fetchBlob(id),
    publish,
  }
}
