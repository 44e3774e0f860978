// A bare in-memory chain for tests, the gas bench and the devnet: chain id 31337, no plugins.
// `hardhat node` logs every JSON-RPC call unless told not to; with four validators reading the
// chain and a burst of escrows, that log was the chain's own work, printed to a pipe nobody reads.
module.exports = { networks: { hardhat: { chainId: 31337, loggingEnabled: false } } }
