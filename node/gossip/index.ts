// The node's side of each gossip topic: one file per topic, each judging a decoded message
// (REJECT what its sender is answerable for, IGNORE the rest) and taking an accepted one.

import type { GossipHandler, TopicMessages, TopicName } from '../ports.ts'
import { type AttestationGossipDeps, attestationGossip } from './attestation.ts'
import { type ContributionGossipDeps, contributionGossip } from './contribution.ts'
import { type DkgGossipDeps, dkgGossip } from './dkg.ts'
import { type JobGossipDeps, jobGossip } from './job.ts'
import { type PoolBanGossipDeps, poolBanGossip } from './pool-ban.ts'
import { type ProposalGossipDeps, proposalGossip } from './proposal.ts'
import { type ReleaseGossipDeps, releaseGossip } from './release.ts'
import { statusGossip } from './status.ts'
import { type ThresholdReleaseGossipDeps, thresholdReleaseGossip } from './threshold-release.ts'
import { type VoteGossipDeps, voteGossip } from './vote.ts'

export {
  type EarlyConsensusMessage,
  NEXT_EPOCH_LIMITS,
  type NextEpochLimits,
  NextEpochMessages,
  redeliver,
} from './next-epoch.ts'

export type GossipHandlers = { readonly [K in TopicName]: GossipHandler<TopicMessages[K]> }

export interface GossipDeps {
  readonly jobs: JobGossipDeps
  readonly proposals: ProposalGossipDeps
  readonly votes: VoteGossipDeps
  readonly attestations: AttestationGossipDeps
  readonly status: Parameters<typeof statusGossip>[0]
  readonly releases: ReleaseGossipDeps
  readonly dkg: DkgGossipDeps
  readonly shares: ThresholdReleaseGossipDeps
  readonly contributions: ContributionGossipDeps
  readonly poolbans: PoolBanGossipDeps
}

export function gossipHandlers(deps: GossipDeps): GossipHandlers {
  return {
    jobs: jobGossip(deps.jobs),
    proposals: proposalGossip(deps.proposals),
    votes: voteGossip(deps.votes),
    attestations: attestationGossip(deps.attestations),
    status: statusGossip(deps.status),
    releases: releaseGossip(deps.releases),
    dkg: dkgGossip(deps.dkg),
    shares: thresholdReleaseGossip(deps.shares),
    contributions: contributionGossip(deps.contributions),
    poolbans: poolBanGossip(deps.poolbans),
  }
}
