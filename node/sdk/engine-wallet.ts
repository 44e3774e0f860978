import {
  isError,
  type JsonRpcProvider,
  Transaction,
  type TransactionLike,
  type TransactionRequest,
  type TransactionResponse,
  type TransactionResponseParams,
  Wallet,
} from 'ethers'
import { ClientError } from './errors.ts'
import { EngineSigningKey } from './signing-key.ts'

/**
 * How long fee data fetched for one transaction prices the next ones. ethers offers at most twice
 * the base fee plus the tip, which covers the base fee rising for several full blocks in a row.
 */
export const FEE_DATA_REUSE_MS = 3_000

type Fees = Pick<TransactionRequest, 'type' | 'gasPrice' | 'maxFeePerGas' | 'maxPriorityFeePerGas'>

/**
 * An ethers Wallet that signs through the protocol's curve engine (EngineSigningKey), sends without
 * recovering its own address, and keeps what it learnt from one transaction for the next.
 *
 * - ethers' Wallet hands the signed bytes to the provider, which parses them and recovers the
 *   sender from the signature in JS (noble) to fill in `from`: ~10% of the bench process's CPU in a
 *   burst (profiled), only to learn the address the wallet already knows.
 * - ethers asks the chain for the account's nonce and for fee data (three calls) before every
 *   transaction, one round trip after another. This wallet sends one transaction at a time, counts
 *   its nonce itself after the first, and prices transactions with fee data at most
 *   FEE_DATA_REUSE_MS old. A nonce the chain refuses (another process sent from the same account)
 *   is read again and the transaction sent once more; any other failure forgets both.
 * - The gas limit is still estimated for every transaction: that is where a revert is caught, with
 *   its reason, before anything is paid for.
 */
export class EngineWallet extends Wallet {
  readonly #rpc: JsonRpcProvider
  /** The nonce of this account's next transaction, once one was sent through this wallet. */
  #nonce: number | undefined
  #fees: { readonly fees: Promise<Fees>; readonly at: number } | undefined
  #sending: Promise<unknown> = Promise.resolve()

  constructor(privateKey: string, provider: JsonRpcProvider) {
    super(new EngineSigningKey(privateKey), provider)
    this.#rpc = provider
  }

  override async populateTransaction(request: TransactionRequest): Promise<TransactionLike<string>> {
    const [nonce, fees] = await Promise.all([
      request.nonce ?? this.#nonce ?? this.#rpc.getTransactionCount(this.address, 'pending'),
      hasFees(request) || request.type != null ? {} : this.#feeData(),
    ])
    return super.populateTransaction({ ...fees, ...request, nonce })
  }

  override sendTransaction(request: TransactionRequest): Promise<TransactionResponse> {
    // One at a time: each transaction takes the nonce the one before it left.
    const sent = this.#sending.then(() => this.#send(request, true))
    this.#sending = sent.catch(() => undefined)
    return sent
  }

  async #send(request: TransactionRequest, retryNonce: boolean): Promise<TransactionResponse> {
    try {
      return await this.#sendOnce(request)
    } catch (error) {
      this.#nonce = undefined
      this.#fees = undefined
      if (retryNonce && request.nonce == null && isError(error, 'NONCE_EXPIRED'))
        return this.#send(request, false)
      throw error
    }
  }

  async #sendOnce(request: TransactionRequest): Promise<TransactionResponse> {
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
    this.#nonce = tx.nonce + 1
    // The sender is this wallet: an own property shadows the getter that would recover it.
    Object.defineProperty(tx, 'from', { value: this.address })
    // The signed transaction itself, as ethers' broadcastTransaction passes it: the response's
    // formatter reads its fields and fills in the ones a pending transaction lacks.
    const params = tx as unknown as TransactionResponseParams
    return this.#rpc._wrapTransactionResponse(params, network).replaceableTransaction(blockNumber)
  }

  /** EIP-1559 fees where the chain has them, else a legacy gas price; fetched at most every FEE_DATA_REUSE_MS. */
  #feeData(): Promise<Fees> {
    const now = Date.now()
    if (this.#fees === undefined || now - this.#fees.at >= FEE_DATA_REUSE_MS) {
      const fees = this.#rpc.getFeeData().then((data): Fees => {
        if (data.maxFeePerGas !== null && data.maxPriorityFeePerGas !== null)
          return { type: 2, maxFeePerGas: data.maxFeePerGas, maxPriorityFeePerGas: data.maxPriorityFeePerGas }
        return data.gasPrice === null ? {} : { type: 0, gasPrice: data.gasPrice }
      })
      this.#fees = { fees, at: now }
      fees.catch(() => {
        this.#fees = undefined
      })
    }
    return this.#fees.fees
  }
}

function hasFees(request: TransactionRequest): boolean {
  return request.gasPrice != null || request.maxFeePerGas != null || request.maxPriorityFeePerGas != null
}
