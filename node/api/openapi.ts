import { z } from 'zod'
import {
  apiErrorBodySchema,
  type ParamSpec,
  ROUTES,
  type Route,
  type RouteName,
  SIGNATURE_HEADERS,
} from '../../protocol/index.ts'

/** The parts of the document a reader may rely on; the rest is OpenAPI 3.1. */
export interface OpenApiDocument {
  readonly openapi: string
  readonly paths: Record<string, Record<string, unknown>>
  readonly [key: string]: unknown
}

type JsonSchema = Record<string, unknown>

function json(schema: z.ZodType): JsonSchema {
  // The document declares its own dialect; embedded schemas need no $schema of their own.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' })
  return rest
}
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const content = (type: string, schema: object) => ({ content: { [type]: { schema } } })

const SIGNATURE_PARAMETERS = Object.values(SIGNATURE_HEADERS).map((name) => ({
  name,
  in: 'header',
  schema: { type: 'string' },
}))

const SIGNING: Readonly<Record<Route['signing'], string>> = {
  none: '',
  request: 'Signed: the x-tcf-* request signature headers.',
  optional: 'Signed when the caller has a key: some content is served only to a signed request.',
  body: 'The body carries its own EIP-712 signature.',
}

/** `/v1/jobs/:id` as OpenAPI spells it: `/v1/jobs/{id}`. */
export const openApiPath = (path: string): string => path.replace(/:([A-Za-z]+)/g, '{$1}')

function parameters(specs: Readonly<Record<string, ParamSpec<unknown>>>, where: 'path' | 'query') {
  return Object.entries(specs).map(([name, spec]) => ({
    name,
    in: where,
    required: where === 'path',
    description: spec.description,
    schema: json(spec.schema),
  }))
}

/** Named schemas become components, shared by every route that sends or answers them. */
function schemaOf(schema: z.ZodType, name: string | undefined, components: Record<string, JsonSchema>) {
  if (name === undefined) return json(schema)
  components[name] ??= json(schema)
  return ref(name)
}

function operation(name: RouteName, route: Route, components: Record<string, JsonSchema>): object {
  const { body, response } = route
  const answer =
    response.kind === 'json'
      ? content('application/json', schemaOf(response.schema, response.name, components))
      : response.kind === 'bytes'
        ? content('application/octet-stream', { type: 'string', format: 'binary' })
        : content('text/plain', { type: 'string' })
  return {
    operationId: name,
    summary: route.summary,
    ...(route.signing === 'none' ? {} : { description: SIGNING[route.signing] }),
    parameters: [
      ...parameters(route.params, 'path'),
      ...parameters(route.query, 'query'),
      ...(route.signing === 'request' || route.signing === 'optional'
        ? SIGNATURE_PARAMETERS.map((p) => ({ ...p, required: route.signing === 'request' }))
        : []),
    ],
    ...(body.kind === 'json'
      ? {
          requestBody: {
            required: true,
            ...content('application/json', schemaOf(body.schema, body.name, components)),
          },
        }
      : body.kind === 'bytes'
        ? {
            requestBody: {
              required: true,
              ...content('application/octet-stream', { type: 'string', format: 'binary' }),
            },
          }
        : {}),
    responses: {
      [response.status]: { description: route.summary, ...answer },
      ...(route.absent
        ? {
            404: {
              description: `${route.absent.code}: not here`,
              ...content('application/json', ref('Error')),
            },
          }
        : {}),
      '4XX': {
        description: 'refused: `{ error: { code, message } }` with a stable code',
        ...content('application/json', ref('Error')),
      },
    },
  }
}

let document: OpenApiDocument | undefined

/** The API's OpenAPI 3.1 description, served at /openapi.json: generated from the contract, route by route. */
export function openApiDocument(): OpenApiDocument {
  if (document) return document
  const components: Record<string, JsonSchema> = { Error: json(apiErrorBodySchema) }
  const paths: Record<string, Record<string, unknown>> = {}
  for (const name of Object.keys(ROUTES) as RouteName[]) {
    const route: Route = ROUTES[name]
    const path = openApiPath(route.path)
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(name, route, components) }
  }
  document = {
    openapi: '3.1.0',
    info: {
      title: 'tcf node API',
      version: '1',
      description:
        'A tcf validator node. Writes are signed: job requests and releases by their EIP-712 signatures, blob uploads and vault publications by an EIP-191 request signature in the x-tcf-* headers over `tcf-api-v1\\n<METHOD>\\n<path>\\n<timestamp ms>\\n<sha256 hex of the body>`.',
    },
    paths,
    components: { schemas: components },
  }
  return document
}
