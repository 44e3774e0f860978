import { ENV_OVERRIDES } from '../node/index.ts'
import { DEV_CHAIN_ID } from '../protocol/index.ts'

/**
 * The devnet's shape: which services run, on which ports, with which
 * environment and volumes. `npm run devnet` (processes on 127.0.0.1) and
 * docker-compose.devnet.yml (containers on a compose network) both follow it;
 * devnet/compose.test.ts holds the compose file to it.
 *
 * Ports are the same inside a container and on the host, and differ per
 * validator, so that the process devnet (one host, one port space) and the
 * compose devnet publish the same URLs.
 */
export const VALIDATOR_COUNT = 4
export const CHAIN_ID = DEV_CHAIN_ID
export const CHAIN_RPC_PORT = 8545
export const P2P_BASE_PORT = 7600
export const API_BASE_PORT = 7700
/** Throwaway keys of a dev network; an operator's passphrase comes from a file or a secret. */
export const DEVNET_PASSPHRASE = 'devnet passphrase'
/** Keystore cost for devnet keys: fast to seal and to unlock at every start. */
export const DEVNET_SCRYPT_N = 1024

export const p2pPort = (index: number): number => P2P_BASE_PORT + index
export const apiPort = (index: number): number => API_BASE_PORT + index
export const validatorName = (index: number): string => `validator-${index}`

/** Where the validator's HTTP API answers when it is up. */
export const STATUS_PATH = '/v1/status'

/** Mount points inside the image (the Dockerfile creates them, owned by the non-root user). */
export const MOUNTS = { home: '/data', shared: '/shared' } as const

/**
 * Variables the services may set: the node's config overrides (ENV_OVERRIDES)
 * and the CLI's own (the key passphrase, the keystore cost).
 */
export const CLI_ENV_KEYS = ['TCF_PASSPHRASE', 'TCF_SCRYPT_N'] as const
export const KNOWN_ENV_KEYS: ReadonlySet<string> = new Set([
  ...ENV_OVERRIDES.map(([variable]) => variable),
  ...CLI_ENV_KEYS,
])

/**
 * How services reach each other: the process devnet binds loopback and
 * addresses every service as 127.0.0.1; compose binds every interface of a
 * container and addresses a service by its name.
 */
export interface Placement {
  readonly bindHost: string
  hostOf(service: string): string
}
export const LOCAL: Placement = { bindHost: '127.0.0.1', hostOf: () => '127.0.0.1' }
export const COMPOSE: Placement = { bindHost: '0.0.0.0', hostOf: (service) => service }

export type DependencyCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully'

export interface DevnetService {
  readonly name: string
  readonly role: 'chain' | 'deploy' | 'validator' | 'vault-agent' | 'demo'
  /** TCP ports it listens on */
  readonly ports: readonly number[]
  /** the environment it sets; every key is in KNOWN_ENV_KEYS */
  readonly env: Readonly<Record<string, string>>
  /** named volume -> mount point */
  readonly volumes: Readonly<Record<string, string>>
  readonly dependsOn: Readonly<Record<string, DependencyCondition>>
  /** the HTTP endpoint that says it is healthy, if it has one */
  readonly health?: { readonly port: number; readonly path: string }
}

export const CHAIN_SERVICE = 'chain'
export const DEPLOY_SERVICE = 'deploy'
export const VAULT_AGENT_SERVICE = 'vault-agent'
/** One shot in compose: the demo seller and buyer (devnet/compose/demo.ts); `npm run devnet` runs them in-process. */
export const DEMO_SERVICE = 'demo'
/** Written by the deploy step, read by everyone: contract addresses and each validator's keys. */
export const SHARED_VOLUME = 'shared'

/**
 * What the deploy step (`tcf devnet deploy --out <dir>`) leaves in the shared
 * volume: the contract addresses, and per validator its registered validator
 * key, its libp2p key and its bootstrap list (the other validators'
 * multiaddrs, comma-separated, as TCF_P2P_BOOTSTRAP takes them).
 */
export const DEPLOY_FILES = {
  addresses: 'addresses.json',
  validatorKey: (index: number): string => `${validatorName(index)}/validator.key`,
  peerKey: (index: number): string => `${validatorName(index)}/peer.key`,
  bootstrap: (index: number): string => `${validatorName(index)}/bootstrap`,
} as const

export const chainRpcUrl = (placement: Placement): string =>
  `http://${placement.hostOf(CHAIN_SERVICE)}:${CHAIN_RPC_PORT}`

/**
 * A validator's environment. The bootstrap peers are absent on purpose: they
 * name peer ids, which exist only once the deploy step has made the keys.
 */
export function validatorEnv(index: number, placement: Placement): Record<string, string> {
  return {
    TCF_CHAIN_RPC_URL: chainRpcUrl(placement),
    TCF_CHAIN_ID: String(CHAIN_ID),
    TCF_P2P_LISTEN: `/ip4/${placement.bindHost}/tcp/${p2pPort(index)}`,
    TCF_API_HOST: placement.bindHost,
    TCF_API_PORT: String(apiPort(index)),
    TCF_LOG_LEVEL: 'info',
    // A devnet's validators share one host's cores (DEVNET_PACE in cluster.ts says the same).
    TCF_SANDBOX_WORKERS: '1',
    TCF_PASSPHRASE: DEVNET_PASSPHRASE,
    TCF_SCRYPT_N: String(DEVNET_SCRYPT_N),
  }
}

export function devnetServices(placement: Placement): readonly DevnetService[] {
  const validators = Array.from(
    { length: VALIDATOR_COUNT },
    (_, i): DevnetService => ({
      name: validatorName(i),
      role: 'validator',
      ports: [p2pPort(i), apiPort(i)],
      env: validatorEnv(i, placement),
      volumes: { [`${validatorName(i)}-home`]: MOUNTS.home, [SHARED_VOLUME]: MOUNTS.shared },
      dependsOn: { [CHAIN_SERVICE]: 'service_healthy', [DEPLOY_SERVICE]: 'service_completed_successfully' },
      health: { port: apiPort(i), path: STATUS_PATH },
    }),
  )
  return [
    { name: CHAIN_SERVICE, role: 'chain', ports: [CHAIN_RPC_PORT], env: {}, volumes: {}, dependsOn: {} },
    {
      name: DEPLOY_SERVICE,
      role: 'deploy',
      ports: [],
      env: {},
      volumes: { [SHARED_VOLUME]: MOUNTS.shared },
      dependsOn: { [CHAIN_SERVICE]: 'service_healthy' },
    },
    ...validators,
    {
      name: VAULT_AGENT_SERVICE,
      role: 'vault-agent',
      ports: [],
      env: { TCF_PASSPHRASE: DEVNET_PASSPHRASE },
      volumes: { [`${VAULT_AGENT_SERVICE}-home`]: MOUNTS.home, [SHARED_VOLUME]: MOUNTS.shared },
      dependsOn: { [validatorName(0)]: 'service_healthy' },
    },
    {
      name: DEMO_SERVICE,
      role: 'demo',
      ports: [],
      env: {},
      // The seller's files go to the agent's home, where `vault serve` reads them.
      volumes: { [`${VAULT_AGENT_SERVICE}-home`]: MOUNTS.home },
      dependsOn: {
        ...Object.fromEntries(validators.map((v) => [v.name, 'service_healthy' as const])),
        [VAULT_AGENT_SERVICE]: 'service_started',
      },
    },
  ]
}
