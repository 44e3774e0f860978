// The public surface of node/threshold: the committee's keys as this node holds them.
export { type EpochCommittee, epochCommittee, hasQuorum } from './committee-set.ts'
export { type DkgJournalStore, dkgJournalStore, type Journal } from './dkg-journal.ts'
export { type DkgBlobs, DkgRun, type DkgRunInit, type DkgRunStatus, type DkgTiming } from './dkg-run.ts'
export {
  type CommitteeChain,
  DEFAULT_DKG_TIMING,
  type DkgNetwork,
  DkgService,
  type DkgServiceInit,
  type DkgServiceTiming,
} from './dkg-service.ts'
export { ThresholdNodeError, type ThresholdNodeErrorCode } from './errors.ts'
export {
  type CommitteeKeyRecord,
  committeeKeyRecordSchema,
  createKeyring,
  type HeldShare,
  heldShareSchema,
  type KeyHolders,
  type Keyring,
} from './keyring.ts'
export { dealingRandomness, instanceMember, loadOrCreateMemberSeed, MEMBER_SEED_FILE } from './member-seed.ts'
export { RESHARE_ROUND_BASE, ReshareRun, type ReshareRunInit, type ReshareTiming } from './reshare-run.ts'
