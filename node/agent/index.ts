export { type RoundReport, VaultAgent, type VaultAgentInit } from './agent.ts'
export { type CertifiedResult, verifyCertifiedResult } from './certificate.ts'
export { AgentError, type AgentErrorCode } from './errors.ts'
