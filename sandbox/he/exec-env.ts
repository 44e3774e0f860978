import { canonicalJson, type Hex32, sha256 } from '../../protocol/vocabulary.ts'
import { PROFILES, type ProfileName } from './profiles.ts'
import { nodeSealVersion } from './seal.ts'

/** Bumped whenever the evaluator's sequence of SEAL operations changes. */
export const EVALUATOR_VERSION = 8

/**
 * What two nodes must share for their results to be byte-identical: the
 * SEAL build, the profile's parameters and the evaluator's op order. Nodes
 * sign it with their attestations, so a mismatch is visible, not a fork.
 */
export async function execEnvHash(profile: ProfileName): Promise<Hex32> {
  const env = {
    nodeSeal: await nodeSealVersion(),
    build: 'throws',
    profile: PROFILES[profile],
    evaluator: EVALUATOR_VERSION,
  }
  return sha256(new TextEncoder().encode(canonicalJson(env)))
}
