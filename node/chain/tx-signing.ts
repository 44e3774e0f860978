import { Signature, Transaction, type TransactionLike } from 'ethers'
import { type Hex32, signDigest } from '../../protocol/index.ts'

/**
 * A transaction signed with the process's curve engine (libsecp256k1 in a daemon) rather than
 * ethers' Wallet, which signs in JS: ~4 ms a transaction at load, and a validator signs an anchor
 * or a settlement for most jobs. Both sign RFC 6979 with low s, so the bytes are the same
 * (tested against Wallet.signTransaction).
 */
export function signTransaction(
  privateKey: Hex32,
  request: TransactionLike<string>,
): { signed: string; hash: string } {
  const tx = Transaction.from(request)
  tx.signature = Signature.from(signDigest(privateKey, tx.unsignedHash as Hex32))
  return { signed: tx.serialized, hash: tx.hash! }
}
