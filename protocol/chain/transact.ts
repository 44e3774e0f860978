import { Contract, type ContractRunner, type ContractTransactionReceipt, isCallException } from 'ethers'
import { TcfError } from '../errors.ts'
import { loadArtifact } from './artifacts.ts'
import type { ContractName } from './compile.ts'

/** A contract call reverted; `reason` is the Solidity custom error's name, e.g. 'InsufficientStake'. */
export class ContractRevertError extends TcfError {
  override readonly name = 'ContractRevertError'
  readonly code = 'CONTRACT_REVERTED'
  readonly reason: string

  constructor(contract: ContractName, method: string, reason: string) {
    super(`${contract}.${method} reverted: ${reason}`)
    this.reason = reason
  }
}

export interface TxOptions {
  readonly value?: bigint
}

/** ethers' Contract with calls that surface reverts as ContractRevertError and wait for receipts. */
export function boundContract(name: ContractName, address: string, runner: ContractRunner) {
  const contract = new Contract(address, loadArtifact(name).abi, runner)

  const withRevertReason = async <T>(method: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call()
    } catch (error) {
      if (isCallException(error)) {
        // Reverts during gas estimation arrive with raw data only; decode the custom error ourselves.
        const decoded = error.data ? contract.interface.parseError(error.data) : null
        throw new ContractRevertError(
          name,
          method,
          decoded?.name ?? error.revert?.name ?? error.reason ?? 'unknown',
        )
      }
      throw error
    }
  }

  return {
    contract,
    read: (method: string, ...args: unknown[]): Promise<unknown> =>
      withRevertReason(method, () => contract.getFunction(method).staticCall(...args)),
    send: (method: string, args: unknown[], options: TxOptions = {}): Promise<ContractTransactionReceipt> =>
      withRevertReason(method, async () => {
        const tx = await contract.getFunction(method).send(...args, { value: options.value ?? 0n })
        const receipt = await tx.wait()
        if (receipt === null) throw new ContractRevertError(name, method, 'transaction dropped')
        return receipt
      }),
  }
}
