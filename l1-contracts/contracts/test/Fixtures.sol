// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title A minimal ERC-20 for tests and the devnet: anyone may mint.
contract TestToken {
    string public name;
    string public symbol;
    uint8 public constant decimals = 18;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(string memory name_, string memory symbol_) {
        name = name_;
        symbol = symbol_;
    }

    function mint(address to, uint256 value) external {
        totalSupply += value;
        balanceOf[to] += value;
        emit Transfer(address(0), to, value);
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transfer(address to, uint256 value) external returns (bool) {
        _move(msg.sender, to, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - value;
        _move(from, to, value);
        return true;
    }

    function _move(address from, address to, uint256 value) internal virtual {
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}

/// @title A token that keeps 1% of every transfer (burnt): the recipient gets less than sent.
contract FeeOnTransferToken is TestToken {
    constructor() TestToken("Fee on transfer", "FOT") {}

    function _move(address from, address to, uint256 value) internal override {
        uint256 fee = value / 100;
        balanceOf[from] -= value;
        balanceOf[to] += value - fee;
        totalSupply -= fee;
        emit Transfer(from, to, value - fee);
    }
}

/// @title A token whose transfers to or from a blacklisted address revert (as USDC's and USDT's
/// do). Anyone may blacklist, for tests.
contract BlacklistToken is TestToken {
    mapping(address => bool) public blacklisted;

    error Blacklisted(address account);

    constructor() TestToken("Blacklist", "BLK") {}

    function setBlacklisted(address account, bool value) external {
        blacklisted[account] = value;
    }

    function _move(address from, address to, uint256 value) internal override {
        if (blacklisted[from]) revert Blacklisted(from);
        if (blacklisted[to]) revert Blacklisted(to);
        super._move(from, to, value);
    }
}

/// @title An ERC-20 whose transfer functions return nothing (as USDT's do).
contract NoReturnToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    function mint(address to, uint256 value) external {
        balanceOf[to] += value;
    }

    function approve(address spender, uint256 value) external {
        allowance[msg.sender][spender] = value;
    }

    function transfer(address to, uint256 value) external {
        balanceOf[msg.sender] -= value;
        balanceOf[to] += value;
    }

    function transferFrom(address from, address to, uint256 value) external {
        allowance[from][msg.sender] -= value;
        balanceOf[from] -= value;
        balanceOf[to] += value;
    }
}

interface IWithdraw {
    function withdraw(uint32 token) external;
}

/// @title Receives a withdrawal and tries to withdraw again from inside the payment.
contract Reenterer {
    bool public reentered;
    uint256 public received;

    function withdrawFrom(IWithdraw rollup) external {
        rollup.withdraw(0);
    }

    receive() external payable {
        received += msg.value;
        try IWithdraw(msg.sender).withdraw(0) {
            reentered = true;
        } catch {}
    }
}

interface ISubmitBatch {
    function submitBatch(uint64 number, bytes32 newRoot, bytes calldata pubdata, bytes calldata proof)
        external;
}

/// @title Submits a batch from inside a contract call: its pubdata is then in the call's trace,
/// not in any transaction's input, so the rollup must refuse it.
contract BatchForwarder {
    function forward(
        ISubmitBatch rollup,
        uint64 number,
        bytes32 newRoot,
        bytes calldata pubdata,
        bytes calldata proof
    ) external {
        rollup.submitBatch(number, newRoot, pubdata, proof);
    }
}

interface IVerifyProof {
    function verifyProof(uint256[8] calldata proof, uint256 input) external view returns (bool);
}

/// @title Measures the gas of one verifier call as a caller pays it (the call included).
contract GasProbe {
    function measureVerify(IVerifyProof verifier, uint256[8] calldata proof, uint256 input)
        external
        view
        returns (bool ok, uint256 gasUsed)
    {
        uint256 before = gasleft();
        ok = verifier.verifyProof(proof, input);
        gasUsed = before - gasleft();
    }
}

interface IVerifyBatch {
    function verifyBatch(bytes calldata proof, uint256 commitment) external view returns (bool);
}

/// @title Measures the gas of the rollup's verifier call, of either proof system, as the rollup
/// pays it (the call included).
contract BatchGasProbe {
    function measureVerifyBatch(IVerifyBatch verifier, bytes calldata proof, uint256 commitment)
        external
        view
        returns (bool ok, uint256 gasUsed)
    {
        uint256 before = gasleft();
        ok = verifier.verifyBatch(proof, commitment);
        gasUsed = before - gasleft();
    }
}
