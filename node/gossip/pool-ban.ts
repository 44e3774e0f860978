import type { PoolBan } from '../../protocol/index.ts'
import { type ContributionIntake, gossipVerdictOf } from '../pools/intake.ts'
import type { PendingBans } from '../pools/pending.ts'
import type { GossipHandler, GossipVerdict } from '../ports.ts'

export interface PoolBanGossipDeps {
  readonly intake: Pick<ContributionIntake, 'judgeBan'>
  readonly pending: Pick<PendingBans, 'add'>
}

/** A curator's ban: REJECTed when not signed by the pool's curator, IGNOREd when the pool is unknown here or the ban is in effect. */
export function poolBanGossip(deps: PoolBanGossipDeps): GossipHandler<PoolBan> {
  return {
    validate: async (ban): Promise<GossipVerdict> => gossipVerdictOf(await deps.intake.judgeBan(ban)),
    deliver(ban) {
      deps.pending.add(ban)
    },
  }
}
