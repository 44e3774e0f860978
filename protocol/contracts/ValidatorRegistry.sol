// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {VoteSignatures} from "./VoteSignatures.sol";

/// @notice Validator stake, per-epoch validator-set snapshots, unbonding and slashing on
/// duplicate-vote evidence. Its address is the EIP-712 verifyingContract of every consensus vote.
contract ValidatorRegistry {
    uint256 public constant MAX_VALIDATORS = 128;
    /// @notice Share of a slashed stake paid to whoever proved the equivocation; the rest is burnt.
    uint256 public constant SLASH_REWARD_BPS = 1000;

    struct Validator {
        uint96 stake;
        /// @dev 0 while bonded; the timestamp unbonding began otherwise.
        uint64 unbondingSince;
        /// @dev Last epoch whose set includes this validator: stake stays locked while it can sign.
        uint64 lastEpoch;
        bool registered;
    }

    uint256 public immutable minStake;
    uint256 public immutable unbondingPeriod;
    uint256 public immutable epochPeriod;
    /// @notice Seconds after an epoch starts during which the Anchor still accepts the previous
    /// epoch's certificates, so blocks decided just before a change are not stranded.
    uint256 public immutable anchorGracePeriod;
    /// @notice The only account that may start epoch 1: before it there is no set to coordinate.
    address public immutable genesisCaller;

    mapping(address => Validator) public validators;
    address[] private candidates;

    uint64 public currentEpoch;
    uint64 public epochStartedAt;
    /// @notice Members of an epoch, each packed as stake << 160 | address, in registration order.
    mapping(uint64 => uint256[]) private epochSets;
    /// @notice keccak256(abi.encodePacked(epochSet(epoch))): what the Anchor checks a given set against.
    mapping(uint64 => bytes32) public epochSetHash;

    event Registered(address indexed validator, uint256 stake);
    event StakeAdded(address indexed validator, uint256 stake);
    event UnbondingStarted(address indexed validator, uint256 at);
    event Withdrawn(address indexed validator, uint256 amount);
    event EpochStarted(uint64 indexed epoch, bytes32 setHash, uint256 totalStake);
    event Slashed(address indexed validator, uint256 amount, address indexed reporter);

    error InsufficientStake();
    error AlreadyRegistered();
    error NotRegistered();
    error TooManyValidators();
    error StakeTooLarge();
    error Unbonding();
    error StillBonded();
    error EpochTooSoon();
    error NotGenesisCaller();
    error NotCurrentValidator();
    error EmptyValidatorSet();
    error VotesDoNotConflict();
    error InvalidSignature();
    error NothingToSlash();
    error TransferFailed();

    constructor(uint256 minStake_, uint256 unbondingPeriod_, uint256 epochPeriod_, uint256 anchorGracePeriod_) {
        minStake = minStake_;
        unbondingPeriod = unbondingPeriod_;
        epochPeriod = epochPeriod_;
        anchorGracePeriod = anchorGracePeriod_;
        genesisCaller = msg.sender;
    }

    function register() external payable {
        Validator storage v = validators[msg.sender];
        if (v.registered) revert AlreadyRegistered();
        if (msg.value < minStake) revert InsufficientStake();
        if (msg.value > type(uint96).max) revert StakeTooLarge();
        if (candidates.length >= MAX_VALIDATORS) revert TooManyValidators();
        validators[msg.sender] = Validator(uint96(msg.value), 0, 0, true);
        candidates.push(msg.sender);
        emit Registered(msg.sender, msg.value);
    }

    /// @notice Takes effect from the next epoch's snapshot.
    function addStake() external payable {
        Validator storage v = validators[msg.sender];
        if (!v.registered) revert NotRegistered();
        if (v.unbondingSince != 0) revert Unbonding();
        uint256 stake = uint256(v.stake) + msg.value;
        if (stake > type(uint96).max) revert StakeTooLarge();
        v.stake = uint96(stake);
        emit StakeAdded(msg.sender, stake);
    }

    /// @notice Leaves the set from the next epoch on; the stake stays slashable until withdrawn.
    function beginUnbonding() external {
        Validator storage v = validators[msg.sender];
        if (!v.registered) revert NotRegistered();
        if (v.unbondingSince != 0) revert Unbonding();
        v.unbondingSince = uint64(block.timestamp);
        emit UnbondingStarted(msg.sender, block.timestamp);
    }

    function withdraw() external {
        Validator memory v = validators[msg.sender];
        if (!v.registered) revert NotRegistered();
        // A member of the current set may still sign certificates the chain accepts.
        if (v.unbondingSince == 0 || block.timestamp < v.unbondingSince + unbondingPeriod) revert StillBonded();
        if (v.lastEpoch == currentEpoch && currentEpoch != 0) revert StillBonded();
        // Nor while the Anchor still accepts the previous epoch, if it was a member of that one.
        if (v.lastEpoch + 1 == currentEpoch && block.timestamp <= epochStartedAt + anchorGracePeriod) {
            revert StillBonded();
        }
        removeCandidate(msg.sender);
        delete validators[msg.sender];
        emit Withdrawn(msg.sender, v.stake);
        send(msg.sender, v.stake);
    }

    /// @notice Snapshots the bonded validators into a new epoch, once epochPeriod passed. Only a
    /// staked member of the current set may call it (the deployer starts epoch 1): a stranger who
    /// could advance epochs at will could strand every block decided in the epoch it ends.
    function advanceEpoch() external {
        if (currentEpoch == 0) {
            if (msg.sender != genesisCaller) revert NotGenesisCaller();
        } else {
            Validator storage caller = validators[msg.sender];
            if (caller.lastEpoch != currentEpoch || caller.stake == 0) revert NotCurrentValidator();
            if (block.timestamp < epochStartedAt + epochPeriod) revert EpochTooSoon();
        }
        uint64 epoch = currentEpoch + 1;
        uint256[] storage set = epochSets[epoch];
        uint256 total;
        for (uint256 i; i < candidates.length; ++i) {
            address candidate = candidates[i];
            Validator storage v = validators[candidate];
            if (v.unbondingSince != 0 || v.stake == 0) continue;
            set.push((uint256(v.stake) << 160) | uint160(candidate));
            v.lastEpoch = epoch;
            total += v.stake;
        }
        if (set.length == 0) revert EmptyValidatorSet();
        bytes32 setHash = keccak256(abi.encodePacked(set));
        epochSetHash[epoch] = setHash;
        currentEpoch = epoch;
        epochStartedAt = uint64(block.timestamp);
        emit EpochStarted(epoch, setHash, total);
    }

    function epochSet(uint64 epoch) external view returns (uint256[] memory) {
        return epochSets[epoch];
    }

    /// @notice The current epoch and its set hash in one call, for the Anchor.
    function currentEpochSet() external view returns (uint64 epoch, bytes32 setHash) {
        epoch = currentEpoch;
        setHash = epochSetHash[epoch];
    }

    /// @notice The set hash the Anchor checks a certificate of `epoch` against: the current epoch's,
    /// the previous epoch's within anchorGracePeriod of the change, zero for any other epoch.
    function anchorableSetHash(uint64 epoch) external view returns (bytes32) {
        if (epoch == currentEpoch) return epochSetHash[epoch];
        if (epoch + 1 == currentEpoch && block.timestamp <= epochStartedAt + anchorGracePeriod) {
            return epochSetHash[epoch];
        }
        return 0;
    }

    struct SignedVote {
        uint8 voteType;
        uint64 epoch;
        uint64 height;
        uint32 round;
        bytes32 blockHash;
        bytes signature;
    }

    /// @notice Slashes the whole stake of a validator that signed two different blocks (nil counts as
    /// a block) with the same vote type at the same epoch, height and round.
    function slashDuplicateVote(SignedVote calldata a, SignedVote calldata b) external {
        bool sameSlot = a.voteType == b.voteType && a.epoch == b.epoch && a.height == b.height && a.round == b.round;
        bool knownType = a.voteType == VoteSignatures.PREVOTE || a.voteType == VoteSignatures.PRECOMMIT;
        if (!sameSlot || !knownType || a.blockHash == b.blockHash) revert VotesDoNotConflict();
        bytes32 separator = VoteSignatures.domainSeparator(address(this));
        address signer = VoteSignatures.recover(
            VoteSignatures.voteDigest(separator, a.voteType, a.epoch, a.height, a.round, a.blockHash), a.signature
        );
        address other = VoteSignatures.recover(
            VoteSignatures.voteDigest(separator, b.voteType, b.epoch, b.height, b.round, b.blockHash), b.signature
        );
        if (signer == address(0) || signer != other) revert InvalidSignature();
        Validator storage v = validators[signer];
        uint256 amount = v.stake;
        if (amount == 0) revert NothingToSlash();
        v.stake = 0;
        // Out of future sets: with no stake it is skipped by advanceEpoch; withdrawing yields nothing.
        if (v.unbondingSince == 0) v.unbondingSince = uint64(block.timestamp);
        uint256 reward = (amount * SLASH_REWARD_BPS) / 10_000;
        emit Slashed(signer, amount, msg.sender);
        send(msg.sender, reward);
    }

    function removeCandidate(address who) private {
        uint256 last = candidates.length - 1;
        for (uint256 i; i <= last; ++i) {
            if (candidates[i] == who) {
                candidates[i] = candidates[last];
                candidates.pop();
                return;
            }
        }
    }

    function send(address to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }
}
