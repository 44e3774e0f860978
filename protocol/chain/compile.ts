import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import type { InterfaceAbi } from 'ethers'
import { TcfError } from '../errors.ts'
import type { Hex } from '../hex.ts'

/** Pinned so that committed artifacts are reproducible byte for byte. */
export const SOLC_VERSION = '0.8.37'
export const COMPILER_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  // The IR pipeline: calldata-heavy anchor() runs out of stack slots under the legacy one.
  viaIR: true,
  evmVersion: 'cancun',
  // No metadata hash: it embeds source paths and would make artifacts differ across checkouts.
  metadata: { bytecodeHash: 'none' },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
} as const

export const CONTRACT_NAMES = ['ValidatorRegistry', 'VaultRegistry', 'Anchor', 'JobMarket'] as const
export type ContractName = (typeof CONTRACT_NAMES)[number]

export interface ContractArtifact {
  readonly contractName: ContractName
  readonly solcVersion: string
  readonly abi: InterfaceAbi
  readonly bytecode: Hex
}

export class CompileError extends TcfError {
  override readonly name = 'CompileError'
  readonly code = 'SOLC_FAILED'
}

export const CONTRACTS_DIR = fileURLToPath(new URL('../contracts/', import.meta.url))

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[]
  contracts?: Record<string, Record<string, { abi: InterfaceAbi; evm: { bytecode: { object: string } } }>>
}

interface Solc {
  version(): string
  compile(input: string): string
}

/** Compiles every contract in protocol/contracts with the pinned solc-js; about half a second. */
export function compileContracts(): Record<ContractName, ContractArtifact> {
  const solc = createRequire(import.meta.url)('solc') as Solc
  const version = solc.version()
  if (!version.startsWith(`${SOLC_VERSION}+`)) {
    throw new CompileError(`solc ${version} installed, ${SOLC_VERSION} pinned: run npm ci`)
  }
  const sources = Object.fromEntries(
    readdirSync(CONTRACTS_DIR)
      .filter((file) => file.endsWith('.sol'))
      .sort()
      .map((file) => [file, { content: readFileSync(`${CONTRACTS_DIR}${file}`, 'utf8') }]),
  )
  const input = { language: 'Solidity', sources, settings: COMPILER_SETTINGS }
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as SolcOutput
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error')
  if (errors.length > 0) throw new CompileError(errors.map((e) => e.formattedMessage).join('\n'))

  const artifact = (name: ContractName): ContractArtifact => {
    const compiled = output.contracts?.[`${name}.sol`]?.[name]
    if (compiled === undefined) throw new CompileError(`${name}.sol produced no ${name}`)
    return {
      contractName: name,
      solcVersion: SOLC_VERSION,
      abi: compiled.abi,
      bytecode: `0x${compiled.evm.bytecode.object}`,
    }
  }
  return {
    ValidatorRegistry: artifact('ValidatorRegistry'),
    VaultRegistry: artifact('VaultRegistry'),
    Anchor: artifact('Anchor'),
    JobMarket: artifact('JobMarket'),
  }
}
