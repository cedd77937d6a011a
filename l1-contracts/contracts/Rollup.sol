// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

import {Pubdata} from "./Pubdata.sol";
import {TokenTransfer} from "./TokenTransfer.sol";

/// A deployment's batch verifier: `Verifier` (Groth16) or `Halo2Verifier` (halo2, KZG), the
/// proof system the deployment chose, behind one call.
interface IBatchVerifier {
    /// The hash of the verifying key the deployment pins (`Params.expectedVkHash`).
    function vkHash() external view returns (bytes32);
    /// Whether `proof`, in the verifier's own encoding, proves a batch of `commitment`.
    function verifyBatch(bytes calldata proof, uint256 commitment) external view returns (bool);
}

interface IPoseidon4 {
    function hash(uint256[4] calldata inputs) external pure returns (uint256);
}

interface IPoseidon6 {
    function hash(uint256[6] calldata inputs) external pure returns (uint256);
}

/// @title zksettle rollup: the L1 side of `docs/protocol.md`.
/// @notice Holds the L2 state root, the registered tokens, the priority queue of deposits and
/// forced exits, and the funds. A batch moves the root forward only with a Groth16 proof of its
/// commitment (protocol §10), which this contract recomputes from calldata; the batch must
/// consume the next priority operations in queue order. Withdrawals and forced exits credit
/// pending balances that their owners pull with `withdraw`.
/// @dev Runs behind `RollupProxy` (delegatecall): the proxy's address is the rollup's address,
/// the one in every commitment and signature domain, and holds the state; this contract's code
/// holds the deployment's constants (immutables) and the state is set once by `initialize`.
/// Who can do what (protocol §13): governance manages the operators, the guardian and the fee
/// recipient, and upgrades the code after a notice longer than the priority window; operators
/// submit batches, and anyone may once no operator has for `fallbackDelay`; the guardian can
/// only pause batch submission. Exodus: once a priority operation is past its expiry
/// unprocessed, anyone can stop the rollup; from then on every account exits once against the
/// last verified root with a Merkle proof checked here with Poseidon, unprocessed deposits are
/// refunded, and no upgrade can execute.
contract Rollup {
    /// Field modulus r (Baby Jubjub's base field, BN254's scalar field).
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 internal constant BJJ_A = 168700;
    uint256 internal constant BJJ_D = 168696;
    uint256 internal constant COMMITMENT_MASK = (1 << 253) - 1;
    /// Shortest priority window on a public chain: a day gives users time to notice an operator
    /// that stopped and to act, and a permissionless prover time to take over.
    uint64 internal constant MIN_PRIORITY_WINDOW = 1 days;
    /// Shortest priority window on local development chains (ids 31337, 1337), for tests.
    uint64 internal constant MIN_DEV_PRIORITY_WINDOW = 60;
    uint64 internal constant MAX_PRIORITY_WINDOW = 365 days;
    /// EIP-1967's implementation slot, `keccak256("eip1967.proxy.implementation") - 1`: where
    /// `RollupProxy` reads the code it delegates to.
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    struct Leaf {
        uint32 index;
        uint32 token;
        uint32 nonce;
        uint128 balance;
        uint256 keyX;
        uint256 keyY;
        address l1Address;
    }

    /// What a deployment fixes in this contract's code (see the immutables of the same names).
    struct Params {
        IBatchVerifier verifier;
        bytes32 expectedVkHash;
        IPoseidon4 poseidon4;
        IPoseidon6 poseidon6;
        uint8 depth;
        uint256 chunks;
        uint256 feeSlots;
        uint64 priorityWindow;
        uint64 fallbackDelay;
        uint64 upgradeNotice;
        uint64 batchInterval;
        uint64 maxPriorityOps;
        uint32 maxForcedExitsPerIndex;
        uint256 forcedExitFee;
    }

    IBatchVerifier public immutable verifier;
    IPoseidon4 public immutable poseidon4;
    IPoseidon6 public immutable poseidon6;
    /// SHA-256 of the verifying key, read from the verifier at deployment.
    bytes32 public immutable vkHash;
    /// Tree depth in index bits.
    uint8 public immutable depth;
    /// Batch capacity in chunks.
    uint256 public immutable chunks;
    /// Fee slots per batch.
    uint256 public immutable feeSlots;
    /// Seconds a priority operation may wait before exodus can be triggered.
    uint64 public immutable priorityWindow;
    /// Seconds without a batch from an operator after which anyone may submit batches, so a
    /// permissionless prover can process the queue before it expires. Below `priorityWindow`.
    uint64 public immutable fallbackDelay;
    /// Seconds between `scheduleUpgrade` and `executeUpgrade`. Above `priorityWindow`, so a
    /// user who rejects an upgrade can queue a forced exit that is either processed or expires
    /// (exodus, which blocks the upgrade) before it lands.
    uint64 public immutable upgradeNotice;
    /// Seconds one batch takes to prove and land, as the deployer declares it: with
    /// `maxPriorityOps` it bounds how long the queue takes to drain (checked at deployment).
    uint64 public immutable batchInterval;
    /// Most priority operations open at once; deposits may fill only half of it, so the other
    /// half stays for forced exits (which pay a fee: deposits cost only gas).
    uint64 public immutable maxPriorityOps;
    /// Most forced exits open at once for one account index.
    uint32 public immutable maxForcedExitsPerIndex;
    /// Wei a forced-exit request pays (to `feeRecipient`; nothing is refunded).
    uint256 public immutable forcedExitFee;
    /// Bits 0 and 2 of the op byte of each chunk one calldata word covers (see `_skipPlainChunks`).
    uint256 internal immutable skipMask;
    /// Bytes of those chunks.
    uint256 internal immutable skipStride;

    /// Set by `initialize` (and in this contract's own storage by its constructor, so the
    /// implementation itself can never be initialized).
    bool internal initialized;
    /// Manages operators, the guardian and the fee recipient; schedules upgrades.
    address public governance;
    /// May pause and unpause batch submission, nothing else.
    address public guardian;
    /// Receives forced-exit fees (as a pending balance of ether).
    address public feeRecipient;
    /// The implementation `executeUpgrade` will install (0: none scheduled).
    address public pendingImplementation;
    /// When it may be installed.
    uint64 public upgradeReadyAt;

    /// Root after the last verified batch.
    bytes32 public stateRoot;
    // The six fields below share one storage slot, so a batch reads and writes it once.
    /// Number of the last verified batch (0: genesis).
    uint64 public batchNumber;
    /// Whether the rollup has stopped for exits.
    bool public exodus;
    /// First unprocessed priority serial.
    uint64 public priorityHead;
    /// Next priority serial to assign.
    uint64 public priorityTail;
    /// When an operator last had a batch verified (initially: the deployment).
    uint48 public lastOperatorBatchAt;
    /// Whether the guardian has paused batch submission.
    bool public paused;

    /// Token id → token address (0: ether).
    address[] public tokens;
    mapping(address => uint32) internal tokenIdPlusOne;

    /// Priority operations: serial → (hash's top 192 bits ‖ expiry, 64 bits); 0 once consumed.
    mapping(uint64 => uint256) internal priorityOps;

    /// L1 address → token id → amount withdrawable.
    mapping(address => mapping(uint32 => uint256)) public pendingBalance;
    /// Leaf indices that exited in exodus.
    mapping(uint32 => bool) public exited;
    /// Addresses that may submit batches at any time.
    mapping(address => bool) public isOperator;
    /// Account index → forced exits queued and not yet processed.
    mapping(uint32 => uint256) public openForcedExits;

    bool transient locked;

    event TokenRegistered(uint32 indexed tokenId, address indexed token);
    event DepositQueued(
        uint64 indexed serial,
        uint32 indexed token,
        uint128 amount,
        bytes32 packedKey,
        address indexed l1Address,
        uint64 expiry
    );
    event ForcedExitQueued(
        uint64 indexed serial, uint32 index, uint32 indexed token, address indexed requester, uint64 expiry
    );
    event BatchVerified(
        uint64 indexed number, bytes32 oldRoot, bytes32 newRoot, uint256 commitment, uint64 priorityHead
    );
    event PendingCredited(address indexed owner, uint32 indexed token, uint256 amount);
    event Withdrawn(address indexed owner, uint32 indexed token, address to, uint256 amount);
    event ExodusActivated(uint64 expiredSerial);
    event Exited(uint32 indexed index, uint32 indexed token, address indexed l1Address, uint128 balance);
    event DepositRefunded(uint64 indexed serial, address indexed l1Address, uint32 token, uint128 amount);
    event GovernanceTransferred(address indexed previous, address indexed next);
    event OperatorSet(address indexed operator, bool active);
    event GuardianSet(address indexed guardian);
    event FeeRecipientSet(address indexed recipient);
    event PauseSet(bool paused);
    event UpgradeScheduled(address indexed implementation, uint64 readyAt);
    event UpgradeCancelled(address indexed implementation);
    event Upgraded(address indexed implementation);

    error VerifyingKeyMismatch(bytes32 expected, bytes32 actual);
    error BadShape();
    error BadTiming();
    error BadQueueLimits();
    error AlreadyInitialized();
    error ZeroAddress();
    error Reentrancy();
    error InExodus();
    error NotInExodus();
    error UnknownToken(address token);
    error TokenAlreadyRegistered(address token);
    error NotAContract(address account);
    error ZeroAmount();
    error AmountTooLarge();
    error MissingL1Address();
    error KeyNotOnCurve();
    error InvalidAccountIndex(uint32 index);
    error UnknownTokenId(uint32 tokenId);
    error InsufficientFee(uint256 required, uint256 paid);
    error TooManyForcedExits(uint32 index);
    error PriorityQueueFull();
    error NotGovernance(address caller);
    error NotGuardian(address caller);
    error NotOperator(address caller);
    error NotDirectCall();
    error BatchesPaused();
    error EmptyBatch();
    error WrongBatchNumber(uint64 expected, uint64 got);
    error WrongPubdataLength(uint256 expected, uint256 got);
    error InvalidProof();
    error PriorityOpMismatch(uint64 serial);
    error PriorityQueueExhausted();
    error NotExpired();
    error AlreadyExited(uint32 index);
    error WrongProofLength(uint256 expected, uint256 got);
    error NotInState();
    error NotRefundable(uint64 serial);
    error NothingToWithdraw();
    error NoUpgradeScheduled();
    error UpgradeNotReady(uint64 readyAt);

    modifier nonReentrant() {
        if (locked) revert Reentrancy();
        locked = true;
        _;
        locked = false;
    }

    modifier active() {
        if (exodus) revert InExodus();
        _;
    }

    modifier onlyGovernance() {
        if (msg.sender != governance) revert NotGovernance(msg.sender);
        _;
    }

    modifier onlyGuardian() {
        if (msg.sender != guardian) revert NotGuardian(msg.sender);
        _;
    }

    /// Fixes the deployment's constants and checks that they keep users safe: every op fits a
    /// batch, the fallback opens before operations expire, an upgrade's notice outlasts the
    /// window, and a full queue can be drained within the window.
    constructor(Params memory p) {
        bytes32 actual = p.verifier.vkHash();
        if (actual != p.expectedVkHash) revert VerifyingKeyMismatch(p.expectedVkHash, actual);
        if (p.depth < 2 || p.depth > 32 || p.depth % 2 != 0) revert BadShape();
        uint256 w = (uint256(p.depth) + 7) / 8;
        uint256 chunkBytes = 2 * w + 6;
        // Every op must fit a batch, or a queued deposit could never be processed.
        uint256 depositChunks = Pubdata.chunksOf(Pubdata.depositBytes(w), chunkBytes) / chunkBytes;
        if (p.chunks < depositChunks) revert BadShape();
        uint64 minWindow =
            (block.chainid == 31337 || block.chainid == 1337) ? MIN_DEV_PRIORITY_WINDOW : MIN_PRIORITY_WINDOW;
        if (p.priorityWindow < minWindow || p.priorityWindow > MAX_PRIORITY_WINDOW) revert BadTiming();
        if (p.fallbackDelay == 0 || p.fallbackDelay >= p.priorityWindow) revert BadTiming();
        if (p.upgradeNotice <= p.priorityWindow || p.upgradeNotice > 2 * MAX_PRIORITY_WINDOW) revert BadTiming();
        if (p.batchInterval == 0) revert BadTiming();
        // A prover taking over when the fallback opens has `priorityWindow - fallbackDelay`
        // seconds before the oldest open operation can expire; at one batch per
        // `batchInterval`, each holding at least `chunks / depositChunks` operations, it must
        // be able to process a full queue in that time.
        uint256 batchesInTime = (p.priorityWindow - p.fallbackDelay) / p.batchInterval;
        if (
            p.maxPriorityOps < 2 || p.maxPriorityOps > batchesInTime * (p.chunks / depositChunks)
                || p.maxForcedExitsPerIndex == 0
        ) revert BadQueueLimits();
        verifier = p.verifier;
        vkHash = actual;
        poseidon4 = p.poseidon4;
        poseidon6 = p.poseidon6;
        depth = p.depth;
        chunks = p.chunks;
        feeSlots = p.feeSlots;
        priorityWindow = p.priorityWindow;
        fallbackDelay = p.fallbackDelay;
        upgradeNotice = p.upgradeNotice;
        batchInterval = p.batchInterval;
        maxPriorityOps = p.maxPriorityOps;
        maxForcedExitsPerIndex = p.maxForcedExitsPerIndex;
        forcedExitFee = p.forcedExitFee;
        uint256 group = 31 / chunkBytes + 1;
        uint256 mask = 0;
        for (uint256 j = 0; j < group; j++) {
            mask |= uint256(5) << (8 * (31 - j * chunkBytes));
        }
        skipMask = mask;
        skipStride = group * chunkBytes;
        initialized = true;
    }

    /// @notice Sets the state of a new deployment, once (`RollupProxy`'s constructor calls it
    /// in the deploying transaction). `operator` may be 0 (none yet), `guardian` too (no one
    /// can pause until governance names one).
    function initialize(
        bytes32 genesisRoot,
        address governance_,
        address operator,
        address guardian_,
        address feeRecipient_
    ) external {
        if (initialized) revert AlreadyInitialized();
        if (uint256(genesisRoot) >= R) revert BadShape();
        if (governance_ == address(0) || feeRecipient_ == address(0)) revert ZeroAddress();
        initialized = true;
        stateRoot = genesisRoot;
        lastOperatorBatchAt = uint48(block.timestamp);
        tokens.push(address(0));
        emit TokenRegistered(0, address(0));
        governance = governance_;
        emit GovernanceTransferred(address(0), governance_);
        if (operator != address(0)) {
            isOperator[operator] = true;
            emit OperatorSet(operator, true);
        }
        guardian = guardian_;
        emit GuardianSet(guardian_);
        feeRecipient = feeRecipient_;
        emit FeeRecipientSet(feeRecipient_);
    }

    // ------------------------------------------------------------ governance

    /// @notice Lets `operator` submit batches at any time (`active`), or no longer.
    function setOperator(address operator, bool active_) external onlyGovernance {
        isOperator[operator] = active_;
        emit OperatorSet(operator, active_);
    }

    /// @notice Hands governance to `next`.
    function transferGovernance(address next) external onlyGovernance {
        if (next == address(0)) revert ZeroAddress();
        emit GovernanceTransferred(governance, next);
        governance = next;
    }

    /// @notice Names the guardian (0: none).
    function setGuardian(address guardian_) external onlyGovernance {
        guardian = guardian_;
        emit GuardianSet(guardian_);
    }

    /// @notice Names who receives forced-exit fees from now on.
    function setFeeRecipient(address recipient) external onlyGovernance {
        if (recipient == address(0)) revert ZeroAddress();
        feeRecipient = recipient;
        emit FeeRecipientSet(recipient);
    }

    /// @notice Announces that `implementation` replaces this code after `upgradeNotice`
    /// seconds (replacing any upgrade already scheduled, whose notice then starts over).
    function scheduleUpgrade(address implementation_) external onlyGovernance active {
        if (implementation_.code.length == 0) revert NotAContract(implementation_);
        uint64 readyAt = uint64(block.timestamp) + upgradeNotice;
        pendingImplementation = implementation_;
        upgradeReadyAt = readyAt;
        emit UpgradeScheduled(implementation_, readyAt);
    }

    /// @notice Withdraws the scheduled upgrade.
    function cancelUpgrade() external onlyGovernance {
        address pending = pendingImplementation;
        if (pending == address(0)) revert NoUpgradeScheduled();
        delete pendingImplementation;
        delete upgradeReadyAt;
        emit UpgradeCancelled(pending);
    }

    /// @notice Installs the scheduled implementation once its notice has passed; never in
    /// exodus, so users who rejected it and forced exodus meanwhile exit under this code. The
    /// state stays where it is (the proxy's storage); the new code must keep its layout.
    function executeUpgrade() external onlyGovernance active {
        address next = pendingImplementation;
        if (next == address(0)) revert NoUpgradeScheduled();
        uint64 readyAt = upgradeReadyAt;
        if (block.timestamp < readyAt) revert UpgradeNotReady(readyAt);
        delete pendingImplementation;
        delete upgradeReadyAt;
        assembly ("memory-safe") {
            sstore(IMPLEMENTATION_SLOT, next)
        }
        emit Upgraded(next);
    }

    /// @notice The code the proxy runs.
    function implementation() external view returns (address impl) {
        assembly ("memory-safe") {
            impl := sload(IMPLEMENTATION_SLOT)
        }
    }

    /// @notice Stops batch submission (the guardian only). Nothing else stops: deposits,
    /// forced-exit requests, withdrawals and exodus go on, so a pause longer than the priority
    /// window leads to exodus.
    function pause() external onlyGuardian {
        paused = true;
        emit PauseSet(true);
    }

    /// @notice Resumes batch submission.
    function unpause() external onlyGuardian {
        paused = false;
        emit PauseSet(false);
    }

    // ---------------------------------------------------------------- tokens

    /// @notice Registers an ERC-20 token; returns its id. Anyone may register a token once.
    function registerToken(address token) external active returns (uint32 id) {
        if (token.code.length == 0) revert NotAContract(token);
        if (tokenIdPlusOne[token] != 0) revert TokenAlreadyRegistered(token);
        id = uint32(tokens.length);
        tokens.push(token);
        tokenIdPlusOne[token] = id + 1;
        emit TokenRegistered(id, token);
    }

    /// @notice The id of a registered ERC-20 token.
    function tokenId(address token) public view returns (uint32) {
        uint32 idPlusOne = tokenIdPlusOne[token];
        if (idPlusOne == 0) revert UnknownToken(token);
        return idPlusOne - 1;
    }

    function tokenCount() external view returns (uint256) {
        return tokens.length;
    }

    // ------------------------------------------------------- priority queue

    /// @notice Deposits ether to the L2 account of key (keyX, keyY) held by `l1Address`.
    function depositEth(uint256 keyX, uint256 keyY, address l1Address) external payable active nonReentrant {
        _queueDeposit(0, msg.value, keyX, keyY, l1Address);
    }

    /// @notice Deposits `amount` of a registered ERC-20 (after `approve`); what arrives is what
    /// is credited, so fee-on-transfer tokens credit less than `amount`.
    function depositErc20(address token, uint256 amount, uint256 keyX, uint256 keyY, address l1Address)
        external
        active
        nonReentrant
    {
        uint32 id = tokenId(token);
        uint256 before = TokenTransfer.balanceOf(token, address(this));
        TokenTransfer.transferFrom(token, msg.sender, address(this), amount);
        uint256 received = TokenTransfer.balanceOf(token, address(this)) - before;
        _queueDeposit(id, received, keyX, keyY, l1Address);
    }

    /// @notice Asks the rollup to pay the whole balance of account `index` in `token` to the
    /// caller, which must be that account's L1 address (else the op pays nothing). Pays
    /// `forcedExitFee` or more (all of `msg.value` goes to the fee recipient): a request costs
    /// the operator chunks it must prove within the window, so flooding the queue is priced.
    function requestForcedExit(uint32 index, uint32 token) external payable active {
        if (index == 0 || (depth < 32 && uint256(index) >= (uint256(1) << depth))) {
            revert InvalidAccountIndex(index);
        }
        if (token >= tokens.length) revert UnknownTokenId(token);
        if (msg.value < forcedExitFee) revert InsufficientFee(forcedExitFee, msg.value);
        if (priorityTail - priorityHead >= maxPriorityOps) revert PriorityQueueFull();
        uint256 open = openForcedExits[index];
        if (open >= maxForcedExitsPerIndex) revert TooManyForcedExits(index);
        openForcedExits[index] = open + 1;
        if (msg.value != 0) _credit(feeRecipient, 0, msg.value);
        uint64 expiry = uint64(block.timestamp) + priorityWindow;
        uint64 serial = _push(Pubdata.forcedExitHash(index, token, msg.sender), expiry);
        emit ForcedExitQueued(serial, index, token, msg.sender, expiry);
    }

    /// Deposits may fill only half the queue: they cost their sender nothing but gas (the
    /// amount comes back on L2), so without the reserve a deposit flood could lock owners out
    /// of forced exits, their way out when the operator censors them.
    function _queueDeposit(uint32 token, uint256 amount, uint256 keyX, uint256 keyY, address l1Address) internal {
        if (priorityTail - priorityHead >= maxPriorityOps / 2) revert PriorityQueueFull();
        if (amount == 0) revert ZeroAmount();
        if (amount >= 1 << 128) revert AmountTooLarge();
        if (l1Address == address(0)) revert MissingL1Address();
        bytes32 packedKey = packKey(keyX, keyY);
        uint64 expiry = uint64(block.timestamp) + priorityWindow;
        uint64 serial = _push(Pubdata.depositHash(token, uint128(amount), packedKey, l1Address), expiry);
        emit DepositQueued(serial, token, uint128(amount), packedKey, l1Address, expiry);
    }

    function _push(bytes32 hash, uint64 expiry) internal returns (uint64 serial) {
        serial = priorityTail;
        priorityOps[serial] = Pubdata.queueEntry(hash, expiry);
        priorityTail = serial + 1;
    }

    /// @notice circomlib's `packPoint` of a Baby Jubjub point given in circomlib coordinates:
    /// y little-endian with bit 255 set when x > (r-1)/2. Reverts unless the point is on the
    /// curve `a·x² + y² = 1 + d·x²·y²` with canonical coordinates.
    function packKey(uint256 x, uint256 y) public pure returns (bytes32) {
        if (x >= R || y >= R) revert KeyNotOnCurve();
        uint256 xx = mulmod(x, x, R);
        uint256 yy = mulmod(y, y, R);
        uint256 lhs = addmod(mulmod(BJJ_A, xx, R), yy, R);
        uint256 rhs = addmod(1, mulmod(BJJ_D, mulmod(xx, yy, R), R), R);
        if (lhs != rhs) revert KeyNotOnCurve();
        uint256 packed = Pubdata.reverseBytes(y);
        if (x > (R - 1) / 2) packed |= 0x80;
        return bytes32(packed);
    }

    // -------------------------------------------------------------- batches

    /// @notice Verifies batch `number` (the next one) moving the root to `newRoot`. Only an
    /// operator may submit, or anyone once no operator has had a batch verified for
    /// `fallbackDelay` seconds (until an operator does again); never while paused.
    /// @dev The sender must be the transaction's origin and hold no code (an EIP-7702
    /// delegated account has some), so the batch is the transaction's own input, where
    /// `zksettle verify chain` reads it back; and the batch must hold at least one op (the
    /// circuit puts ops first, so a Noop first chunk means an empty batch), so every batch
    /// makes progress and none can be proven ahead by someone holding the proving key.
    /// @param pubdata exactly `chunks·C + feeSlots·w` bytes (protocol §9).
    /// @param proof in the deployment's verifier's encoding: Groth16's A, B (EIP-197 order), C
    /// as eight words, or a halo2 proof in zksettle's EVM transcript.
    function submitBatch(uint64 number, bytes32 newRoot, bytes calldata pubdata, bytes calldata proof)
        external
        active
        nonReentrant
    {
        _authorizeSubmitter();
        if (number != batchNumber + 1) revert WrongBatchNumber(batchNumber + 1, number);
        if (uint256(newRoot) >= R) revert NotInState();
        uint256 w = (uint256(depth) + 7) / 8;
        uint256 chunkBytes = 2 * w + 6;
        uint256 expectedLength = chunks * chunkBytes + feeSlots * w;
        if (pubdata.length != expectedLength) revert WrongPubdataLength(expectedLength, pubdata.length);
        if (uint8(pubdata[0]) == Pubdata.OP_NOOP) revert EmptyBatch();
        bytes32 oldRoot = stateRoot;
        uint256 commitment = _commitment(number, oldRoot, newRoot, pubdata);
        if (!verifier.verifyBatch(proof, commitment)) revert InvalidProof();
        stateRoot = newRoot;
        batchNumber = number;
        uint64 head = _settle(pubdata, w, chunkBytes);
        emit BatchVerified(number, oldRoot, newRoot, commitment, head);
    }

    /// The batch's public input (protocol §9): SHA-256 of the statement, cut to the field.
    function _commitment(uint64 number, bytes32 oldRoot, bytes32 newRoot, bytes calldata pubdata)
        internal
        view
        returns (uint256)
    {
        return uint256(
            sha256(abi.encodePacked(uint64(block.chainid), address(this), oldRoot, newRoot, number, pubdata))
        ) & COMMITMENT_MASK;
    }

    /// Refuses a submission from a contract call, while paused, or from someone other than an
    /// operator before the fallback opens; an operator's submission (once its batch is
    /// verified: a revert undoes this) closes the fallback again. A permissionless batch does
    /// not, so a prover that took over can go on until the queue is drained.
    function _authorizeSubmitter() internal {
        if (msg.sender != tx.origin || msg.sender.code.length != 0) revert NotDirectCall();
        if (paused) revert BatchesPaused();
        if (isOperator[msg.sender]) {
            lastOperatorBatchAt = uint48(block.timestamp);
        } else if (block.timestamp < uint256(lastOperatorBatchAt) + fallbackDelay) {
            revert NotOperator(msg.sender);
        }
    }

    /// Walks the chunk area: checks each deposit and forced exit against the queue, in order,
    /// and credits withdrawals and forced-exit payouts. The proof vouches for the bytes.
    function _settle(bytes calldata pubdata, uint256 w, uint256 chunkBytes) internal returns (uint64 head) {
        uint64 start = priorityHead;
        head = start;
        uint256 end = chunks * chunkBytes;
        uint256 offset = 0;
        while (true) {
            offset = _skipPlainChunks(pubdata, offset, end);
            if (offset >= end) break;
            uint256 code = uint8(pubdata[offset]);
            if (code == Pubdata.OP_NOOP || code == Pubdata.OP_TRANSFER) {
                offset += chunkBytes;
            } else if (code == Pubdata.OP_TRANSFER_TO_NEW) {
                offset += Pubdata.chunksOf(Pubdata.transferToNewBytes(w), chunkBytes);
            } else if (code == Pubdata.OP_DEPOSIT) {
                (bytes32 hash,) = Pubdata.depositRecord(pubdata, offset, w);
                _consume(head, hash);
                head++;
                offset += Pubdata.chunksOf(Pubdata.depositBytes(w), chunkBytes);
            } else if (code == Pubdata.OP_WITHDRAW) {
                (uint32 token, uint128 amount, address to) = Pubdata.withdrawRecord(pubdata, offset, w);
                _credit(to, token, amount);
                offset += Pubdata.chunksOf(Pubdata.withdrawBytes(w), chunkBytes);
            } else {
                // The circuit admits no other code, so this is a forced exit.
                (bytes32 hash, uint32 index, uint32 token, uint128 amount, address requester) =
                    Pubdata.forcedExitRecord(pubdata, offset, w);
                _consume(head, hash);
                head++;
                openForcedExits[index]--;
                if (amount != 0) _credit(requester, token, amount);
                offset += Pubdata.chunksOf(Pubdata.forcedExitBytes(w), chunkBytes);
            }
        }
        if (head != start) priorityHead = head;
    }

    /// Skips, a word at a time, the runs of chunks that need nothing on L1 (Noop, Transfer):
    /// one calldata word holds the op bytes of `skipStride / chunkBytes` consecutive chunks,
    /// and since the circuit makes every op byte one of 0..=5, the ops needing no work (0 and 2)
    /// are exactly those whose bits 0 and 2 are clear. A group is skipped only when every op
    /// byte in it passes and it ends inside the chunk area; the caller handles the rest one
    /// chunk at a time. Returns the first offset not skipped.
    function _skipPlainChunks(bytes calldata pubdata, uint256 offset, uint256 end) internal view returns (uint256) {
        uint256 mask = skipMask;
        uint256 stride = skipStride;
        assembly ("memory-safe") {
            let base := pubdata.offset
            for {} iszero(gt(add(offset, stride), end)) { offset := add(offset, stride) } {
                if and(calldataload(add(base, offset)), mask) { break }
            }
        }
        return offset;
    }

    function _consume(uint64 serial, bytes32 hash) internal {
        if (serial >= priorityTail) revert PriorityQueueExhausted();
        if (!Pubdata.entryMatches(priorityOps[serial], hash)) revert PriorityOpMismatch(serial);
        delete priorityOps[serial];
    }

    function _credit(address owner, uint32 token, uint256 amount) internal {
        pendingBalance[owner][token] += amount;
        emit PendingCredited(owner, token, amount);
    }

    /// @notice Pays the caller's pending balance of `token` (pull payment).
    function withdraw(uint32 token) external {
        withdrawFor(msg.sender, token);
    }

    /// @notice Pays `owner`'s pending balance of `token` to `owner`; anyone may trigger it (for
    /// owners that cannot call, such as contracts credited by an L2 withdrawal).
    function withdrawFor(address owner, uint32 token) public nonReentrant {
        _pay(owner, token, owner);
    }

    /// @notice Pays the caller's pending balance of `token` to `to`: for an owner whose own
    /// address cannot receive it (a token's blacklist, a contract refusing ether).
    function withdrawTo(uint32 token, address to) external nonReentrant {
        if (to == address(0)) revert ZeroAddress();
        _pay(msg.sender, token, to);
    }

    /// Clears `owner`'s pending balance of `token` before paying it to `to`.
    function _pay(address owner, uint32 token, address to) internal {
        uint256 amount = pendingBalance[owner][token];
        if (amount == 0) revert NothingToWithdraw();
        pendingBalance[owner][token] = 0;
        emit Withdrawn(owner, token, to, amount);
        TokenTransfer.send(tokens[token], to, amount);
    }

    /// @notice The expiry of the oldest unprocessed priority operation (0: none).
    function oldestPriorityExpiry() public view returns (uint64) {
        if (priorityHead == priorityTail) return 0;
        return Pubdata.entryExpiry(priorityOps[priorityHead]);
    }

    // --------------------------------------------------------------- exodus

    /// @notice Stops the rollup if the oldest priority operation is past its expiry.
    function activateExodus() external active {
        uint64 expiry = oldestPriorityExpiry();
        if (expiry == 0 || block.timestamp <= expiry) revert NotExpired();
        exodus = true;
        emit ExodusActivated(priorityHead);
    }

    /// @notice In exodus, pays account `leaf` its balance to its L1 address, once, given the
    /// three siblings of each of the `depth/2` levels of its path to the last verified root.
    function exit(Leaf calldata leaf, uint256[3][] calldata siblings) external nonReentrant {
        if (!exodus) revert NotInExodus();
        if (exited[leaf.index]) revert AlreadyExited(leaf.index);
        if (leaf.l1Address == address(0)) revert MissingL1Address();
        if (siblings.length != depth / 2) revert WrongProofLength(depth / 2, siblings.length);
        if (leaf.index == 0 || (depth < 32 && uint256(leaf.index) >= (uint256(1) << depth))) {
            revert InvalidAccountIndex(leaf.index);
        }
        uint256 node = poseidon6.hash(
            [
                uint256(leaf.token),
                uint256(leaf.nonce),
                uint256(leaf.balance),
                leaf.keyX,
                leaf.keyY,
                uint256(uint160(leaf.l1Address))
            ]
        );
        uint256 position = leaf.index;
        for (uint256 level = 0; level < siblings.length; level++) {
            uint256 digit = position & 3;
            uint256[4] memory children;
            uint256 s = 0;
            for (uint256 k = 0; k < 4; k++) {
                if (k == digit) {
                    children[k] = node;
                } else {
                    children[k] = siblings[level][s];
                    s++;
                }
            }
            node = poseidon4.hash(children);
            position >>= 2;
        }
        if (bytes32(node) != stateRoot) revert NotInState();
        exited[leaf.index] = true;
        emit Exited(leaf.index, leaf.token, leaf.l1Address, leaf.balance);
        if (leaf.balance != 0) _credit(leaf.l1Address, leaf.token, leaf.balance);
    }

    /// @notice In exodus, refunds an unprocessed deposit to its L1 address.
    function refundDeposit(uint64 serial, uint32 token, uint128 amount, bytes32 packedKey, address l1Address)
        external
        nonReentrant
    {
        if (!exodus) revert NotInExodus();
        if (serial < priorityHead || serial >= priorityTail) revert NotRefundable(serial);
        bytes32 hash = Pubdata.depositHash(token, amount, packedKey, l1Address);
        if (!Pubdata.entryMatches(priorityOps[serial], hash)) revert NotRefundable(serial);
        delete priorityOps[serial];
        emit DepositRefunded(serial, l1Address, token, amount);
        _credit(l1Address, token, amount);
    }
}
