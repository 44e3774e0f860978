import type { Hex32 } from '../../protocol/index.ts'
import type { GossipCounters } from '../ports.ts'

/** What the API needs from the node; the daemon implements it. */
export interface NodeService {
  status(): Promise<NodeStatus>
  putBlob(id: Hex32, bytes: Uint8Array): Promise<void>
  getBlob(id: Hex32): Promise<Uint8Array | undefined>
  publishVault(manifest: unknown): Promise<{ vaultId: Hex32 }>
  submitJob(signed: unknown): Promise<{ jobId: Hex32 }>
  job(jobId: Hex32): Promise<unknown | undefined>
  block(height: number): Promise<unknown | undefined>
}

export interface NodeStatus {
  readonly version: string
  readonly address: Hex32 | string
  readonly peerId: string
  readonly peers: ReadonlyArray<{ readonly peerId: string; readonly score: number }>
  readonly gossip: Readonly<Record<string, GossipCounters>>
  readonly height: number
  readonly round: number
  readonly epoch: number
  readonly validators: ReadonlyArray<{ address: string; power: number }>
}

/** A refusal the caller can act on: stable code, message, and the status to answer with. */
export class ApiError extends Error {
  override name = 'ApiError'
  readonly code: string
  readonly status: number
  readonly details: Record<string, unknown> | undefined

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message)
    this.status = status
    this.code = code
    this.details = details
  }
}
