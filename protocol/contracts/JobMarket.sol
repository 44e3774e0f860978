// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Anchor} from "./Anchor.sol";
import {ValidatorRegistry} from "./ValidatorRegistry.sol";
import {VaultRegistry} from "./VaultRegistry.sol";

/// @notice Buyer escrow per job. A job ends exactly once: paid on a proven release that reached the
/// buyer's minimum quality score, rejected (refunded less the validators' evaluation fee) on a proven
/// release below it, refunded on a proven failure, or refunded once its expiry and a settlement grace
/// period passed with neither proven. The grace is what lets a release anchored just before expiry
/// still beat the refund.
contract JobMarket {
    enum Status {
        None,
        Open,
        Paid,
        Refunded,
        /// @dev Released below the escrow's minimum quality: the buyer got the escrow back less the fee.
        Rejected
    }

    struct Job {
        address buyer;
        uint64 expiresAt;
        Status status;
        /// @dev Fixed-point like the score (QUALITY_SCALE); uint24 holds 1e6 and keeps the slot at 32 bytes.
        uint24 minQuality;
        bytes32 vaultId;
        uint256 escrow;
    }

    uint256 public constant BPS = 10_000;
    /// @notice A quality score of 1, in the fixed point the Anchor's result leaves carry.
    uint256 public constant QUALITY_SCALE = 1_000_000;

    Anchor public immutable anchor;
    VaultRegistry public immutable vaults;
    ValidatorRegistry public immutable validators;
    /// @notice Share of the escrow for the vault owner; the rest is split equally among the
    /// validators whose precommits anchored the settling block. That rest is also the evaluation fee
    /// of a job released below its minimum quality: validators earn the same whatever the score.
    uint256 public immutable ownerShareBps;
    /// @notice Shortest escrow lifetime a buyer may choose, so the network has time to settle.
    uint256 public immutable minJobDuration;
    /// @notice Seconds after expiry during which only a proof can close the job: refundExpired waits
    /// for them, so a release anchored by the expiry is always settled before the buyer can refund.
    uint256 public immutable settlementGrace;

    /// @notice The owner share of a paid job on a pool, held for the contributors of the snapshot it
    /// read. `resultHash` is the anchored one, keccak256(abi.encode(bundleHash, payoutsRoot, total)),
    /// so it fixes the payouts tree; `claimedContributions` counts the contributions paid so far.
    struct PoolHold {
        bytes32 resultHash;
        uint128 amount;
        uint128 claimedContributions;
    }

    /// @notice One outcome of an anchored block, for settleMany: a release (settle) or a failure
    /// (refundFailed, when `released` is false; `resultHash` and `qualityScore` are then unused).
    struct Outcome {
        bytes32 jobId;
        bool released;
        bytes32 resultHash;
        uint32 qualityScore;
        Anchor.OutcomeProof proof;
    }

    mapping(bytes32 => Job) public jobs;
    /// @notice Pull payments: a payee that cannot receive ETH must not block a settlement.
    mapping(address => uint256) public balances;
    mapping(bytes32 => PoolHold) public poolHolds;
    /// @notice jobId => contributor => whether its payout was credited.
    mapping(bytes32 => mapping(address => bool)) public payoutClaimed;

    event JobOpened(
        bytes32 indexed jobId, bytes32 indexed vaultId, address indexed buyer, uint256 escrow, uint32 minQuality
    );
    /// @param owner the zero address when the vault is a pool: `ownerAmount` is then held for its
    /// contributors (PoolShareHeld), claimed with claimPayout
    /// @param perValidator credited to each validator named by the proof's signers bitmap
    event JobPaid(
        bytes32 indexed jobId,
        bytes32 resultHash,
        uint32 qualityScore,
        address owner,
        uint256 ownerAmount,
        uint256 perValidator
    );
    /// @notice A release proven below the escrow's minimum quality: the buyer is refunded `refund`, the
    /// escrow less the evaluation fee, and each certifying validator credited `perValidator`.
    event JobRejected(
        bytes32 indexed jobId,
        bytes32 resultHash,
        uint32 qualityScore,
        uint32 minQuality,
        address buyer,
        uint256 refund,
        uint256 perValidator
    );
    event JobRefunded(bytes32 indexed jobId, address buyer, uint256 amount);
    event PoolShareHeld(bytes32 indexed jobId, bytes32 indexed vaultId, uint256 amount);
    event PayoutClaimed(
        bytes32 indexed jobId, address indexed contributor, uint256 contributions, uint256 amount
    );
    event Withdrawal(address indexed payee, uint256 amount);

    error JobExists();
    error VaultInactive();
    error EscrowBelowPrice();
    error ExpiryTooSoon();
    error MinQualityOutOfRange();
    error JobNotOpen();
    error InvalidProof();
    error NotExpired();
    error NothingToWithdraw();
    error TransferFailed();
    error JobNotPaid();
    error NotPoolJob();
    error PayoutNotBound();
    error InvalidPayoutProof();
    error AlreadyClaimed();

    constructor(
        Anchor anchor_,
        VaultRegistry vaults_,
        ValidatorRegistry validators_,
        uint256 ownerShareBps_,
        uint256 minJobDuration_,
        uint256 settlementGrace_
    ) {
        require(ownerShareBps_ <= BPS);
        anchor = anchor_;
        vaults = vaults_;
        validators = validators_;
        ownerShareBps = ownerShareBps_;
        minJobDuration = minJobDuration_;
        settlementGrace = settlementGrace_;
    }

    /// @param jobId the protocol id of the buyer's JobRequest (keccak256 of its canonical bytes).
    /// @param minQuality the least certified quality score the buyer pays for (fixed point, 0 for any),
    /// as its signed spec states it: the nodes admit the job only if the two agree.
    function openJob(bytes32 jobId, bytes32 vaultId, uint64 expiresAt, uint32 minQuality) external payable {
        if (jobs[jobId].status != Status.None) revert JobExists();
        (, bool active,,, uint256 price) = vaults.vaults(vaultId);
        if (!active) revert VaultInactive();
        if (msg.value < price) revert EscrowBelowPrice();
        if (expiresAt < block.timestamp + minJobDuration) revert ExpiryTooSoon();
        if (minQuality > QUALITY_SCALE) revert MinQualityOutOfRange();
        jobs[jobId] = Job(msg.sender, expiresAt, Status.Open, uint24(minQuality), vaultId, msg.value);
        emit JobOpened(jobId, vaultId, msg.sender, msg.value, minQuality);
    }

    /// @notice Settles a release proven on the Anchor by its certified quality score: at or above the
    /// escrow's minimum, pays the vault owner (for a pool: holds its share for the contributors,
    /// claimPayout) and the certifying validators; below it, pays the
    /// validators the same (their evaluation fee) and refunds the rest to the buyer. The score comes
    /// from the proven leaf, so whoever sends this cannot choose the branch.
    function settle(bytes32 jobId, bytes32 resultHash, uint32 qualityScore, Anchor.OutcomeProof calldata proof)
        external
    {
        settleOpen(jobId, openJobOf(jobId), resultHash, qualityScore, proof);
    }

    /// @notice Closes the escrows of many proven outcomes in one transaction, as settle and
    /// refundFailed would one by one: a validator settles a whole anchored block with it. A job not
    /// open any more (closed by another validator's transaction first, or listed twice) is skipped,
    /// never paid twice; any invalid proof reverts the whole call, as it would alone.
    /// @return closed how many escrows this call closed
    function settleMany(Outcome[] calldata outcomes) external returns (uint256 closed) {
        for (uint256 i; i < outcomes.length; ++i) {
            Outcome calldata o = outcomes[i];
            Job storage job = jobs[o.jobId];
            if (job.status != Status.Open) continue;
            if (o.released) {
                settleOpen(o.jobId, job, o.resultHash, o.qualityScore, o.proof);
            } else {
                refundFailedOpen(o.jobId, job, o.proof);
            }
            ++closed;
        }
    }

    function settleOpen(
        bytes32 jobId,
        Job storage job,
        bytes32 resultHash,
        uint32 qualityScore,
        Anchor.OutcomeProof calldata proof
    ) private {
        if (!anchor.verifyResult(jobId, resultHash, qualityScore, proof)) revert InvalidProof();
        bool reached = qualityScore >= job.minQuality;
        job.status = reached ? Status.Paid : Status.Rejected;

        (uint256 each, uint256 credited) = creditValidators(evaluationFeeOf(job.escrow), proof);
        // Rounding dust stays with the remainder, so the escrow is paid out exactly.
        uint256 rest = job.escrow - credited;
        if (reached && vaults.isPool(job.vaultId)) {
            // An escrow is below the ether supply, far below 2^128 wei: the cast cannot truncate.
            poolHolds[jobId] = PoolHold(resultHash, uint128(rest), 0);
            emit PoolShareHeld(jobId, job.vaultId, rest);
            emit JobPaid(jobId, resultHash, qualityScore, address(0), rest, each);
        } else if (reached) {
            (address owner,,,,) = vaults.vaults(job.vaultId);
            balances[owner] += rest;
            emit JobPaid(jobId, resultHash, qualityScore, owner, rest, each);
        } else {
            balances[job.buyer] += rest;
            emit JobRejected(jobId, resultHash, qualityScore, job.minQuality, job.buyer, rest, each);
        }
    }

    /// @notice Credits `contributor` its share of a paid pool job: the held owner share times its
    /// contributions over the snapshot's total. The payouts tree (root, total) must be the one the
    /// settled result hash binds with `bundleHash`, and the leaf
    /// keccak256(keccak256(abi.encode(contributor, contributions))) must be in it (sorted-pair path).
    /// Anyone may send it, a relayer or the curator: only the named contributor is credited, once.
    function claimPayout(
        bytes32 jobId,
        bytes32 bundleHash,
        bytes32 root,
        uint256 total,
        address contributor,
        uint256 contributions,
        bytes32[] calldata proof
    ) external {
        if (jobs[jobId].status != Status.Paid) revert JobNotPaid();
        PoolHold storage hold = poolHolds[jobId];
        if (hold.resultHash == 0) revert NotPoolJob();
        if (keccak256(abi.encode(bundleHash, root, total)) != hold.resultHash) revert PayoutNotBound();
        if (payoutClaimed[jobId][contributor]) revert AlreadyClaimed();
        bytes32 node = keccak256(bytes.concat(keccak256(abi.encode(contributor, contributions))));
        for (uint256 i; i < proof.length; ++i) {
            bytes32 sibling = proof[i];
            node = node < sibling
                ? keccak256(abi.encodePacked(node, sibling))
                : keccak256(abi.encodePacked(sibling, node));
        }
        uint256 before = hold.claimedContributions;
        // A tree whose counts exceed its total could pay more than is held; an honest one never does.
        if (node != root || contributions == 0 || before + contributions > total) revert InvalidPayoutProof();
        payoutClaimed[jobId][contributor] = true;
        // Paid on the running count, so the floors telescope: once every contributor has claimed,
        // exactly the held amount is paid out, no dust left; each share is within one wei of pro rata.
        uint256 amount =
            (uint256(hold.amount) * (before + contributions)) / total - (uint256(hold.amount) * before) / total;
        hold.claimedContributions = uint128(before + contributions);
        balances[contributor] += amount;
        emit PayoutClaimed(jobId, contributor, contributions, amount);
    }

    /// @notice Refund on a failure the network anchored: the deadline passed without a release.
    function refundFailed(bytes32 jobId, Anchor.OutcomeProof calldata proof) external {
        refundFailedOpen(jobId, openJobOf(jobId), proof);
    }

    function refundFailedOpen(bytes32 jobId, Job storage job, Anchor.OutcomeProof calldata proof) private {
        if (!anchor.verifyFailure(jobId, proof)) revert InvalidProof();
        refund(jobId, job);
    }

    /// @notice Refund when the network proved neither outcome by its expiry plus the settlement grace.
    function refundExpired(bytes32 jobId) external {
        Job storage job = openJobOf(jobId);
        if (block.timestamp <= uint256(job.expiresAt) + settlementGrace) revert NotExpired();
        refund(jobId, job);
    }

    /// @notice What a job's escrow is bound to, for nodes and vault agents to check against the signed
    /// request: the vault it pays, the buyer refunds go to, the amount locked, its expiry, the least
    /// quality score it pays for, and the evaluation fee the validators keep if the score falls short.
    function escrowOf(bytes32 jobId)
        external
        view
        returns (
            bytes32 vaultId,
            address buyer,
            uint256 amount,
            uint64 expiresAt,
            Status status,
            uint32 minQuality,
            uint256 evaluationFee
        )
    {
        Job storage job = jobs[jobId];
        return (
            job.vaultId, job.buyer, job.escrow, job.expiresAt, job.status, job.minQuality, evaluationFeeOf(job.escrow)
        );
    }

    function withdraw() external {
        uint256 amount = balances[msg.sender];
        if (amount == 0) revert NothingToWithdraw();
        balances[msg.sender] = 0;
        emit Withdrawal(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed();
    }

    function openJobOf(bytes32 jobId) private view returns (Job storage job) {
        job = jobs[jobId];
        if (job.status != Status.Open) revert JobNotOpen();
    }

    /// @dev The validators' share of an escrow, paid or rejected (at most; dust of the split stays).
    function evaluationFeeOf(uint256 escrow) private view returns (uint256) {
        return (escrow * (BPS - ownerShareBps)) / BPS;
    }

    /// @dev Splits `fee` equally among the members of the proof's epoch set its signers bitmap names.
    function creditValidators(uint256 fee, Anchor.OutcomeProof calldata proof)
        private
        returns (uint256 each, uint256 credited)
    {
        uint256[] memory set = validators.epochSet(proof.epoch);
        uint256 count;
        for (uint256 i; i < set.length; ++i) {
            if ((proof.signers >> i) & 1 == 1) ++count;
        }
        each = fee / count;
        for (uint256 i; i < set.length; ++i) {
            if ((proof.signers >> i) & 1 == 1) balances[address(uint160(set[i]))] += each;
        }
        credited = each * count;
    }

    function refund(bytes32 jobId, Job storage job) private {
        job.status = Status.Refunded;
        balances[job.buyer] += job.escrow;
        emit JobRefunded(jobId, job.buyer, job.escrow);
    }
}
