// protocol/chain/artifacts.ts for the browser: the same committed ABIs and bytecode, bundled.

import type { ContractArtifact, ContractName } from '../../../protocol/chain/compile.ts'
import anchor from '../../../protocol/contracts/artifacts/Anchor.json'
import jobMarket from '../../../protocol/contracts/artifacts/JobMarket.json'
import validatorRegistry from '../../../protocol/contracts/artifacts/ValidatorRegistry.json'
import vaultRegistry from '../../../protocol/contracts/artifacts/VaultRegistry.json'

const ARTIFACTS: Readonly<Record<ContractName, ContractArtifact>> = {
  Anchor: anchor as ContractArtifact,
  JobMarket: jobMarket as ContractArtifact,
  ValidatorRegistry: validatorRegistry as ContractArtifact,
  VaultRegistry: vaultRegistry as ContractArtifact,
}

export const artifactJson = (artifact: ContractArtifact): string => `${JSON.stringify(artifact, null, 2)}\n`

export const loadArtifact = (name: ContractName): ContractArtifact => ARTIFACTS[name]
