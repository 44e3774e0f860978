import { z } from 'zod'
import { hex32Schema } from '../hex.ts'
import { uintSchema } from '../messages/primitives.ts'
import { vaultManifestSchema } from '../messages/vaultManifest.ts'

/** One entry of GET /v1/vaults: what a buyer needs to choose a vault without fetching its manifest. */
export const vaultSummarySchema = z.strictObject({
  vaultId: hex32Schema,
  recordCount: uintSchema,
  profile: vaultManifestSchema.shape.profile,
  policy: vaultManifestSchema.shape.policy,
  columns: z.array(z.string()),
  /** when this node first stored the manifest */
  receivedAt: z.iso.datetime(),
})
export type VaultSummary = z.infer<typeof vaultSummarySchema>

/** POST /v1/vaults/pending: the announced vault's blobs may be uploaded until `expiresAt`. */
export const vaultAnnouncementSchema = z.strictObject({
  vaultId: hex32Schema,
  expiresAt: z.iso.datetime(),
  /** how many blobs besides the manifest the vault is made of */
  blobs: uintSchema,
})
export type VaultAnnouncement = z.infer<typeof vaultAnnouncementSchema>

/** POST /v1/vaults: the published manifest's blob id is what the chain records as its manifestHash. */
export const vaultPublicationSchema = z.strictObject({ vaultId: hex32Schema, manifestHash: hex32Schema })
export type VaultPublication = z.infer<typeof vaultPublicationSchema>

const epsilon = z.number().min(0)

/** GET /v1/vaults/:id/budget: a vault's privacy budget as the ledger holds it at `height`. */
export const vaultBudgetSchema = z.strictObject({
  vaultId: hex32Schema,
  height: uintSchema,
  /** what one unit of privacy protects: a record or a contributor */
  unit: z.string(),
  epsilon,
  maxEpsilonPerJob: epsilon,
  spent: epsilon,
  remaining: epsilon,
  /** admitted jobs that spent from it */
  jobs: uintSchema,
})
export type VaultBudget = z.infer<typeof vaultBudgetSchema>

/** What the sandbox's compiler estimates a circuit costs to evaluate. */
export const circuitCostSchema = z.strictObject({
  depth: uintSchema,
  stats: uintSchema,
  inputCiphertexts: uintSchema,
  multiplications: uintSchema,
  relinearizations: uintSchema,
  rotations: uintSchema,
  /** estimated single-core evaluation time on the reference machine, ms */
  estimatedMs: z.number().min(0),
  /** estimated peak SEAL heap of one evaluation, bytes */
  estimatedBytes: z.number().min(0),
})

const perField = z.record(z.string(), z.number().min(0))

/** The epsilon a spec spends, and the noise and 95% error each output will carry. */
export const privacyPreviewSchema = z.strictObject({
  epsilon,
  maxEpsilonPerJob: epsilon,
  vaultEpsilon: epsilon,
  unit: z.string(),
  outputs: z.record(z.string(), z.strictObject({ epsilon, noiseStd: perField, error95: perField })),
})

/** POST /v1/vaults/:id/preview: what a spec costs and how accurate it is, before paying. */
export const jobPreviewSchema = z.strictObject({
  vaultId: hex32Schema,
  circuitId: hex32Schema,
  cost: circuitCostSchema,
  privacy: privacyPreviewSchema,
  budget: vaultBudgetSchema,
  /** whether the budget left admits it now */
  admissible: z.boolean(),
})
export type JobPreview = z.infer<typeof jobPreviewSchema>
