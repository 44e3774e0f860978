import { z } from 'zod'
import {
  commitCertificateCodec,
  sealedResultCodec,
  signedJobRequestCodec,
  vaultManifestCodec,
} from '../../protocol/index.ts'
import { jobRecordSchema } from '../storage/index.ts'
import { SIGNATURE_HEADERS } from './signed-request.ts'

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' })
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const body = (schema: object) => ({ required: true, content: { 'application/json': { schema } } })
const ok = (description: string, schema: object = { type: 'object' }) => ({
  description,
  content: { 'application/json': { schema } },
})
const errors = {
  '4XX': ok('refused: `{ error: { code, message } }` with a stable code', ref('Error')),
}
const signed = [
  { name: SIGNATURE_HEADERS.address, in: 'header', required: true, schema: { type: 'string' } },
  { name: SIGNATURE_HEADERS.timestamp, in: 'header', required: true, schema: { type: 'string' } },
  { name: SIGNATURE_HEADERS.signature, in: 'header', required: true, schema: { type: 'string' } },
]
const id = (name: string) => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^0x[0-9a-f]{64}$' },
})

let document: object | undefined

/** The API's OpenAPI 3.1 description, served at /openapi.json; request schemas come from the wire schemas. */
export function openApiDocument(): object {
  document ??= {
    openapi: '3.1.0',
    info: {
      title: 'tcf node API',
      version: '1',
      description:
        'A tcf validator node. Writes are signed: job requests and releases by their EIP-712 signatures, blob uploads and vault publications by an EIP-191 request signature in the x-tcf-* headers over `tcf-api-v1\\n<METHOD>\\n<path>\\n<timestamp ms>\\n<sha256 hex of the body>`.',
    },
    paths: {
      '/v1/status': {
        get: {
          summary: 'Node status: height, peers, validator set, chain',
          responses: { 200: ok('status') },
        },
      },
      '/metrics': {
        get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } },
      },
      '/v1/blobs/{id}': {
        put: {
          summary:
            "Upload a content-addressed blob (sha256 of the body = id) of vault `vault`, signed by the vault's on-chain owner or announcer, within its quota",
          parameters: [
            id('id'),
            {
              name: 'vault',
              in: 'query',
              required: true,
              schema: { type: 'string', pattern: '^0x[0-9a-f]{64}$' },
            },
            ...signed,
          ],
          requestBody: {
            required: true,
            content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
          },
          responses: { 201: ok('stored'), ...errors },
        },
        get: {
          summary: 'Download a blob',
          parameters: [id('id')],
          responses: {
            200: { description: 'the bytes', content: { 'application/octet-stream': {} } },
            ...errors,
          },
        },
      },
      '/v1/vaults/pending': {
        post: {
          summary:
            'Announce a vault about to be registered on chain: its signer may upload the blobs the manifest names until the announcement expires',
          parameters: signed,
          requestBody: body(ref('VaultManifest')),
          responses: { 201: ok('announced: { vaultId, expiresAt, blobs }'), ...errors },
        },
      },
      '/v1/vaults': {
        post: {
          summary:
            "Publish a vault's manifest (its blobs uploaded first; signed by the vault's on-chain owner)",
          parameters: signed,
          requestBody: body(ref('VaultManifest')),
          responses: { 201: ok('published'), ...errors },
        },
        get: { summary: 'Vaults this node holds', responses: { 200: ok('vault summaries') } },
      },
      '/v1/vaults/{id}': {
        get: { parameters: [id('id')], responses: { 200: ok('manifest', ref('VaultManifest')), ...errors } },
      },
      '/v1/vaults/{id}/budget': {
        get: {
          summary: "The vault's privacy budget: epsilon total, spent and remaining at the node's height",
          parameters: [id('id')],
          responses: { 200: ok('budget'), ...errors },
        },
      },
      '/v1/vaults/{id}/preview': {
        post: {
          summary: 'A spec before paying: cost, per-output epsilon, noise and 95% error, budget left',
          parameters: [id('id')],
          requestBody: body({ type: 'object' }),
          responses: { 200: ok('preview'), ...errors },
        },
      },
      '/v1/jobs': {
        post: {
          summary: 'Submit a buyer-signed job request',
          requestBody: body(ref('SignedJobRequest')),
          responses: { 202: ok('accepted'), ...errors },
        },
        get: {
          summary: 'Jobs by vault and stage',
          parameters: [
            { name: 'vault', in: 'query', schema: { type: 'string' } },
            { name: 'stage', in: 'query', schema: { type: 'string' } },
          ],
          responses: { 200: ok('jobs'), ...errors },
        },
      },
      '/v1/jobs/{id}': {
        get: {
          summary: 'A job: stage, heights, timestamps, tx hashes',
          parameters: [id('id')],
          responses: { 200: ok('job', ref('JobRecord')), ...errors },
        },
      },
      '/v1/jobs/{id}/sealed': {
        get: {
          summary: "The result sealed to the buyer's key",
          parameters: [id('id')],
          responses: { 200: ok('sealed result', ref('SealedResult')), ...errors },
        },
      },
      '/v1/releases': {
        post: {
          summary: "The vault owner's release: sealed result + signed score",
          requestBody: body(ref('SealedResult')),
          responses: { 202: ok('accepted'), ...errors },
        },
      },
      '/v1/blocks/{height}': {
        get: {
          summary: 'A decided block with its commit certificate',
          parameters: [
            { name: 'height', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
          ],
          responses: { 200: ok('block'), ...errors },
        },
      },
    },
    components: {
      schemas: {
        Error: {
          type: 'object',
          properties: {
            error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
          },
        },
        SignedJobRequest: json(signedJobRequestCodec.schema),
        SealedResult: json(sealedResultCodec.schema),
        VaultManifest: json(vaultManifestCodec.schema),
        CommitCertificate: json(commitCertificateCodec.schema),
        JobRecord: json(jobRecordSchema),
      },
    },
  }
  return document
}
