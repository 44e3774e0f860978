export { type RoundReport, VaultAgent, type VaultAgentInit } from './agent.ts'
export { AgentError, type AgentErrorCode } from './errors.ts'
