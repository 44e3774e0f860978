export { ConfigError, type ConfigErrorCode } from './errors.ts'
export { CONFIG_FILE, ENV_OVERRIDES, loadConfig, parseConfig } from './load.ts'
export { type NodeConfig, type NodeConfigInput, NodeConfigSchema } from './schema.ts'
