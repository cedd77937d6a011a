// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title Ether and ERC-20 transfers that work with tokens returning no bool.
library TokenTransfer {
    error TransferFailed(address token);

    /// Sends `amount` of `token` (address 0: ether) to `to`.
    function send(address token, address to, uint256 amount) internal {
        if (token == address(0)) {
            (bool ok,) = to.call{value: amount}("");
            if (!ok) revert TransferFailed(token);
        } else {
            _call(token, abi.encodeWithSelector(0xa9059cbb, to, amount));
        }
    }

    function transferFrom(address token, address from, address to, uint256 amount) internal {
        _call(token, abi.encodeWithSelector(0x23b872dd, from, to, amount));
    }

    function balanceOf(address token, address owner) internal view returns (uint256) {
        (bool ok, bytes memory data) = token.staticcall(abi.encodeWithSelector(0x70a08231, owner));
        if (!ok || data.length < 32) revert TransferFailed(token);
        return abi.decode(data, (uint256));
    }

    /// A call that succeeded and returned nothing or `true`.
    function _call(address token, bytes memory data) private {
        if (token.code.length == 0) revert TransferFailed(token);
        (bool ok, bytes memory ret) = token.call(data);
        if (!ok || (ret.length != 0 && (ret.length < 32 || !abi.decode(ret, (bool))))) {
            revert TransferFailed(token);
        }
    }
}
