// The public surface of node/chain: contract reads, anchoring with retries, the anchoring policy and
// the settling that follows it.

export {
  type AnchoredEvent,
  type Anchorer,
  type AnchorerInit,
  type AnchorState,
  createAnchorer,
  takeoverRank,
} from './anchorer.ts'
export {
  type AnchorOutcome,
  type AnchorRequest,
  type AnchorTx,
  type ChainClient,
  type ChainClientInit,
  createChainClient,
  type JobOnChain,
  type ProvenOutcome,
  type SettleOutcome,
  type SettleRequest,
  type SlashOutcome,
  type ValidatorSet,
  type VaultOnChain,
} from './chain-client.ts'
export { type ChainState, type ChainStateInit, createChainState } from './chain-state.ts'
export { ChainError, type ChainErrorCode } from './errors.ts'
export { DEFAULT_RETRY, type RetryPolicy } from './retry.ts'
export { createSettler, type Settler, type SettlerInit, type SettleWork } from './settler.ts'
export { unanchoredHeights } from './unanchored.ts'
export { unsettledHeights } from './unsettled.ts'
