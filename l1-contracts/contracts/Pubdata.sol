// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title Pubdata records and priority-queue entries (protocol §9).
/// @dev Records are big-endian; `w` is the index width in bytes, a chunk `2w + 6` bytes.
library Pubdata {
    uint256 internal constant OP_NOOP = 0;
    uint256 internal constant OP_DEPOSIT = 1;
    uint256 internal constant OP_TRANSFER = 2;
    uint256 internal constant OP_TRANSFER_TO_NEW = 3;
    uint256 internal constant OP_WITHDRAW = 4;
    uint256 internal constant OP_FORCED_EXIT = 5;

    function depositBytes(uint256 w) internal pure returns (uint256) {
        return 1 + w + 4 + 16 + 32 + 20;
    }

    function transferToNewBytes(uint256 w) internal pure returns (uint256) {
        return 1 + 2 * w + 3 + 2 + 32 + 20;
    }

    function withdrawBytes(uint256 w) internal pure returns (uint256) {
        return 1 + w + 4 + 16 + 2 + 20;
    }

    function forcedExitBytes(uint256 w) internal pure returns (uint256) {
        return 1 + w + 4 + 16 + 20;
    }

    /// Bytes of the whole chunks a record of `recordBytes` occupies.
    function chunksOf(uint256 recordBytes, uint256 chunkBytes) internal pure returns (uint256) {
        return ((recordBytes + chunkBytes - 1) / chunkBytes) * chunkBytes;
    }

    /// The queue hash of a deposit: its record without the sequencer-chosen account index.
    function depositHash(uint32 token, uint128 amount, bytes32 packedKey, address l1Address)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(uint8(OP_DEPOSIT), token, amount, packedKey, l1Address));
    }

    /// The queue hash of a forced-exit request.
    function forcedExitHash(uint32 index, uint32 token, address requester) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(uint8(OP_FORCED_EXIT), index, token, requester));
    }

    /// A queue entry: the hash's top 192 bits and the expiry.
    function queueEntry(bytes32 hash, uint64 expiry) internal pure returns (uint256) {
        return (uint256(hash) & ~uint256(type(uint64).max)) | expiry;
    }

    function entryMatches(uint256 entry, bytes32 hash) internal pure returns (bool) {
        return entry != 0 && (entry & ~uint256(type(uint64).max)) == (uint256(hash) & ~uint256(type(uint64).max));
    }

    function entryExpiry(uint256 entry) internal pure returns (uint64) {
        return uint64(entry);
    }

    /// `n ≤ 32` big-endian bytes at `offset`.
    function readUint(bytes calldata data, uint256 offset, uint256 n) internal pure returns (uint256 value) {
        assembly ("memory-safe") {
            value := shr(sub(256, mul(n, 8)), calldataload(add(data.offset, offset)))
        }
    }

    /// A deposit record at `offset`: its queue hash and its account index.
    function depositRecord(bytes calldata data, uint256 offset, uint256 w)
        internal
        pure
        returns (bytes32 hash, uint256 index)
    {
        index = readUint(data, offset + 1, w);
        uint256 p = offset + 1 + w;
        hash = depositHash(
            uint32(readUint(data, p, 4)),
            uint128(readUint(data, p + 4, 16)),
            bytes32(readUint(data, p + 20, 32)),
            address(uint160(readUint(data, p + 52, 20)))
        );
    }

    /// A withdrawal record at `offset`: token, amount and L1 recipient.
    function withdrawRecord(bytes calldata data, uint256 offset, uint256 w)
        internal
        pure
        returns (uint32 token, uint128 amount, address to)
    {
        uint256 p = offset + 1 + w;
        token = uint32(readUint(data, p, 4));
        amount = uint128(readUint(data, p + 4, 16));
        to = address(uint160(readUint(data, p + 22, 20)));
    }

    /// A forced-exit record at `offset`: its queue hash, account index, token, amount paid and
    /// requester.
    function forcedExitRecord(bytes calldata data, uint256 offset, uint256 w)
        internal
        pure
        returns (bytes32 hash, uint32 index, uint32 token, uint128 amount, address requester)
    {
        index = uint32(readUint(data, offset + 1, w));
        uint256 p = offset + 1 + w;
        token = uint32(readUint(data, p, 4));
        amount = uint128(readUint(data, p + 4, 16));
        requester = address(uint160(readUint(data, p + 20, 20)));
        hash = forcedExitHash(index, token, requester);
    }

    /// The 32 bytes of `v` in reverse order.
    function reverseBytes(uint256 v) internal pure returns (uint256) {
        v = ((v & 0xFF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00) >> 8)
            | ((v & 0x00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF00FF) << 8);
        v = ((v & 0xFFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000) >> 16)
            | ((v & 0x0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF0000FFFF) << 16);
        v = ((v & 0xFFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000) >> 32)
            | ((v & 0x00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF00000000FFFFFFFF) << 32);
        v = ((v & 0xFFFFFFFFFFFFFFFF0000000000000000FFFFFFFFFFFFFFFF0000000000000000) >> 64)
            | ((v & 0x0000000000000000FFFFFFFFFFFFFFFF0000000000000000FFFFFFFFFFFFFFFF) << 64);
        return (v >> 128) | (v << 128);
    }
}
