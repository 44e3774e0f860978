import { type Hex32, jobIdOf, type SignedJobRequest } from '../../protocol/index.ts'
import {
  type CompileLimits,
  compile,
  isSandboxError,
  parseSpec,
  type VaultManifest,
} from '../../sandbox/index.ts'
import type { NodeChain } from '../ports.ts'
import type { ChainFacts } from './chain-facts.ts'
import { type RuleSources, ruleContext } from './rule-context.ts'
import { checkAdmission, type Verdict } from './rules.ts'
import { SpecMemo } from './spec-memo.ts'

/** How far ahead of the next height a request's deadline must be for this node to take it. */
const MIN_DEADLINE_MARGIN = 2

export interface AdmissionDeps {
  readonly rules: RuleSources
  readonly chain: Pick<NodeChain, 'admissionFacts'>
  /** loads a manifest (from the store or peers) so that the rules find it in memory */
  readonly manifest: (vaultId: Hex32) => Promise<VaultManifest>
  /** what this node is willing to take on, at most the network's limits */
  readonly limits: CompileLimits
}

/**
 * The local checks a request must pass for this node to accept, relay and propose it: the block
 * rules at the next height against the chain's latest state, a deadline not too close, and this
 * node's own capacity.
 */
export async function admissible(deps: AdmissionDeps, signed: SignedJobRequest): Promise<Verdict> {
  const { request } = signed
  const jobId = jobIdOf(request)
  let manifest: VaultManifest
  try {
    manifest = await deps.manifest(request.vaultId)
  } catch (e) {
    return { ok: false, code: 'VAULT_UNKNOWN', message: e instanceof Error ? e.message : String(e) }
  }
  const next = deps.rules.ledger.height + 1
  if (request.deadline < next + MIN_DEADLINE_MARGIN) {
    return {
      ok: false,
      code: 'DEADLINE_TOO_CLOSE',
      message: `deadline ${request.deadline} leaves no time after height ${next}`,
    }
  }
  // The latest escrow, not a final one: an escrow opened a moment ago is admitted once blocks reach
  // it. Vault and time may be a second old: a block's rules re-read both at its final number.
  let facts: ChainFacts
  try {
    facts = await deps.chain.admissionFacts({ jobs: [jobId], vaults: [request.vaultId] })
  } catch (e) {
    return { ok: false, code: 'CHAIN_UNAVAILABLE', message: e instanceof Error ? e.message : String(e) }
  }
  const verdict = checkAdmission(ruleContext(deps.rules, next, facts), signed)
  if (!verdict.ok) return verdict
  return withinLocalCapacity(signed, manifest, deps.limits)
}

/**
 * Whether this node takes a job the network's rules admit: its configured limits may be lower.
 * Never a block rule, so a refusal here is not COST_EXCEEDED.
 */
function withinLocalCapacity(
  signed: SignedJobRequest,
  manifest: VaultManifest,
  limits: CompileLimits,
): Verdict {
  // A pool job decrypts the snapshot's running sum: no homomorphic evaluation to take on.
  if (manifest.pool) return { ok: true }
  const { spec } = signed.request.algorithm
  return capacities.get(manifest, limits, spec, () => {
    try {
      compile(parseSpec(spec), manifest, limits)
      return { ok: true }
    } catch (e) {
      if (isSandboxError(e) && e.code === 'COST_EXCEEDED')
        return {
          ok: false,
          code: 'OVER_LOCAL_CAPACITY',
          message: `this node takes no such job: ${e.message}`,
        }
      throw e
    }
  })
}

/** Verdicts already reached (256 a vault): compiling is pure in the spec, the manifest and the limits. */
const capacities = new SpecMemo<Verdict>(256)
