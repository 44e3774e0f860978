// The public surface of node/ for the folders above it (devnet/, and test/ where it need not reach
// further): how to prepare and start a validator's home, what a running daemon and its API report,
// the command lines it accepts, and the client roles. bin/ enters through node/cli/ instead, so that
// a command loads only what it runs.

export { VaultAgent, type VaultAgentInit } from './agent/index.ts'
export type { NodeStatus } from './api/index.ts'
export { deployOptions } from './cli/cmds/devnet/deploy/options.ts'
export { nodeInitOptions } from './cli/cmds/node/init/options.ts'
export { nodeStartOptions } from './cli/cmds/node/start/options.ts'
export { serveOptions } from './cli/cmds/vault/serve/options.ts'
export { table } from './cli/table.ts'
export { ENV_OVERRIDES, type NodeConfigInput } from './config/index.ts'
export { type DaemonInfo, INFO_FILE } from './daemon.ts'
export { initHome } from './home.ts'
export { TRACE_MARKS, TRACE_MSG, type TraceMark } from './jobs/trace.ts'
export { useNativeKeccak } from './native-keccak.ts'
export { useNativeSealing } from './native-sealing.ts'
export { useNativeSecp256k1 } from './native-secp256k1.ts'
export { generatePeerKey, peerIdOf } from './p2p/index.ts'
export { NODE_RUNTIME_FLAGS } from './runtime-flags.ts'
export {
  Client,
  ClientError,
  committeeVaultKeys,
  createPool,
  fetchCommitteeKey,
  type JobResult,
  type JobSettlement,
  PoolContributor,
  type PoolJobResult,
  poolResult,
  thresholdResult,
  useSdkTransport,
} from './sdk/index.ts'
export { nodeSdkTransport } from './sdk/node-transport.ts'
export type { JobRecord, StoredBlock } from './storage/index.ts'
