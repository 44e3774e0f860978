import { z } from 'zod'
import { addressSchema, type Hex32, hex32Schema } from '../hex.ts'
import { contributionUploadCodec, poolBanCodec } from '../messages/contribution.ts'
import { signedJobRequestCodec } from '../messages/jobRequest.ts'
import { sealedResultCodec } from '../messages/sealedResult.ts'
import { thresholdReleaseCodec } from '../messages/thresholdShare.ts'
import { vaultManifestCodec } from '../messages/vaultManifest.ts'
import { decidedBlockSchema } from './blocks.ts'
import { committeeInfoSchema } from './committee.ts'
import { JOB_STAGES, jobRecordSchema, jobStageSchema } from './jobRecord.ts'
import { jobPayoutsSchema } from './payouts.ts'
import { contributionAcceptedSchema, poolInfoSchema, poolSnapshotViewSchema } from './pools.ts'
import { type ParamSpec, route } from './route.ts'
import { nodeStatusSchema } from './status.ts'
import {
  jobPreviewSchema,
  vaultAnnouncementSchema,
  vaultBudgetSchema,
  vaultPublicationSchema,
  vaultSummarySchema,
} from './vaults.ts'

// A regex rather than hex32Schema, so that the OpenAPI document states the pattern.
const HEX32 = z.string().regex(/^0x[0-9a-f]{64}$/) as z.ZodType<string, string> as z.ZodType<Hex32, string>
const id = (what: string): ParamSpec<Hex32> => ({
  schema: HEX32,
  code: 'BAD_ID',
  message: `${what} must be 0x followed by 64 lowercase hex digits`,
  description: what,
})
const height: ParamSpec<number> = {
  schema: z.string().transform(Number).pipe(z.int().min(1)),
  code: 'BAD_HEIGHT',
  message: 'a height is a positive integer',
  description: 'a decided height',
}
const stage: ParamSpec<z.infer<typeof jobStageSchema>> = {
  schema: jobStageSchema,
  code: 'BAD_STAGE',
  message: `stage is one of ${JOB_STAGES.join(', ')}`,
  description: 'a job stage',
}
const epoch: ParamSpec<number> = {
  schema: z.string().transform(Number).pipe(z.int().min(0)),
  code: 'BAD_EPOCH',
  message: 'an epoch is a non-negative integer',
  description: 'a validator-set epoch',
}
const ok = <S extends z.ZodType>(schema: S, name?: string) =>
  ({ kind: 'json', status: 200, schema, ...(name ? { name } : {}) }) as const
const jobAccepted = z.strictObject({ jobId: hex32Schema })

/**
 * The node's HTTP API, every route once. node/api/server.ts serves exactly these, node/sdk calls
 * them, node/api/openapi.ts describes them. Every refusal is `{ error: { code, message } }`
 * (errors.ts), with a stable code.
 */
export const ROUTES = {
  openapi: route({
    method: 'GET',
    path: '/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document',
    response: ok(z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) })),
  }),
  metrics: route({
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics, in the text exposition format',
    response: { kind: 'text', status: 200 },
    absent: { code: 'NOT_FOUND', message: () => 'metrics are not enabled' },
  }),
  status: route({
    method: 'GET',
    path: '/v1/status',
    summary: 'Node status: height, peers, validator set, chain',
    response: ok(nodeStatusSchema, 'NodeStatus'),
  }),
  putBlob: route({
    method: 'PUT',
    path: '/v1/blobs/:id',
    summary:
      "Upload a content-addressed blob (sha256 of the body = id) of vault `vault`, signed by the vault's on-chain owner or announcer, within its quota",
    params: { id: id('blob id') },
    // Optional to the router: an upload naming no vault is refused by the node (403 NOT_A_VAULT_OWNER).
    query: { vault: id('vault id') },
    body: { kind: 'bytes' },
    response: { kind: 'json', status: 201, schema: z.strictObject({ id: hex32Schema }) },
    signing: 'request',
  }),
  getBlob: route({
    method: 'GET',
    path: '/v1/blobs/:id',
    summary: 'Download a blob; a result bundle only by a signed request of a validator or the vault owner',
    params: { id: id('blob id') },
    response: { kind: 'bytes', status: 200 },
    signing: 'optional',
    absent: { code: 'BLOB_NOT_FOUND', message: (p) => `no blob ${p.id}` },
  }),
  announceVault: route({
    method: 'POST',
    path: '/v1/vaults/pending',
    summary:
      'Announce a vault about to be registered on chain: its signer may upload the blobs the manifest names until the announcement expires',
    body: { kind: 'json', schema: vaultManifestCodec.schema, name: 'VaultManifest' },
    response: { kind: 'json', status: 201, schema: vaultAnnouncementSchema },
    signing: 'request',
  }),
  publishVault: route({
    method: 'POST',
    path: '/v1/vaults',
    summary: "Publish a vault's manifest (its blobs uploaded first; signed by the vault's on-chain owner)",
    body: { kind: 'json', schema: vaultManifestCodec.schema, name: 'VaultManifest' },
    response: { kind: 'json', status: 201, schema: vaultPublicationSchema },
    signing: 'request',
  }),
  vaults: route({
    method: 'GET',
    path: '/v1/vaults',
    summary: 'Vaults this node holds',
    response: ok(z.strictObject({ vaults: z.array(vaultSummarySchema) })),
  }),
  vault: route({
    method: 'GET',
    path: '/v1/vaults/:id',
    summary: "A vault's manifest",
    params: { id: id('vault id') },
    response: ok(vaultManifestCodec.schema, 'VaultManifest'),
    absent: { code: 'VAULT_NOT_FOUND', message: (p) => `no vault ${p.id}` },
  }),
  budget: route({
    method: 'GET',
    path: '/v1/vaults/:id/budget',
    summary: "The vault's privacy budget: epsilon total, spent and remaining at the node's height",
    params: { id: id('vault id') },
    response: ok(vaultBudgetSchema, 'VaultBudget'),
    absent: { code: 'VAULT_NOT_FOUND', message: (p) => `no vault ${p.id}` },
  }),
  preview: route({
    method: 'POST',
    path: '/v1/vaults/:id/preview',
    summary: 'A spec before paying: cost, per-output epsilon, noise and 95% error, budget left',
    params: { id: id('vault id') },
    // The spec is the sandbox's language; the node compiles it and answers its refusals (422).
    body: {
      kind: 'json',
      schema: z.unknown().describe('an algorithm spec (sandbox/spec)'),
      name: 'AlgorithmSpec',
    },
    response: ok(jobPreviewSchema, 'JobPreview'),
  }),
  submitJob: route({
    method: 'POST',
    path: '/v1/jobs',
    summary: 'Submit a buyer-signed job request',
    body: { kind: 'json', schema: signedJobRequestCodec.schema, name: 'SignedJobRequest' },
    response: { kind: 'json', status: 202, schema: jobAccepted },
    signing: 'body',
  }),
  jobs: route({
    method: 'GET',
    path: '/v1/jobs',
    summary: 'Jobs by vault and stage',
    query: { stage, vault: id('vault id') },
    response: ok(z.strictObject({ jobs: z.array(jobRecordSchema) })),
  }),
  job: route({
    method: 'GET',
    path: '/v1/jobs/:id',
    summary: 'A job: stage, heights, timestamps, tx hashes',
    params: { id: id('job id') },
    response: ok(jobRecordSchema, 'JobRecord'),
    absent: { code: 'JOB_NOT_FOUND', message: (p) => `no job ${p.id}` },
  }),
  sealed: route({
    method: 'GET',
    path: '/v1/jobs/:id/sealed',
    summary: "The result sealed to the buyer's key",
    params: { id: id('job id') },
    response: ok(sealedResultCodec.schema, 'SealedResult'),
    absent: { code: 'NOT_RELEASED', message: (p) => `job ${p.id} has no released result here` },
  }),
  thresholdReleases: route({
    method: 'GET',
    path: '/v1/jobs/:id/threshold-releases',
    summary: "A committee-vault job's member releases: signed score shares and shares sealed to the buyer",
    params: { id: id('job id') },
    response: ok(z.strictObject({ releases: z.array(thresholdReleaseCodec.schema) }), 'ThresholdReleases'),
  }),
  payouts: route({
    method: 'GET',
    path: '/v1/jobs/:id/payouts',
    summary:
      "A pool job's payouts: the contributors and counts of the snapshot it read, the payouts root and total, and the bundle hash its result hash binds them with",
    params: { id: id('job id') },
    response: ok(jobPayoutsSchema, 'JobPayouts'),
    absent: { code: 'NO_PAYOUTS', message: (p) => `job ${p.id} is not an evaluated pool job here` },
  }),
  release: route({
    method: 'POST',
    path: '/v1/releases',
    summary: "The vault owner's release: sealed result + signed score",
    body: { kind: 'json', schema: sealedResultCodec.schema, name: 'SealedResult' },
    response: { kind: 'json', status: 202, schema: jobAccepted },
    signing: 'body',
  }),
  block: route({
    method: 'GET',
    path: '/v1/blocks/:height',
    summary: 'A decided block with its commit certificate',
    params: { height },
    response: ok(decidedBlockSchema, 'DecidedBlock'),
    absent: { code: 'BLOCK_NOT_FOUND', message: (p) => `no decided block at height ${p.height}` },
  }),
  committee: route({
    method: 'GET',
    path: '/v1/committee',
    summary:
      "The current epoch's committee key: key record (blobs by id), members, threshold, registered on chain, DKG progress",
    response: ok(committeeInfoSchema, 'CommitteeInfo'),
    absent: {
      code: 'COMMITTEE_NOT_FOUND',
      message: () => 'this node knows no committee for the current epoch',
    },
  }),
  committeeOfEpoch: route({
    method: 'GET',
    path: '/v1/committee/:epoch',
    summary: "An epoch's committee key as this node knows it",
    params: { epoch },
    response: ok(committeeInfoSchema, 'CommitteeInfo'),
    absent: { code: 'COMMITTEE_NOT_FOUND', message: (p) => `no committee known for epoch ${p.epoch}` },
  }),
  submitContribution: route({
    method: 'POST',
    path: '/v1/pools/:id/contributions',
    summary:
      "A contributor's signed claim with its TCFP bytes (hex): checked as the block rules would, then gossiped and admitted by consensus into the pool's log",
    params: { id: id('pool id') },
    body: { kind: 'json', schema: contributionUploadCodec.schema, name: 'ContributionUpload' },
    response: { kind: 'json', status: 202, schema: contributionAcceptedSchema },
    signing: 'body',
  }),
  banContributor: route({
    method: 'POST',
    path: '/v1/pools/:id/bans',
    summary:
      "The pool curator's signed ban of a contributor key: admitted by a block, then the key's contributions are refused",
    params: { id: id('pool id') },
    body: { kind: 'json', schema: poolBanCodec.schema, name: 'PoolBan' },
    response: {
      kind: 'json',
      status: 202,
      schema: z.strictObject({ poolId: hex32Schema, contributor: addressSchema }),
    },
    signing: 'body',
  }),
  pool: route({
    method: 'GET',
    path: '/v1/pools/:id',
    summary: "A pool: its terms, size, contributors and the height of its log's head",
    params: { id: id('pool id') },
    response: ok(poolInfoSchema, 'PoolInfo'),
    absent: { code: 'POOL_NOT_FOUND', message: (p) => `no pool ${p.id}` },
  }),
  poolSnapshot: route({
    method: 'GET',
    path: '/v1/pools/:id/snapshots/:height',
    summary:
      "The pool as of a height (its latest change at or below it): the aggregate's blob id, the counts per contributor and their payouts root",
    params: { id: id('pool id'), height },
    response: ok(poolSnapshotViewSchema, 'PoolSnapshot'),
    absent: {
      code: 'SNAPSHOT_NOT_FOUND',
      message: (p) => `pool ${p.id} has no contribution at or below height ${p.height}`,
    },
  }),
} as const

export type Routes = typeof ROUTES
export type RouteName = keyof Routes
