import { CodedError } from '../../protocol/errors.ts'

/** Stable codes of what the web app itself refuses (the node's and the SDK's refusals keep their own). */
export type WebErrorCode =
  /** the injected wallet is connected to another chain than the one this network settles on */
  | 'WALLET_CHAIN_MISMATCH'
  /** neither a key nor a wallet to sign and pay with */
  | 'NO_SIGNER'
  /** a pasted key or sealing key is not 32 bytes of hex */
  | 'BAD_KEY'
  /** a file the page fetches from its node (node-seal's WASM) did not arrive */
  | 'BAD_RESPONSE'
  /** a contributor's pasted pool layout or records that cannot be read at all */
  | 'BAD_LAYOUT'
  | 'BAD_RECORDS'

export class WebError extends CodedError<WebErrorCode> {
  override name = 'WebError'
}
