// The public surface of protocol/: wire types, canonical encoding, ids, signing, contracts client.

export { bytes32Word, hashWords, uintWord } from './abiWords.ts'
export * from './api/index.ts'
export { blobIdOf, isBlobId } from './blobId.ts'
export { canonicalBytes, canonicalJson } from './canonicalJson.ts'
export {
  type AnchorCall,
  type AnchoredRecord,
  CertificateSignerError,
  connectAnchor,
  type OutcomeProof,
  outcomeProofArg,
  precommitBitmap,
} from './chain/anchor.ts'
export { loadArtifact } from './chain/artifacts.ts'
export { type CommitteeKeyCall, type CommitteeKeyClient, connectCommitteeKeys } from './chain/committeeKey.ts'
export { CONTRACT_NAMES, type ContractArtifact, type ContractName } from './chain/compile.ts'
export {
  type ContractAddresses,
  DEVNET_PARAMETERS,
  type DeployParameters,
  deployAll,
} from './chain/deploy.ts'
export {
  connectJobMarket,
  type EscrowBinding,
  type EscrowClosing,
  type HeldPoolShare,
  JOB_STATUS,
  type JobStatus,
  jobRecordOf,
  type MarketOutcome,
  marketOutcomeArg,
  type PayoutClaim,
  type PoolHold,
} from './chain/jobMarket.ts'
export { markAsPool } from './chain/poolFlag.ts'
export { type Credit, type SettlementCredits, settlementCredits } from './chain/settlement.ts'
export { ContractRevertError } from './chain/transact.ts'
export {
  connectValidatorRegistry,
  packMember,
  slashDuplicateVoteArgs,
  unpackMember,
  type ValidatorSetMember,
} from './chain/validatorRegistry.ts'
export { connectVaultRegistry, type VaultRecord, type VaultTerms } from './chain/vaultRegistry.ts'
export { defineMessage, type MessageCodec, PROTOCOL_VERSION } from './codec.ts'
export { type DleqProof, proveDleq, verifyDleq } from './crypto/dleq.ts'
export {
  ECIES_SCHEME,
  type EciesContext,
  type EciesParts,
  eciesOpen,
  eciesOpenWithSharedPoint,
  eciesSeal,
  eciesSharedPoint,
} from './crypto/ecies.ts'
export { deepFreeze, isDeepFrozen } from './deep-freeze.ts'
export {
  type AnvilArgsOptions,
  anvilArgs,
  anvilBinary,
  DEV_CHAIN_ID,
  DEV_PRIVATE_KEYS,
  type DevChain,
  DevChainError,
  startDevChain,
} from './devchain/devChain.ts'
export { freePorts, NoFreePortError } from './devchain/free-ports.ts'
export { startTestNetwork, type TestNetwork } from './devchain/network.ts'
export { type DkgCommittee, type OpenedComplaint, openComplaint } from './dkg/complaint.ts'
export { type DealingInput, openingOf, openOwnDealing, sealDealing } from './dkg/dealing.ts'
export { type DkgEvidenceCode, DkgEvidenceError } from './dkg/errors.ts'
export {
  createEip712ConsensusSigner,
  createEip712Verifier,
  SignerMismatchError,
} from './eip712/consensusSigner.ts'
export { type CurveEngine, curveEngine, nobleEngine, useCurveEngine } from './eip712/curve-engine.ts'
export { createDigester, typedDataDigest } from './eip712/digests.ts'
export {
  type DkgMessageKind,
  dkgMessageDigest,
  signDkgMessage,
  verifyDkgMessage,
} from './eip712/dkgSigning.ts'
export {
  DOMAIN_NAME,
  DOMAIN_VERSION,
  domainSeparator,
  type Eip712Domain,
  ethersDomain,
} from './eip712/domain.ts'
export {
  addressOfPrivateKey,
  publicKeyToAddress,
  recoverAddress,
  recoverPublicKey,
  signDigest,
} from './eip712/ecdsa.ts'
export {
  type CommitteeKeyFields,
  jobRequestFields,
  signCommitteeKey,
  signContribution,
  signJobRequest,
  signPoolBan,
  signRelease,
  signResultAttestation,
  verifyCommitteeKeySignature,
  verifyContribution,
  verifyJobRequest,
  verifyPoolBan,
  verifyRelease,
  verifyResultAttestation,
  verifyResultAttestations,
} from './eip712/messageSigning.ts'
export {
  COMMITTEE_KEY_TYPES,
  CONTRIBUTION_TYPES,
  DKG_MESSAGE_TYPES,
  JOB_REQUEST_TYPES,
  POOL_BAN_TYPES,
  PROPOSAL_TYPES,
  RELEASE_TYPES,
  RESULT_ATTESTATION_TYPES,
  VOTE_TYPE_CODE,
  VOTE_TYPES,
} from './eip712/structs.ts'
export {
  asError,
  DecodeError,
  type DecodeErrorCode,
  EncodeError,
  TcfError,
  ThrownValueError,
} from './errors.ts'
export {
  type Address,
  addressSchema,
  compressedPublicKeySchema,
  fixedHexSchema,
  fromHex,
  type Hex,
  type Hex32,
  hex32Schema,
  hexBytesSchema,
  keccak256,
  sha256,
  signatureSchema,
  toHex,
  weiSchema,
  ZERO_ADDRESS,
  ZERO_HASH,
} from './hex.ts'
export { type KeccakEngine, keccakEngine, nobleKeccak, useKeccakEngine } from './keccak-engine.ts'
export {
  decryptKeystore,
  encryptKeystore,
  generatePrivateKey,
  KeystoreError,
  type KeystoreOptions,
  readKeystoreFile,
  writeKeystoreFile,
} from './keys/keystore.ts'
export {
  certifiedLeaf,
  failedLeaf,
  merkleProof,
  merkleRoot,
  OUTCOME,
  resultLeaf,
  verifyMerkleProof,
} from './merkle.ts'
export {
  type AttestationBatch,
  attestationBatchCodec,
  MAX_BATCH_ATTESTATIONS,
  MAX_VALIDATORS,
  type ResultAttestation,
  type ResultCertificate,
  resultAttestationCodec,
  type ValidatorSignature,
} from './messages/attestation.ts'
export {
  type BlobRequest,
  type BlobResponse,
  blobRequestCodec,
  blobResponseCodec,
} from './messages/blob.ts'
export {
  type Block,
  type BlockHeader,
  blockCodec,
  blockHash,
  blockHeader,
  headerHash,
  MAX_CONTRIBUTIONS_PER_BLOCK,
  MAX_JOBS_PER_BLOCK,
  needsAnchoring,
  outcomeLeaves,
} from './messages/block.ts'
export {
  type CollectiveKey,
  type CollectiveKeySignature,
  collectiveKeyHash,
  collectiveKeySchema,
  collectiveKeySignatureCodec,
} from './messages/collectiveKey.ts'
export {
  type CommitCertificate,
  commitCertificateCodec,
  type DuplicateVoteEvidence,
  duplicateVoteEvidenceCodec,
  type ProposalMessage,
  proposalMessageCodec,
  type VoteMessage,
  voteMessageCodec,
} from './messages/consensus.ts'
export {
  type Contribution,
  type ContributionUpload,
  contributionCodec,
  contributionIdOf,
  contributionSchema,
  contributionUploadCodec,
  contributionUploadSchema,
  MAX_CONTRIBUTION_BYTES,
  type PoolBan,
  poolBanCodec,
  poolBanSchema,
  type SignedContribution,
  signedContributionCodec,
  signedContributionSchema,
} from './messages/contribution.ts'
export { type DkgCommitments, dkgCommitmentsCodec } from './messages/dkgCommitments.ts'
export { type DkgComplaint, type DkgOpening, dkgComplaintCodec } from './messages/dkgComplaint.ts'
export { type DkgDealing, dkgDealingCodec, dkgShareContext } from './messages/dkgDealing.ts'
export {
  DKG_BODY_CODECS,
  type DkgBodies,
  type DkgBodyKind,
  type DkgGossip,
  type DkgGossipBody,
  dkgBodyId,
  dkgGossipCodec,
  dkgGossipSchema,
} from './messages/dkgGossip.ts'
export {
  type DkgBlobRef,
  type DkgInstance,
  dkgInstance,
  dkgInstanceId,
  MAX_DKG_BLOB_BYTES,
} from './messages/dkgInstance.ts'
export { type DkgRoundShare, dkgRoundShareCodec } from './messages/dkgRoundShare.ts'
export {
  type JobRequest,
  jobIdOf,
  jobRequestCodec,
  type SignedJobRequest,
  signedJobRequestCodec,
  specHash,
} from './messages/jobRequest.ts'
export { heightSchema, QUALITY_SCALE } from './messages/primitives.ts'
export type { Release } from './messages/release.ts'
export { type ScoredRelease, scoredReleaseHash, scoredReleaseSchema } from './messages/scoredRelease.ts'
export {
  type SealedPayload,
  type SealedResult,
  sealedHashOf,
  sealedPayloadSchema,
  sealedResultCodec,
} from './messages/sealedResult.ts'
export {
  type DecidedRecord,
  decidedRecordCodec,
  encodeDecidedRecord,
  type StatusMessage,
  statusMessageCodec,
} from './messages/status.ts'
export {
  BUYER_SHARES_INFO,
  type BuyerShares,
  buyerSharesCodec,
  type OutputShares,
  outputSharesSchema,
  outputSharesSigner,
  type ScoreShare,
  type ShareSet,
  type StatConstant,
  scoreShareSigner,
  signOutputShares,
  signScoreShare,
  type ThresholdRelease,
  thresholdReleaseCodec,
  type UnsignedOutputShares,
  type UnsignedScoreShare,
} from './messages/thresholdShare.ts'
export { manifestBlob, vaultBlobIds } from './messages/vaultBlobs.ts'
export {
  computePolicyHash,
  computeVaultId,
  type VaultManifest,
  vaultManifestCodec,
  vaultManifestSchema,
} from './messages/vaultManifest.ts'
export {
  type PayoutLeaf,
  POOL_EXEC_ENV,
  type PoolPayouts,
  payoutLeaf,
  payoutProof,
  poolPayouts,
  poolResultHash,
} from './pools/payouts.ts'
export type {
  ConsensusSigner,
  Proposal,
  SignatureVerifier,
  SignedProposal,
  SignedVote,
  ValueId,
  Vote,
  VoteType,
} from './signer.ts'
