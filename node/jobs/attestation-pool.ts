import { hasQuorum, type ValidatorSet } from '../../consensus/index.ts'
import type { Address, Hex32, ResultAttestation, ResultCertificate } from '../../protocol/index.ts'

const MAX_JOBS = 10_000

/**
 * Verified attestations by job, until a certificate for the job is decided.
 * Attestations may arrive before this node has decided the block admitting
 * their job, so they are kept for unknown jobs too (bounded).
 */
export class AttestationPool {
  readonly #byJob = new Map<Hex32, Map<Address, ResultAttestation>>()

  add(attestation: ResultAttestation): boolean {
    let forJob = this.#byJob.get(attestation.jobId)
    if (!forJob) {
      if (this.#byJob.size >= MAX_JOBS) {
        const oldest = this.#byJob.keys().next().value
        if (oldest !== undefined) this.#byJob.delete(oldest)
      }
      forJob = new Map()
      this.#byJob.set(attestation.jobId, forJob)
    }
    if (forJob.has(attestation.validator)) return false
    forJob.set(attestation.validator, attestation)
    return true
  }

  /** A certificate from the largest group of matching attestations, if it holds a quorum. */
  certificateFor(jobId: Hex32, validators: ValidatorSet): ResultCertificate | undefined {
    const forJob = this.#byJob.get(jobId)
    if (!forJob) return undefined
    const groups = new Map<string, ResultAttestation[]>()
    for (const a of forJob.values()) {
      if (!validators.has(a.validator)) continue
      const key = `${a.resultHash}:${a.execEnvHash}`
      groups.set(key, [...(groups.get(key) ?? []), a])
    }
    for (const group of groups.values()) {
      if (
        !hasQuorum(
          validators,
          group.map((a) => a.validator),
        )
      )
        continue
      const first = group[0]!
      // Sorted by address: the same attestations give the same certificate bytes.
      const attestations = group
        .map((a) => ({ validator: a.validator, signature: a.signature }))
        .sort((a, b) => (a.validator < b.validator ? -1 : 1))
      return { jobId, resultHash: first.resultHash, execEnvHash: first.execEnvHash, attestations }
    }
    return undefined
  }

  forget(jobId: Hex32): void {
    this.#byJob.delete(jobId)
  }
}
