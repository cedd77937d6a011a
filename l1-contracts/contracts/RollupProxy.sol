// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title The rollup's address: holds its state and funds and runs the current `Rollup` code
/// with delegatecall.
/// @notice Its address is the rollup's for good (commitments and L2 signatures bind it), while
/// the code can be replaced through `Rollup.scheduleUpgrade`/`executeUpgrade`, after a notice
/// longer than the priority window. It has no function of its own, so no selector of the
/// rollup's can clash with it.
/// @dev The implementation lives in EIP-1967's slot, which only the rollup's `executeUpgrade`
/// writes afterwards. The constructor installs the implementation and runs the initialization
/// call (`Rollup.initialize`) in the same transaction, so no one can initialize in between.
contract RollupProxy {
    /// `keccak256("eip1967.proxy.implementation") - 1`.
    bytes32 internal constant IMPLEMENTATION_SLOT = 0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc;

    event Upgraded(address indexed implementation);

    error NotAContract(address account);

    constructor(address implementation, bytes memory initialization) {
        if (implementation.code.length == 0) revert NotAContract(implementation);
        assembly ("memory-safe") {
            sstore(IMPLEMENTATION_SLOT, implementation)
        }
        emit Upgraded(implementation);
        (bool ok, bytes memory ret) = implementation.delegatecall(initialization);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
    }

    fallback() external payable {
        _delegate();
    }

    receive() external payable {
        _delegate();
    }

    /// Runs the call on the implementation's code over this contract's storage and returns or
    /// reverts with its output. Never returns to Solidity, so it may use all of memory.
    function _delegate() private {
        assembly {
            let impl := sload(IMPLEMENTATION_SLOT)
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), impl, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }
}
