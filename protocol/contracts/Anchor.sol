// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ValidatorRegistry} from "./ValidatorRegistry.sol";
import {VoteSignatures} from "./VoteSignatures.sol";

/// @notice Records a block's job-outcome Merkle root once more than two thirds of its epoch's stake
/// precommitted to the block; the epoch must be the current one, or the previous one within the
/// registry's anchorGracePeriod. One storage slot per block, whatever its job count.
contract Anchor {
    uint8 internal constant OUTCOME_RESULT = 1;
    uint8 internal constant OUTCOME_FAILED = 2;

    struct BlockHeader {
        uint64 height;
        uint64 epoch;
        bytes32 parentHash;
        address proposer;
        bytes32 resultsRoot;
        bytes32 bodyHash;
    }

    /// @dev EIP-2098 compact signature.
    struct Signature {
        bytes32 r;
        bytes32 vs;
    }

    /// @notice Locates a leaf: the anchored block, the record fields its commitment hashes, the path.
    struct OutcomeProof {
        uint64 height;
        uint64 epoch;
        uint256 signers;
        bytes32[] path;
    }

    ValidatorRegistry public immutable registry;

    /// @notice height => keccak256(abi.encode(resultsRoot, epoch, signers)). Keeping the record as one
    /// hash costs one SSTORE per block; proofs carry the fields (they are in the Anchored event).
    mapping(uint64 => bytes32) public commitments;

    /// @notice epoch => hash of the validator committee's collective public key set (issue #13).
    mapping(uint64 => bytes32) public committeeKeys;

    event Anchored(
        uint64 indexed height,
        bytes32 indexed blockHash,
        bytes32 resultsRoot,
        uint64 epoch,
        uint32 round,
        uint256 signers
    );

    event CommitteeKeyRegistered(uint64 indexed epoch, bytes32 keyHash, uint256 signers);

    error StaleEpoch();
    error WrongValidatorSet();
    error HeightAlreadyAnchored();
    error EmptyResults();
    error BadSignerBitmap();
    error SignatureCountMismatch();
    error WrongSigner(uint256 index);
    error InsufficientStake();
    error EmptyKeyHash();
    error CommitteeKeyAlreadyRegistered();

    constructor(ValidatorRegistry registry_) {
        registry = registry_;
    }

    /// @param validatorSet the epoch's set as ValidatorRegistry.epochSet returns it.
    /// @param signers bit i set when validatorSet[i] precommitted; signatures are in ascending index order.
    function anchor(
        BlockHeader calldata header,
        uint32 round,
        uint256[] calldata validatorSet,
        uint256 signers,
        Signature[] calldata signatures
    ) external {
        // Only the current set, and the previous one for a grace window after a change (its members
        // cannot withdraw before it closes), has stake at risk; an older set could sign anything.
        bytes32 setHash = registry.anchorableSetHash(header.epoch);
        if (setHash == 0) revert StaleEpoch();
        if (keccak256(abi.encodePacked(validatorSet)) != setHash) revert WrongValidatorSet();
        if (commitments[header.height] != 0) revert HeightAlreadyAnchored();
        if (header.resultsRoot == 0) revert EmptyResults();
        if (validatorSet.length < 256 && signers >> validatorSet.length != 0) revert BadSignerBitmap();

        // The vote signs the block hash, which hashes the results root: a certificate for one block
        // cannot anchor another block's root.
        bytes32 blockHash = keccak256(abi.encode(header));
        bytes32 digest = VoteSignatures.voteDigest(
            VoteSignatures.domainSeparator(address(registry)),
            VoteSignatures.PRECOMMIT,
            header.epoch,
            header.height,
            round,
            blockHash
        );

        (uint256 signed, uint256 total) = tallyPrecommits(digest, validatorSet, signers, signatures);
        if (signed * 3 <= total * 2) revert InsufficientStake();

        commitments[header.height] = keccak256(abi.encode(header.resultsRoot, header.epoch, signers));
        emit Anchored(header.height, blockHash, header.resultsRoot, header.epoch, round, signers);
    }

    /// @notice Records the collective key hash of an epoch's committee once more than two thirds of the
    /// epoch's stake signed it (EIP-712 CommitteeKey, domain = this contract); anyone may submit.
    /// @param signers bit i set when validatorSet[i] signed; signatures are in ascending index order.
    function registerCommitteeKey(
        uint64 epoch,
        bytes32 keyHash,
        uint256[] calldata validatorSet,
        uint256 signers,
        Signature[] calldata signatures
    ) external {
        // Same window as certificates: an older set's stake may be withdrawn, so it could sign anything.
        bytes32 setHash = registry.anchorableSetHash(epoch);
        if (setHash == 0) revert StaleEpoch();
        if (keccak256(abi.encodePacked(validatorSet)) != setHash) revert WrongValidatorSet();
        if (keyHash == 0) revert EmptyKeyHash();
        // First registration wins for good: vaults are encrypted under it, a second key would strand them.
        if (committeeKeys[epoch] != 0) revert CommitteeKeyAlreadyRegistered();
        if (validatorSet.length < 256 && signers >> validatorSet.length != 0) revert BadSignerBitmap();

        // The domain is this contract, not the registry: a signature cannot register at another Anchor.
        bytes32 separator = VoteSignatures.domainSeparator(address(this));
        bytes32 digest = VoteSignatures.committeeKeyDigest(separator, epoch, setHash, keyHash);
        (uint256 signed, uint256 total) = tallyPrecommits(digest, validatorSet, signers, signatures);
        if (signed * 3 <= total * 2) revert InsufficientStake();

        committeeKeys[epoch] = keyHash;
        emit CommitteeKeyRegistered(epoch, keyHash, signers);
    }

    /// @return signed stake of the members named by the bitmap, each checked against its signature
    /// @return total stake of the whole set
    function tallyPrecommits(
        bytes32 digest,
        uint256[] calldata validatorSet,
        uint256 signers,
        Signature[] calldata signatures
    ) internal pure returns (uint256 signed, uint256 total) {
        uint256 next;
        for (uint256 i; i < validatorSet.length; ++i) {
            uint256 member = validatorSet[i];
            total += member >> 160;
            if ((signers >> i) & 1 == 0) continue;
            if (next == signatures.length) revert SignatureCountMismatch();
            Signature calldata sig = signatures[next++];
            // The bitmap names each member at most once, so signers are distinct by construction.
            if (VoteSignatures.recoverCompact(digest, sig.r, sig.vs) != address(uint160(member))) {
                revert WrongSigner(i);
            }
            signed += member >> 160;
        }
        if (next != signatures.length) revert SignatureCountMismatch();
    }

    /// @notice Whether a block anchored here settled jobId with this result and quality score.
    function verifyResult(bytes32 jobId, bytes32 resultHash, uint32 qualityScore, OutcomeProof calldata proof)
        external
        view
        returns (bool)
    {
        return proves(outcomeLeaf(OUTCOME_RESULT, jobId, resultHash, qualityScore), proof);
    }

    /// @notice Whether a block anchored here failed jobId (its deadline passed without a release).
    function verifyFailure(bytes32 jobId, OutcomeProof calldata proof) external view returns (bool) {
        return proves(outcomeLeaf(OUTCOME_FAILED, jobId, 0, 0), proof);
    }

    /// @dev Double hashing keeps leaf preimages at 32 bytes, never an inner node's 64 (protocol/merkle.ts).
    function outcomeLeaf(uint8 outcome, bytes32 jobId, bytes32 resultHash, uint32 qualityScore)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(keccak256(abi.encode(outcome, jobId, resultHash, qualityScore))));
    }

    function proves(bytes32 leaf, OutcomeProof calldata proof) internal view returns (bool) {
        bytes32 node = leaf;
        for (uint256 i; i < proof.path.length; ++i) {
            bytes32 sibling = proof.path[i];
            node = node < sibling
                ? keccak256(abi.encode(node, sibling))
                : keccak256(abi.encode(sibling, node));
        }
        bytes32 commitment = commitments[proof.height];
        return commitment != 0 && commitment == keccak256(abi.encode(node, proof.epoch, proof.signers));
    }
}
