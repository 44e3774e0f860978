export { type RoundReport, VaultAgent, type VaultAgentInit } from './agent.ts'
export { AgentError, type AgentErrorCode } from './errors.ts'
export { StatsMemo, type StatsMemoOptions } from './stats-memo.ts'
