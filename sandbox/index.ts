export type { Circuit, CircuitCost, OutputPlan, PackPlan, StatPlan } from './compiler/circuit.ts'
export { type CompileLimits, type CompileOptions, compile, DEFAULT_LIMITS } from './compiler/compile.ts'
export * from './contribution/index.ts'
export { decryptStats, unpackSlots } from './decrypt/decrypt.ts'
export {
  type Accuracy,
  type FinishedOutputs,
  finish,
  type OutputValue,
  roundSignificant,
  type StructuredOp,
  type Withheld,
} from './decrypt/finish.ts'
export { type QualityScore, qualityScore } from './decrypt/quality.ts'
export { scoreFromStats, scoreStats } from './decrypt/score-stats.ts'
export {
  BUDGET_FILE,
  type BudgetState,
  budgetState,
  chargeBudgetFile,
  readBudgetFile,
} from './dp/budget-file.ts'
export { coefficientNoise, committeePlan, onStatGrid } from './dp/committee-noise.ts'
export { MICROS, type OutputPrivacy, type PrivacyPlan, planPrivacy, type StatNoise } from './dp/plan.ts'
export {
  DEFAULT_FALSE_RELEASE,
  GATE_SHARE,
  type GateNoise,
  type PoolPlanInput,
  type PoolPrivacyPlan,
  planPoolRelease,
  poolRecordBound,
} from './dp/pool-plan.ts'
export {
  type PoolNoisyReleaseInput,
  type PoolReleaseInput,
  releasePool,
  releasePoolNoisy,
} from './dp/pool-release.ts'
export { checkSlotCapacity, committeePoolPlan, poolSlotNoise } from './dp/pool-slot-noise.ts'
export { type PrivacyPreview, privacyPreview } from './dp/preview.ts'
export { KeyedRandom, type RandomSource, SystemRandom } from './dp/random.ts'
export {
  type NoisyReleaseInput,
  type ReleasedResult,
  type ReleaseInput,
  releaseNoisy,
  releaseOutputs,
} from './dp/release.ts'
export {
  CompileError,
  CsvError,
  EvaluationError,
  isSandboxError,
  SandboxError,
  type SandboxErrorCode,
} from './errors.ts'
export {
  circuitIdOf,
  decodeBundle,
  encodeBundle,
  type ResultBundle,
  resultHashOf,
} from './evaluator/bundle.ts'
export { evaluateCircuit } from './evaluator/evaluate.ts'
export { Evaluator, type EvaluatorInit, type JobTiming } from './evaluator/evaluator.ts'
export {
  DEFAULT_STAT_CACHE_LIMITS,
  DirStatCache,
  type DirStatCacheLimits,
  type StatCache,
} from './evaluator/stat-cache.ts'
export type { WarmResult } from './evaluator/task.ts'
export { EVALUATOR_VERSION, execEnvHash } from './he/exec-env.ts'
export {
  type EvaluationKeys,
  type GeneratedKeys,
  generateKeys,
  KEY_FILES,
  type KeyMeta,
  loadEvaluationKeys,
  loadSecretKey,
  readEvaluationKeyFiles,
  readKeyMeta,
  writeKeyDir,
} from './he/keys.ts'
export { DEFAULT_SCRYPT, type ScryptParams } from './he/keystore.ts'
export {
  DEFAULT_PROFILE,
  type HeProfile,
  isProfileName,
  PROFILES,
  type ProfileName,
  rotateAndSumSteps,
} from './he/profiles.ts'
export { type HeContext, heContext, loadSeal } from './he/seal.ts'
export { uncompressedCiphertext, uncompressedPublicKey } from './he/serialize.ts'
export { type PlainValue, plaintextOutputs, readCsvRows } from './reference/plaintext.ts'
export { RELEASE_ERROR_FACTOR, withinStatedError } from './reference/within-error.ts'
export { type TrustedRunOptions, type TrustedRunResult, trustedRun } from './run.ts'
export * from './spec/index.ts'
export * from './threshold/index.ts'
export { getBlob, putBlob, writeSynced } from './vault/blob-dir.ts'
export { type ChunkRef, chunkRefs } from './vault/chunk-refs.ts'
export { type CommitteeKeys, type CreateVaultOptions, createVault } from './vault/create.ts'
export { readCsv } from './vault/csv.ts'
export { expandedDirOf, expandInto, isExpanded } from './vault/expanded-cache.ts'
export { type StoredColumn, storedColumns } from './vault/layout.ts'
export {
  BLOB_DIR,
  MANIFEST_FILE,
  parseManifest,
  readManifest,
  type VaultManifest,
  VaultManifestSchema,
  vaultIdOf,
} from './vault/manifest.ts'
export {
  DEFAULT_PRIVACY,
  type Policy,
  PolicySchema,
  type PrivacyPolicy,
  privacyOf,
} from './vault/policy.ts'
export { type Column, type VaultSchema, VaultSchemaSchema } from './vault/schema.ts'
