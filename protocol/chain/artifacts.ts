import { readFileSync } from 'node:fs'
import { CONTRACTS_DIR, type ContractArtifact, type ContractName } from './compile.ts'

/** The committed form of an artifact; the freshness test compares recompiled output to it. */
export const artifactJson = (artifact: ContractArtifact): string => `${JSON.stringify(artifact, null, 2)}\n`

const cache = new Map<ContractName, ContractArtifact>()

/** The committed ABI and bytecode: runtime never needs solc. */
export function loadArtifact(name: ContractName): ContractArtifact {
  let artifact = cache.get(name)
  if (artifact === undefined) {
    artifact = JSON.parse(readFileSync(`${CONTRACTS_DIR}artifacts/${name}.json`, 'utf8')) as ContractArtifact
    cache.set(name, artifact)
  }
  return artifact
}
