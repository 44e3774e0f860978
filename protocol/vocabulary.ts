// The leaf vocabulary as a light entry point: hex, hashes, blob ids, canonical JSON and the vault
// manifest's wire schema, without the contract clients and ethers that protocol/index.ts loads (a
// second of CPU). The HE runtime's worker threads import this, so that each worker starts fast.
export { blobIdOf, isBlobId } from './blobId.ts'
export { canonicalBytes, canonicalJson } from './canonicalJson.ts'
export { type Address, type Hex, type Hex32, hex32Schema, keccak256, sha256 } from './hex.ts'
export { QUALITY_SCALE } from './messages/primitives.ts'
export { computeVaultId, type VaultManifest, vaultManifestSchema } from './messages/vaultManifest.ts'
