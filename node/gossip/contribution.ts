import type { ContributionUpload } from '../../protocol/index.ts'
import { type ContributionIntake, gossipVerdictOf } from '../pools/intake.ts'
import type { GossipHandler, GossipVerdict } from '../ports.ts'

export interface ContributionGossipDeps {
  readonly intake: Pick<ContributionIntake, 'judge' | 'keep'>
}

/**
 * A contribution with its bytes: judged as the block rules would at the next height, cheap checks
 * before the HE check (node/pools/intake.ts). Forged, mismatched or malformed bytes are the
 * sender's doing and REJECTed, which costs the forwarding peer gossip score; a claim that is only
 * late, replayed or over its bound here (views differ) is IGNOREd.
 */
export function contributionGossip(deps: ContributionGossipDeps): GossipHandler<ContributionUpload> {
  return {
    validate: async (upload): Promise<GossipVerdict> => gossipVerdictOf(await deps.intake.judge(upload)),
    deliver(upload) {
      void deps.intake.keep(upload).catch(() => undefined)
    },
  }
}
