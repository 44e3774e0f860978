import { isError, type JsonRpcProvider, type TransactionReceipt, type Wallet } from 'ethers'
import type { Logger } from 'pino'
import type { Hex32 } from '../../protocol/index.ts'
import { ChainError } from './errors.ts'
import { type RetryPolicy, withRetry } from './retry.ts'
import { signTransaction } from './tx-signing.ts'

export interface TxSenderOptions {
  /** How often to look for the receipt. */
  readonly pollMs: number
  /** A transaction not mined after this long is re-sent with the same nonce and higher fees. */
  readonly stuckAfterMs: number
  /** Give up (TX_TIMEOUT) when nothing is mined after this long. */
  readonly timeoutMs: number
  /** Replacements are sent with fees multiplied by this (nodes want at least +10%). */
  readonly bumpPercent: bigint
  readonly retry: RetryPolicy
}

export interface TxRequest {
  readonly to: string
  readonly data: string
  readonly gasLimit: bigint
}

interface Fees {
  readonly maxFeePerGas: bigint
  readonly maxPriorityFeePerGas: bigint
}

/** A transaction in flight: one nonce, and every version of it that was broadcast. */
interface InFlight {
  readonly request: TxRequest
  readonly nonce: number
  readonly hashes: string[]
  fees: Fees
  sentAt: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Sends the transactions of one key. Nonces are assigned and broadcast one transaction at a time
 * (a promise chain), so concurrent sends get consecutive nonces and reach the node in nonce order;
 * waiting for receipts runs concurrently. The next nonce is kept locally and re-read from the node
 * ('pending') whenever it may be wrong: at the first send, and after a send failed.
 */
export class TxSender {
  readonly #provider: JsonRpcProvider
  readonly #wallet: Wallet
  readonly #chainId: bigint
  readonly #options: TxSenderOptions
  readonly #log: Logger | undefined
  #nextNonce: number | undefined
  #serial: Promise<unknown> = Promise.resolve()

  constructor(
    wallet: Wallet,
    provider: JsonRpcProvider,
    chainId: bigint,
    options: TxSenderOptions,
    log?: Logger,
  ) {
    this.#wallet = wallet
    this.#provider = provider
    this.#chainId = chainId
    this.#options = options
    this.#log = log
  }

  /** Sends and waits until mined. A reverted transaction is returned too: the receipt says status 0. */
  async send(request: TxRequest): Promise<TransactionReceipt> {
    const submitted = this.#serial.then(() => this.#submit(request))
    this.#serial = submitted.catch(() => undefined)
    return this.#mined(await submitted)
  }

  async #submit(request: TxRequest, isRetry = false): Promise<InFlight> {
    const nonce =
      this.#nextNonce ??
      (await withRetry(
        'nonce',
        () => this.#provider.getTransactionCount(this.#wallet.address, 'pending'),
        this.#options.retry,
      ))
    const fees = await this.#currentFees()
    const tx: InFlight = { request, nonce, hashes: [], fees, sentAt: 0 }
    try {
      await this.#broadcast(tx)
    } catch (error) {
      // The node may or may not have taken the nonce; only the node can say which.
      this.#nextNonce = undefined
      // Another sender on this key (e.g. the operator's wallet) used our nonce: once, with a fresh one.
      if (isError(error, 'NONCE_EXPIRED') && !isRetry) return this.#submit(request, true)
      throw error
    }
    this.#nextNonce = nonce + 1
    return tx
  }

  async #currentFees(): Promise<Fees> {
    const data = await withRetry('fee data', () => this.#provider.getFeeData(), this.#options.retry)
    const priority = data.maxPriorityFeePerGas ?? 0n
    const max = data.maxFeePerGas ?? data.gasPrice ?? 0n
    return { maxFeePerGas: max > priority ? max : priority, maxPriorityFeePerGas: priority }
  }

  /** Signs the current version of `tx` and hands it to the node, retrying transient failures. */
  async #broadcast(tx: InFlight): Promise<void> {
    const { signed, hash } = signTransaction(this.#wallet.privateKey as Hex32, {
      type: 2,
      chainId: this.#chainId,
      nonce: tx.nonce,
      to: tx.request.to,
      data: tx.request.data,
      gasLimit: tx.request.gasLimit,
      ...tx.fees,
    })
    tx.hashes.push(hash)
    tx.sentAt = Date.now()
    try {
      // The raw call: ethers' broadcastTransaction also asks for the block number and recovers the
      // sender from the bytes we just signed, in JS (~10 ms at load). Node errors map the same way.
      await withRetry(
        'broadcast',
        () => this.#provider.send('eth_sendRawTransaction', [signed]),
        this.#options.retry,
      )
    } catch (error) {
      // A retry of a broadcast that did reach the node is refused as known; the transaction is in.
      if (error instanceof Error && /already known|known transaction/i.test(error.message)) return
      if (error instanceof ChainError) throw error
      throw new ChainError('TX_REJECTED', `nonce ${tx.nonce}: ${String(error)}`, { cause: error })
    }
    this.#log?.debug({ hash, nonce: tx.nonce, maxFeePerGas: String(tx.fees.maxFeePerGas) }, 'tx broadcast')
  }

  /** Polls every version of the transaction until one is mined, bumping fees when it looks stuck. */
  async #mined(tx: InFlight): Promise<TransactionReceipt> {
    const deadline = Date.now() + this.#options.timeoutMs
    while (Date.now() < deadline) {
      for (const hash of tx.hashes) {
        const receipt = await this.#provider.getTransactionReceipt(hash).catch(() => null)
        if (receipt !== null) return receipt
      }
      if (Date.now() - tx.sentAt >= this.#options.stuckAfterMs) await this.#bump(tx)
      await sleep(this.#options.pollMs)
    }
    throw new ChainError('TX_TIMEOUT', `nonce ${tx.nonce} not mined within ${this.#options.timeoutMs} ms`)
  }

  async #bump(tx: InFlight): Promise<void> {
    const bump = (fee: bigint) => (fee * (100n + this.#options.bumpPercent) + 99n) / 100n
    const current = await this.#currentFees().catch(() => tx.fees)
    const previous = tx.fees
    tx.fees = {
      maxFeePerGas: max(bump(previous.maxFeePerGas), current.maxFeePerGas),
      maxPriorityFeePerGas: max(bump(previous.maxPriorityFeePerGas), current.maxPriorityFeePerGas),
    }
    try {
      await this.#broadcast(tx)
      this.#log?.info(
        { nonce: tx.nonce, replacements: tx.hashes.length - 1 },
        'stuck transaction re-sent with higher fees',
      )
    } catch (error) {
      // Mined meanwhile (nonce used) or the node kept the old one: keep waiting for what is in.
      // The refused hash stays in the list; polling it costs a lookup and it may have got through.
      tx.fees = previous
      tx.sentAt = Date.now()
      this.#log?.debug({ nonce: tx.nonce, error: String(error) }, 'replacement not taken')
    }
  }
}

const max = (a: bigint, b: bigint) => (a > b ? a : b)
