/**
 * Threshold CKKS on node-seal: the maths of a committee that holds a vault
 * key no one of its members can use alone. Pure functions over SEAL's own
 * serialized objects; the messages, persistence and consensus around them
 * live in node/. See docs/threshold.md.
 */
export { type CrsInstance, ckgCombine, ckgCommitment, ckgShare, commonPoly } from './ckg.ts'
export { type CommittedShare, openCommitments, shareCommitment } from './commitment.ts'
export { bftCommittee, type Committee, checkCommittee, checkParticipants } from './committee.ts'
export {
  additiveShare,
  combineDecryption,
  DEFAULT_SMUDGING_BITS,
  type DecryptionInstance,
  decodePlaintext,
  decryptionShare,
  MIN_SMUDGING_BITS,
  smudgingErrorBound,
} from './decrypt.ts'
export {
  type Complaint,
  type Dealing,
  type DealingCommitments,
  DkgSession,
  deal,
  onOnePolynomial,
  verifyComplaint,
} from './dkg.ts'
export { ThresholdError, type ThresholdErrorCode } from './errors.ts'
export { dealKeyShares, type MemberKey, memberKey } from './key-share.ts'
export { galoisElement } from './kswitch.ts'
export { type MemberSecret, newMemberSecret } from './member.ts'
export { type PcksInstance, type PcksShare, pcksCombine, pcksShare } from './pcks.ts'
export { decodePoly, encodePoly } from './poly-codec.ts'
export { combinePoolShares, openPoolRelease, type PoolOpenInput } from './pool-open.ts'
export { type PoolOpening, poolOutputShare, readPoolOutputShare } from './pool-share.ts'
export { type ReshareInstance, reshareDeal, reshareReceive } from './reshare.ts'
export {
  candidateShare,
  RESHARE_CHECK_BOUND,
  type ReshareChallenge,
  reshareChallenge,
  reshareCheckOpen,
  reshareCheckShares,
} from './reshare-check.ts'
export { type RkgRound1, rkgAggregate, rkgCombine, rkgRound1, rkgRound2 } from './rkg.ts'
export { type RnsBasis, type RnsPoly, rnsBasis } from './rns.ts'
export { galoisKeysBytes, rtgCombine, rtgShare } from './rtg.ts'
export {
  readCiphertext,
  readKSwitchKeys,
  readPlaintext,
  type SealCiphertext,
  type SealKSwitchKeys,
  type SealPlaintext,
  writeCiphertext,
  writeKSwitchKeys,
  writePlaintext,
} from './seal-format.ts'
export { lagrangeAtZero, shamirReconstruct, shamirShares } from './shamir.ts'
export { type StatLocation, statLocations } from './stat-coefficients.ts'
export {
  combineStat,
  combineStatResidues,
  type StatConstant,
  type StatShare,
  statConstant,
  statShare,
} from './stat-decrypt.ts'
