// A bare in-memory chain for tests, the gas bench and the devnet: chain id 31337, no plugins.
module.exports = { networks: { hardhat: { chainId: 31337 } } }
