// Test and devnet helpers: a local hardhat chain and a deployed, staked network. Kept out of
// protocol/index.ts because loading them resolves hardhat, a development dependency.
export { DEV_PRIVATE_KEYS, type DevChain, DevChainError, startDevChain } from './devChain.ts'
export { startTestNetwork, type TestNetwork } from './network.ts'
