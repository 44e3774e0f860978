import { mkdirSync, writeFileSync } from 'node:fs'
import { artifactJson } from '../chain/artifacts.ts'
import { CONTRACT_NAMES, CONTRACTS_DIR, compileContracts } from '../chain/compile.ts'

// npm run build:contracts: recompiles protocol/contracts into the committed artifacts/.
const artifacts = compileContracts()
mkdirSync(`${CONTRACTS_DIR}artifacts`, { recursive: true })
for (const name of CONTRACT_NAMES) {
  writeFileSync(`${CONTRACTS_DIR}artifacts/${name}.json`, artifactJson(artifacts[name]))
  console.log(`${name}: ${(artifacts[name].bytecode.length - 2) / 2} bytes`)
}
