/**
 * Pool contributions, the sandbox part: a contributor's records encoded
 * into slots on its own side, encrypted at the lowest level under the
 * committee key, checked and summed by the network. See docs/pools.md.
 */
export { PoolAggregate } from './aggregate.ts'
export { Contributor, type PoolKey } from './contributor.ts'
export { encodeContribution, type PoolRecord } from './encode.ts'
export { ContributionError, type ContributionErrorCode } from './errors.ts'
export { type Gate, gatesOf, POOL_OPS } from './gates.ts'
export {
  capacityOf,
  contributorsOf,
  layoutIdOf,
  monomialsOf,
  type PoolLayout,
  type PoolLayoutInput,
  poolLayout,
  poolSlot,
  poolStats,
  readPoolLayout,
} from './layout.ts'
export {
  type PoolManifestInput,
  type PoolSection,
  poolKeyId,
  poolLayoutOf,
  poolManifest,
  snapshotManifest,
  writePool,
} from './pool-manifest.ts'
export { type ContributionTarget, contributionBytes, readContribution } from './wire.ts'
