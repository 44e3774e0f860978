import type { ValidatorSet } from '../../consensus/index.ts'
import type { Eip712Domain, Hex32 } from '../../protocol/index.ts'
import { DEFAULT_LIMITS, type VaultManifest } from '../../sandbox/index.ts'
import type { ChainFacts, EscrowTerms } from './chain-facts.ts'
import type { Ledger } from './ledger.ts'
import type { RuleContext, Verdict } from './rules.ts'
import type { CommitteeView } from './scored-rules.ts'

/** What the block rules read besides the chain: the replicated state this node holds. */
export interface RuleSources {
  readonly validators: () => ValidatorSet
  readonly ledger: Ledger
  readonly domain: Eip712Domain
  /** manifests already loaded: the rules never wait on I/O */
  readonly manifest: (vaultId: Hex32) => VaultManifest | undefined
  readonly escrowTerms: EscrowTerms
  /** committee keys and HE primes loaded for threshold releases (node/threshold/directory.ts) */
  readonly committee?: (keyHash: Hex32) => CommitteeView | undefined
  readonly primes?: (profile: string) => readonly bigint[] | undefined
  /** verdicts on contribution bytes (node/pools/contribution-checks.ts) */
  readonly contributionBytes?: (poolId: Hex32, blobId: Hex32) => Verdict | undefined
}

/** The rules' view of height `height` with the chain as `chain` says. */
export function ruleContext(sources: RuleSources, height: number, chain: ChainFacts): RuleContext {
  return {
    height,
    validators: sources.validators(),
    ledger: sources.ledger,
    domain: sources.domain,
    manifest: sources.manifest,
    chain,
    escrowTerms: sources.escrowTerms,
    ...(sources.committee ? { committee: sources.committee } : {}),
    ...(sources.primes ? { primes: sources.primes } : {}),
    ...(sources.contributionBytes ? { contributionBytes: sources.contributionBytes } : {}),
    // The network's limits, never this node's: honest nodes must judge a block alike.
    limits: DEFAULT_LIMITS,
  }
}
