import type { StatusMessage } from '../../protocol/index.ts'
import type { GossipHandler } from '../ports.ts'

/**
 * A status announces a peer's height and decided head. It is unsigned and proves nothing: catch-up
 * checks the head's certificate before it fetches anything below it, so any status is taken.
 */
export function statusGossip(deps: {
  readonly catchUp: (status: StatusMessage) => void
}): GossipHandler<StatusMessage> {
  return { validate: () => 'accept', deliver: (status) => deps.catchUp(status) }
}
