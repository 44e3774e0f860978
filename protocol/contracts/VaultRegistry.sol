// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice Vault id => owner, manifest hash, policy hash and price. The id is the protocol's
/// content address of the manifest (keccak256 of its canonical form without the id).
contract VaultRegistry {
    struct Vault {
        address owner;
        bool active;
        bytes32 manifestHash;
        bytes32 policyHash;
        uint256 price;
    }

    mapping(bytes32 => Vault) public vaults;
    /// @notice Pools (issue #14): vaults whose owner share JobMarket holds for the contributors of the
    /// snapshot a job read, instead of crediting the owner (the curator). Apart from the struct so
    /// that readers of `vaults` keep its shape.
    mapping(bytes32 => bool) public isPool;

    event VaultRegistered(bytes32 indexed vaultId, address indexed owner, bytes32 manifestHash, uint256 price);
    event VaultUpdated(bytes32 indexed vaultId, bytes32 manifestHash, bytes32 policyHash, uint256 price);
    event VaultDeactivated(bytes32 indexed vaultId);
    event PoolMarked(bytes32 indexed vaultId, address indexed curator);

    error VaultExists();
    error NotVaultOwner();
    error VaultInactive();
    error ZeroVaultId();
    error AlreadyPool();

    function register(bytes32 vaultId, bytes32 manifestHash, bytes32 policyHash, uint256 price) external {
        if (vaultId == 0) revert ZeroVaultId();
        // Ids are never reused, even after deactivation: jobs name vaults by id.
        if (vaults[vaultId].owner != address(0)) revert VaultExists();
        vaults[vaultId] = Vault(msg.sender, true, manifestHash, policyHash, price);
        emit VaultRegistered(vaultId, msg.sender, manifestHash, price);
    }

    function update(bytes32 vaultId, bytes32 manifestHash, bytes32 policyHash, uint256 price) external {
        Vault storage vault = ownedActive(vaultId);
        vault.manifestHash = manifestHash;
        vault.policyHash = policyHash;
        vault.price = price;
        emit VaultUpdated(vaultId, manifestHash, policyHash, price);
    }

    function deactivate(bytes32 vaultId) external {
        ownedActive(vaultId).active = false;
        emit VaultDeactivated(vaultId);
    }

    /// @notice The owner declares its vault a pool, once and for good: there is no way back, so a
    /// curator cannot take the contributors' share of jobs already opened on the pool.
    function markPool(bytes32 vaultId) external {
        ownedActive(vaultId);
        if (isPool[vaultId]) revert AlreadyPool();
        isPool[vaultId] = true;
        emit PoolMarked(vaultId, msg.sender);
    }

    function ownedActive(bytes32 vaultId) private view returns (Vault storage vault) {
        vault = vaults[vaultId];
        if (vault.owner != msg.sender) revert NotVaultOwner();
        if (!vault.active) revert VaultInactive();
    }
}
