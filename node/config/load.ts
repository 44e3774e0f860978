import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ConfigError } from './errors.ts'
import { type NodeConfig, NodeConfigSchema } from './schema.ts'

export const CONFIG_FILE = 'config.json'

type Parse = (raw: string) => unknown
const text: Parse = (raw) => raw
const int: Parse = (raw) => Number(raw)
const bool: Parse = (raw) => (raw === 'true' ? true : raw === 'false' ? false : raw)
const list: Parse = (raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)

/** Environment overrides, applied over the file: each variable sets one config path. */
export const ENV_OVERRIDES: ReadonlyArray<
  readonly [variable: string, path: readonly string[], parse: Parse]
> = [
  ['TCF_CHAIN_RPC_URL', ['chain', 'rpcUrl'], text],
  ['TCF_CHAIN_ID', ['chain', 'chainId'], int],
  ['TCF_P2P_LISTEN', ['p2p', 'listen'], list],
  ['TCF_P2P_BOOTSTRAP', ['p2p', 'bootstrap'], list],
  ['TCF_API_HOST', ['api', 'host'], text],
  ['TCF_API_PORT', ['api', 'port'], int],
  ['TCF_WEB_ROOT', ['api', 'webRoot'], text],
  ['TCF_BLOCK_INTERVAL_MS', ['consensus', 'blockIntervalMs'], int],
  ['TCF_SANDBOX_WORKERS', ['sandbox', 'workers'], int],
  ['TCF_ANCHOR_TAKEOVER_MS', ['anchor', 'takeoverDelayMs'], int],
  ['TCF_LOG_LEVEL', ['log', 'level'], text],
  ['TCF_DKG', ['threshold', 'dkg'], bool],
]

export async function loadConfig(home: string, env: NodeJS.ProcessEnv = process.env): Promise<NodeConfig> {
  const path = join(home, CONFIG_FILE)
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(path, 'utf8'))
  } catch (cause) {
    throw new ConfigError(
      'CONFIG_UNREADABLE',
      `cannot read ${path}: run \`tcf node init --home ${home}\` first`,
      { cause },
    )
  }
  return parseConfig(applyEnv(raw, env), path)
}

export function parseConfig(raw: unknown, where: string): NodeConfig {
  const parsed = NodeConfigSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new ConfigError(
      'CONFIG_INVALID',
      `${where}: "${issue?.path.join('.') ?? ''}": ${issue?.message ?? 'invalid'}`,
    )
  }
  return parsed.data
}

function applyEnv(raw: unknown, env: NodeJS.ProcessEnv): unknown {
  const config = structuredClone(raw) as Record<string, unknown>
  for (const [variable, path, parse] of ENV_OVERRIDES) {
    const value = env[variable]
    if (value === undefined || value === '') continue
    let node = config
    for (const key of path.slice(0, -1)) {
      const next = node[key]
      node[key] = typeof next === 'object' && next !== null ? next : {}
      node = node[key] as Record<string, unknown>
    }
    node[path.at(-1)!] = parse(value)
  }
  return config
}
