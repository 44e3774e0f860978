// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @notice EIP-712 digests of consensus votes and signer recovery, shared by the Anchor (commit
/// certificates) and the ValidatorRegistry (duplicate-vote slashing). Mirrors protocol/eip712/.
library VoteSignatures {
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant VOTE_TYPEHASH =
        keccak256("Vote(uint8 voteType,uint64 epoch,uint64 height,uint32 round,bytes32 blockHash)");
    /// @dev The committee's collective CKKS key for an epoch (issue #13); setHash names the signing set.
    bytes32 internal constant COMMITTEE_KEY_TYPEHASH =
        keccak256("CommitteeKey(uint64 epoch,bytes32 setHash,bytes32 keyHash)");
    uint8 internal constant PREVOTE = 1;
    uint8 internal constant PRECOMMIT = 2;

    /// @param verifyingContract the ValidatorRegistry: the network's identity for every vote.
    function domainSeparator(address verifyingContract) internal view returns (bytes32) {
        return keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("tcf"), keccak256("1"), block.chainid, verifyingContract)
        );
    }

    function voteDigest(
        bytes32 separator,
        uint8 voteType,
        uint64 epoch,
        uint64 height,
        uint32 round,
        bytes32 blockHash
    ) internal pure returns (bytes32) {
        bytes32 structHash = keccak256(abi.encode(VOTE_TYPEHASH, voteType, epoch, height, round, blockHash));
        return keccak256(abi.encodePacked(hex"1901", separator, structHash));
    }

    function committeeKeyDigest(bytes32 separator, uint64 epoch, bytes32 setHash, bytes32 keyHash)
        internal
        pure
        returns (bytes32)
    {
        bytes32 structHash = keccak256(abi.encode(COMMITTEE_KEY_TYPEHASH, epoch, setHash, keyHash));
        return keccak256(abi.encodePacked(hex"1901", separator, structHash));
    }

    /// @dev EIP-2098 compact signature (r, yParity << 255 | s). Both s and its malleable twin recover
    /// the same signer, and callers count signers, never signatures, so s is not range-checked.
    function recoverCompact(bytes32 digest, bytes32 r, bytes32 vs) internal pure returns (address) {
        bytes32 s = vs & bytes32(0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff);
        uint8 v = uint8((uint256(vs) >> 255) + 27);
        return ecrecover(digest, v, r, s);
    }

    /// @dev 65-byte r || s || v as produced off chain; returns address(0) for a malformed signature.
    function recover(bytes32 digest, bytes calldata signature) internal pure returns (address) {
        if (signature.length != 65) return address(0);
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (v != 27 && v != 28) return address(0);
        return ecrecover(digest, v, r, s);
    }
}
