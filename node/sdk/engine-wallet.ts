import {
  type JsonRpcProvider,
  Transaction,
  type TransactionRequest,
  type TransactionResponse,
  type TransactionResponseParams,
  Wallet,
} from 'ethers'
import { ClientError } from './errors.ts'
import { EngineSigningKey } from './signing-key.ts'

/**
 * An ethers Wallet that signs through the protocol's curve engine (EngineSigningKey) and sends
 * without recovering its own address. ethers' Wallet hands the signed bytes to the provider, which
 * parses them and recovers the sender from the signature in JS (noble) to fill in `from`: ~10% of
 * the bench process's CPU in a burst (profiled), only to learn the address the wallet already knows.
 * Everything else is ethers': populating the nonce, gas and fees, the response and `wait()`.
 */
export class EngineWallet extends Wallet {
  readonly #rpc: JsonRpcProvider

  constructor(privateKey: string, provider: JsonRpcProvider) {
    super(new EngineSigningKey(privateKey), provider)
    this.#rpc = provider
  }

  override async sendTransaction(request: TransactionRequest): Promise<TransactionResponse> {
    const populated = await this.populateTransaction(request)
    delete populated.from
    const tx = Transaction.from(populated)
    tx.signature = this.signingKey.sign(tx.unsignedHash)
    const [blockNumber, hash, network] = await Promise.all([
      this.#rpc.getBlockNumber(),
      this.#rpc.send('eth_sendRawTransaction', [tx.serialized]) as Promise<unknown>,
      this.#rpc.getNetwork(),
    ])
    if (hash !== tx.hash)
      throw new ClientError('CHAIN_TX_FAILED', `the chain named transaction ${String(hash)}, not ${tx.hash}`)
    // The sender is this wallet: an own property shadows the getter that would recover it.
    Object.defineProperty(tx, 'from', { value: this.address })
    // The signed transaction itself, as ethers' broadcastTransaction passes it: the response's
    // formatter reads its fields and fills in the ones a pending transaction lacks.
    const params = tx as unknown as TransactionResponseParams
    return this.#rpc._wrapTransactionResponse(params, network).replaceableTransaction(blockNumber)
  }
}
