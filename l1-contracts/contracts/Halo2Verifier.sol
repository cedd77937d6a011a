// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title halo2 (KZG on BN254, GWC openings) verifier whose circuit is data.
/// @notice One bytecode for every circuit: the verifying key, gates and lookups included, lives in
/// key contracts (their code, after a leading STOP) that this contract reads with EXTCODECOPY.
/// The key's format and the algorithm are `zksettle-halo2-evm`'s (`encoding.rs`,
/// `reference.rs`); the proof is halo2's with zksettle's EVM transcript: points (x, y) and
/// scalars big-endian, each challenge keccak256 of everything absorbed since the previous one,
/// mod r.
/// @dev The key is trusted: the constructor pins keccak256 of the concatenated parts, so the
/// interpreter does not bound-check the key's own programs and indices. Everything from the
/// caller (the proof, the public inputs) is checked: points on the curve, scalars below r, the
/// exact proof length.
contract Halo2Verifier {
    /// BN254 base field modulus.
    uint256 internal constant Q =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// BN254 scalar field modulus.
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    address internal immutable part0;
    address internal immutable part1;
    address internal immutable part2;
    address internal immutable part3;
    /// keccak256 of the key, as its parts concatenate.
    bytes32 public immutable keyHash;

    /// Not one to four key contracts, or one that does not start with STOP.
    error KeyParts();
    /// The key contracts hold another key.
    error KeyHashMismatch(bytes32 actual);

    /// @param parts The key contracts in order.
    /// @param expectedHash keccak256 of the key they must hold.
    constructor(address[] memory parts, bytes32 expectedHash) {
        if (parts.length == 0 || parts.length > 4) revert KeyParts();
        bytes memory key;
        for (uint256 i = 0; i < parts.length; i++) {
            bytes memory code = parts[i].code;
            if (code.length < 2 || code[0] != 0x00) revert KeyParts();
            bytes memory body = new bytes(code.length - 1);
            for (uint256 j = 1; j < code.length; j++) {
                body[j - 1] = code[j];
            }
            key = bytes.concat(key, body);
        }
        bytes32 actual = keccak256(key);
        if (actual != expectedHash) revert KeyHashMismatch(actual);
        part0 = parts[0];
        part1 = parts.length > 1 ? parts[1] : address(0);
        part2 = parts.length > 2 ? parts[2] : address(0);
        part3 = parts.length > 3 ? parts[3] : address(0);
        keyHash = actual;
    }

    /// @notice Whether `proof` proves the circuit of the key for `instances`.
    /// @return false for a proof of the wrong length, a point off the curve, a scalar or public
    /// input not below r, or a proof that does not verify.
    function verifyProof(bytes calldata proof, uint256[] calldata instances)
        external
        view
        returns (bool)
    {
        uint256 offset;
        assembly ("memory-safe") {
            offset := instances.offset
        }
        return _verify(proof, offset, instances.length);
    }

    /// @notice The rollup's entry (`IBatchVerifier`, shared with the Groth16 `Verifier`): a key
    /// of one public input, the batch commitment.
    /// @return false wherever `verifyProof(proof, [commitment])` is false.
    function verifyBatch(bytes calldata proof, uint256 /* commitment */ ) external view returns (bool) {
        // The commitment is read where the ABI puts a second, static argument: the word after
        // the selector and `proof`'s offset.
        return _verify(proof, 0x24, 1);
    }

    /// The key's hash as `IBatchVerifier` names it: the rollup pins it at deployment.
    function vkHash() external view returns (bytes32) {
        return keyHash;
    }

    /// Verifies `proof` for the `instanceCount` public inputs at calldata `instancesOffset`;
    /// returns from the call itself (true or false) without coming back.
    function _verify(bytes calldata proof, uint256 instancesOffset, uint256 instanceCount)
        internal
        view
        returns (bool)
    {
        address p0 = part0;
        address p1 = part1;
        address p2 = part2;
        address p3 = part3;
        // Memory: registers from 0x80, EC scratch at 0x540, the key from 0x700, then buffers.
        // Not memory-safe: the function returns from assembly and never hands memory back.
        assembly {
            function fail() {
                mstore(0, 0)
                return(0, 0x20)
            }
            /// Header word i of the key.
            function hw(i) -> v {
                v := mload(add(0x700, shl(5, i)))
            }
            /// Evaluation i of the proof.
            function ev(i) -> v {
                v := calldataload(add(mload(0x280), shl(5, i)))
            }
            function neg(a) -> v {
                v := mod(sub(R, a), R)
            }
            function alloc(bytes) -> p {
                p := mload(0x4e0)
                mstore(0x4e0, add(p, and(add(bytes, 31), not(31))))
            }
            function copyKey(part, dst) -> next {
                next := dst
                if part {
                    let size := sub(extcodesize(part), 1)
                    extcodecopy(part, dst, 1, size)
                    next := add(dst, size)
                }
            }

            // ---- the transcript: a buffer of everything since the last challenge ----
            function absorb(cd, len) {
                let buf := mload(0x220)
                let l := mload(0x240)
                calldatacopy(add(buf, l), cd, len)
                mstore(0x240, add(l, len))
            }
            function absorbWord(w) {
                let buf := mload(0x220)
                let l := mload(0x240)
                mstore(add(buf, l), w)
                mstore(0x240, add(l, 32))
            }
            function squeeze() -> c {
                let buf := mload(0x220)
                let h := keccak256(buf, mload(0x240))
                mstore(buf, h)
                mstore(0x240, 32)
                c := mod(h, R)
            }
            /// Checks `count` points at calldata `cd` (on the curve or (0, 0)), absorbs them and
            /// returns the offset after them.
            function points(cd, count) -> next {
                for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                    let x := calldataload(add(cd, shl(6, i)))
                    let y := calldataload(add(cd, add(shl(6, i), 32)))
                    if or(x, y) {
                        if iszero(and(lt(x, Q), lt(y, Q))) { fail() }
                        let rhs := addmod(mulmod(x, mulmod(x, x, Q), Q), 3, Q)
                        if iszero(eq(mulmod(y, y, Q), rhs)) { fail() }
                    }
                }
                absorb(cd, shl(6, count))
                next := add(cd, shl(6, count))
            }
            function scalars(cd, count) -> next {
                for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                    if iszero(lt(calldataload(add(cd, shl(5, i))), R)) { fail() }
                }
                absorb(cd, shl(5, count))
                next := add(cd, shl(5, count))
            }

            // ---- field and curve helpers ----
            function invert(a) -> v {
                mstore(0x540, 32)
                mstore(0x560, 32)
                mstore(0x580, 32)
                mstore(0x5a0, a)
                mstore(0x5c0, sub(R, 2))
                mstore(0x5e0, R)
                if iszero(staticcall(gas(), 0x05, 0x540, 0xc0, 0x540, 0x20)) { fail() }
                v := mload(0x540)
            }
            /// acc (a point in memory) += s·(px, py).
            function mulAdd(acc, px, py, s) {
                if s {
                    mstore(0x540, px)
                    mstore(0x560, py)
                    mstore(0x580, s)
                    if iszero(staticcall(gas(), 0x07, 0x540, 0x60, 0x580, 0x40)) { fail() }
                    mstore(0x540, mload(acc))
                    mstore(0x560, mload(add(acc, 32)))
                    if iszero(staticcall(gas(), 0x06, 0x540, 0x80, acc, 0x40)) { fail() }
                }
            }

            // ---- the stack program (zksettle-halo2-evm's program.rs) ----
            function run(at, end, c, acc) -> out {
                let top := mload(0x2c0)
                for {} lt(at, end) {} {
                    let word := mload(at)
                    let operand := shl(5, and(shr(232, word), 0xffff))
                    // The most frequent instructions first: the switch tests cases in order.
                    switch byte(0, word)
                    case 6 {
                        top := sub(top, 32)
                        let a := sub(top, 32)
                        mstore(a, mulmod(mload(a), mload(top), R))
                        at := add(at, 1)
                    }
                    case 1 {
                        mstore(top, calldataload(add(mload(0x280), operand)))
                        top := add(top, 32)
                        at := add(at, 3)
                    }
                    case 5 {
                        top := sub(top, 32)
                        let a := sub(top, 32)
                        mstore(a, addmod(mload(a), mload(top), R))
                        at := add(at, 1)
                    }
                    case 7 {
                        let a := sub(top, 32)
                        mstore(a, mulmod(mload(a), mload(add(mload(0x2e0), operand)), R))
                        at := add(at, 3)
                    }
                    case 10 {
                        mstore(top, mload(add(mload(0x460), operand)))
                        top := add(top, 32)
                        at := add(at, 3)
                    }
                    case 9 {
                        mstore(add(mload(0x460), operand), mload(sub(top, 32)))
                        at := add(at, 3)
                    }
                    case 3 {
                        mstore(top, mload(add(mload(0x2e0), operand)))
                        top := add(top, 32)
                        at := add(at, 3)
                    }
                    case 8 {
                        top := sub(top, 32)
                        acc := addmod(mulmod(acc, c, R), mload(top), R)
                        at := add(at, 1)
                    }
                    case 4 {
                        let a := sub(top, 32)
                        mstore(a, neg(mload(a)))
                        at := add(at, 1)
                    }
                    case 2 {
                        mstore(top, mload(0x1e0))
                        top := add(top, 32)
                        at := add(at, 1)
                    }
                    default { fail() }
                }
                if iszero(eq(top, mload(0x2c0))) { fail() }
                out := acc
            }
            function fold(acc, term) -> out {
                out := addmod(mulmod(acc, mload(0xe0), R), term, R)
            }

            // ---- Lagrange values at x: l_0, l_last, l_blind, the instance's evaluation ----
            function lagrange(instancesCd, m) {
                let x := mload(0x100)
                let b := hw(11)
                // x − 1, b + 1 blinding rows, the other m − 1 public inputs, xn − 1.
                let others := 0
                if m { others := sub(m, 1) }
                let count := add(add(b, 3), others)
                let d := alloc(shl(5, count))
                let pp := alloc(shl(5, count))
                // d: x − 1, x − ω^−i (i = 1 … b + 1), x − ω^j (j = 1 … m − 1), xn − 1.
                mstore(d, addmod(x, sub(R, 1), R))
                for { let i := 1 } lt(i, add(b, 2)) { i := add(i, 1) } {
                    let w := mload(add(mload(0x380), shl(5, sub(i, 1))))
                    mstore(add(d, shl(5, i)), addmod(x, neg(w), R))
                }
                let omegaJ := 1
                for { let j := 1 } lt(j, m) { j := add(j, 1) } {
                    omegaJ := mulmod(omegaJ, hw(1), R)
                    mstore(add(d, shl(5, add(add(b, 1), j))), addmod(x, neg(omegaJ), R))
                }
                let last := sub(count, 1)
                mstore(add(d, shl(5, last)), addmod(mload(0x160), sub(R, 1), R))
                // Batch inversion: one modexp.
                let acc := 1
                for { let i := 0 } lt(i, count) { i := add(i, 1) } {
                    acc := mulmod(acc, mload(add(d, shl(5, i))), R)
                    mstore(add(pp, shl(5, i)), acc)
                }
                if iszero(acc) { fail() }
                let inv := invert(acc)
                for { let i := last } gt(i, 0) { i := sub(i, 1) } {
                    let di := mload(add(d, shl(5, i)))
                    mstore(add(d, shl(5, i)), mulmod(inv, mload(add(pp, shl(5, sub(i, 1)))), R))
                    inv := mulmod(inv, di, R)
                }
                mstore(d, inv)
                // d now holds the inverses.
                let common := mulmod(addmod(mload(0x160), sub(R, 1), R), hw(3), R)
                let l0 := mulmod(common, mload(d), R)
                mstore(0x180, l0)
                let blind := 0
                for { let i := 1 } lt(i, add(b, 1)) { i := add(i, 1) } {
                    let w := mload(add(mload(0x380), shl(5, sub(i, 1))))
                    blind := addmod(blind, mulmod(mulmod(w, common, R), mload(add(d, shl(5, i))), R), R)
                }
                mstore(0x1c0, blind)
                let wLast := mload(add(mload(0x380), shl(5, b)))
                mstore(0x1a0, mulmod(mulmod(wLast, common, R), mload(add(d, shl(5, add(b, 1)))), R))
                let instance := 0
                if m {
                    instance := mulmod(calldataload(instancesCd), l0, R)
                }
                omegaJ := 1
                for { let j := 1 } lt(j, m) { j := add(j, 1) } {
                    omegaJ := mulmod(omegaJ, hw(1), R)
                    let lj := mulmod(mulmod(omegaJ, common, R), mload(add(d, shl(5, add(add(b, 1), j)))), R)
                    instance := addmod(instance, mulmod(calldataload(add(instancesCd, shl(5, j))), lj, R), R)
                }
                mstore(0x1e0, instance)
                // 1 / (xn − 1), kept for the quotient.
                mstore(0x200, mload(add(d, shl(5, last))))
            }

            // ---- halo2's permutation identities ----
            function columnEval(col) -> v {
                let w := mload(add(mload(0x340), shl(5, col)))
                switch eq(w, not(0))
                case 1 { v := mload(0x1e0) }
                default { v := ev(w) }
            }
            /// One set's identity; 0x4a0 holds δ^(its first column's index) and moves on.
            function permutationChunk(acc, s, sigmaStart, permStart) -> out {
                let beta := mload(0xa0)
                let gamma := mload(0xc0)
                let betaX := mulmod(beta, mload(0x100), R)
                let chunk := hw(9)
                let left := ev(add(permStart, add(mul(3, s), 1)))
                let right := ev(add(permStart, mul(3, s)))
                for { let i := 0 } lt(i, chunk) { i := add(i, 1) } {
                    let col := add(mul(s, chunk), i)
                    if iszero(lt(col, hw(15))) { break }
                    let v := columnEval(col)
                    let sigma := ev(add(sigmaStart, col))
                    left := mulmod(left, addmod(addmod(v, mulmod(beta, sigma, R), R), gamma, R), R)
                    let identity := mulmod(betaX, mload(0x4a0), R)
                    right := mulmod(right, addmod(addmod(v, identity, R), gamma, R), R)
                    mstore(0x4a0, mulmod(mload(0x4a0), hw(21), R))
                }
                out := fold(acc, mulmod(addmod(left, neg(right), R), activeRows(), R))
            }
            function permutation(acc) -> out {
                let sets := hw(8)
                let sigmaStart := add(add(hw(12), hw(13)), 1)
                let permStart := add(sigmaStart, hw(15))
                let l0 := mload(0x180)
                out := acc
                if sets {
                    out := fold(out, mulmod(l0, addmod(1, neg(ev(permStart)), R), R))
                    let zl := ev(add(permStart, mul(3, sub(sets, 1))))
                    out := fold(out, mulmod(addmod(mulmod(zl, zl, R), neg(zl), R), mload(0x1a0), R))
                    for { let s := 1 } lt(s, sets) { s := add(s, 1) } {
                        let z := ev(add(permStart, mul(3, s)))
                        let prevLast := ev(add(permStart, add(mul(3, sub(s, 1)), 2)))
                        out := fold(out, mulmod(addmod(z, neg(prevLast), R), l0, R))
                    }
                    mstore(0x4a0, 1)
                    for { let s := 0 } lt(s, sets) { s := add(s, 1) } {
                        out := permutationChunk(out, s, sigmaStart, permStart)
                    }
                }
            }

            // ---- halo2's lookup identities ----
            function activeRows() -> a {
                a := addmod(1, neg(addmod(mload(0x1a0), mload(0x1c0), R)), R)
            }
            /// The product identity: z(ωx)·(A' + β)·(S' + γ) = z(x)·(A + β)·(S + γ) on active rows.
            function lookupProduct(e, cin, ctab) -> term {
                let left := mulmod(ev(add(e, 1)), addmod(ev(add(e, 2)), mload(0xa0), R), R)
                left := mulmod(left, addmod(ev(add(e, 4)), mload(0xc0), R), R)
                let right := mulmod(ev(e), addmod(cin, mload(0xa0), R), R)
                right := mulmod(right, addmod(ctab, mload(0xc0), R), R)
                term := mulmod(addmod(left, neg(right), R), activeRows(), R)
            }
            function lookupTerms(acc, e, cin, ctab) -> out {
                let product := ev(e)
                out := fold(acc, mulmod(mload(0x180), addmod(1, neg(product), R), R))
                let square := addmod(mulmod(product, product, R), neg(product), R)
                out := fold(out, mulmod(mload(0x1a0), square, R))
                out := fold(out, lookupProduct(e, cin, ctab))
                let diff := addmod(ev(add(e, 2)), neg(ev(add(e, 4))), R)
                out := fold(out, mulmod(mload(0x180), diff, R))
                let prev := addmod(ev(add(e, 2)), neg(ev(add(e, 3))), R)
                out := fold(out, mulmod(mulmod(diff, prev, R), activeRows(), R))
            }
            function lookups(acc) -> out {
                out := acc
                let ptr := mload(0x3e0)
                let start := add(add(add(add(hw(12), hw(13)), 1), hw(15)), sub(mul(3, hw(8)), 1))
                for { let l := 0 } lt(l, hw(7)) { l := add(l, 1) } {
                    let lens := mload(ptr)
                    let inLen := shr(16, lens)
                    let tabLen := and(lens, 0xffff)
                    let prog := add(ptr, 32)
                    let cin := run(prog, add(prog, inLen), mload(0x80), 0)
                    let ctab := run(add(prog, inLen), add(add(prog, inLen), tabLen), mload(0x80), 0)
                    out := lookupTerms(out, add(start, mul(5, l)), cin, ctab)
                    ptr := add(prog, and(add(add(inLen, tabLen), 31), not(31)))
                }
            }

            // ---- the openings: one multi-scalar multiplication and a pairing ----
            function openings() {
                let numPoints := hw(16)
                let upow := alloc(shl(5, numPoints))
                let vrun := alloc(shl(5, numPoints))
                let acc := 1
                for { let s := 0 } lt(s, numPoints) { s := add(s, 1) } {
                    mstore(add(upow, shl(5, s)), acc)
                    mstore(add(vrun, shl(5, s)), 1)
                    acc := mulmod(acc, mload(0x140), R)
                }
                let v := mload(0x120)
                let coefQ := 0
                let esum := 0
                for { let o := 0 } lt(o, hw(17)) { o := add(o, 1) } {
                    let w := mload(add(mload(0x3a0), shl(5, o)))
                    let s := shr(48, w)
                    let coef := mulmod(mload(add(upow, shl(5, s))), mload(add(vrun, shl(5, s))), R)
                    mstore(add(vrun, shl(5, s)), mulmod(mload(add(vrun, shl(5, s))), v, R))
                    let index := and(shr(24, w), 0xffff)
                    switch and(shr(40, w), 0xff)
                    case 0 { addCoef(add(mload(0x400), shl(5, index)), coef) }
                    case 1 { addCoef(add(mload(0x420), shl(5, index)), coef) }
                    case 2 { addCoef(add(mload(0x440), shl(5, index)), coef) }
                    default { coefQ := addmod(coefQ, coef, R) }
                    let value := mload(0x200)
                    if iszero(and(shr(16, w), 0xff)) { value := ev(and(w, 0xffff)) }
                    esum := addmod(esum, mulmod(coef, value, R), R)
                }
                // The quotient Σ xn^i·H_i: its coefficient onto each piece.
                let pieces := hw(10)
                let first := sub(mload(0x500), pieces)
                let power := coefQ
                for { let i := 0 } lt(i, pieces) { i := add(i, 1) } {
                    addCoef(add(mload(0x400), shl(5, add(first, i))), power)
                    power := mulmod(power, mload(0x160), R)
                }
                // right = Σ coefficients · commitments + Σ u^s·z_s·W_s − esum·G1.
                let right := 0x640
                let pts := mload(0x260)
                for { let i := 0 } lt(i, mload(0x500)) { i := add(i, 1) } {
                    let c := mload(add(mload(0x400), shl(5, i)))
                    mulAdd(right, calldataload(add(pts, shl(6, i))), calldataload(add(pts, add(shl(6, i), 32))), c)
                }
                for { let i := 0 } lt(i, hw(14)) { i := add(i, 1) } {
                    let p := add(mload(0x300), shl(6, i))
                    mulAdd(right, mload(p), mload(add(p, 32)), mload(add(mload(0x420), shl(5, i))))
                }
                for { let i := 0 } lt(i, hw(15)) { i := add(i, 1) } {
                    let p := add(mload(0x320), shl(6, i))
                    mulAdd(right, mload(p), mload(add(p, 32)), mload(add(mload(0x440), shl(5, i))))
                }
                let left := 0x600
                let ws := mload(0x2a0)
                for { let s := 0 } lt(s, numPoints) { s := add(s, 1) } {
                    let wx := calldataload(add(ws, shl(6, s)))
                    let wy := calldataload(add(ws, add(shl(6, s), 32)))
                    let us := mload(add(upow, shl(5, s)))
                    let z := mulmod(mload(0x100), mload(add(mload(0x360), shl(5, s))), R)
                    mulAdd(left, wx, wy, us)
                    mulAdd(right, wx, wy, mulmod(us, z, R))
                }
                mulAdd(right, hw(22), hw(23), neg(esum))
                // e(left, τ·G2) · e(−right, G2) = 1.
                let io := alloc(384)
                mstore(io, mload(left))
                mstore(add(io, 32), mload(add(left, 32)))
                mstore(add(io, 64), hw(28))
                mstore(add(io, 96), hw(29))
                mstore(add(io, 128), hw(30))
                mstore(add(io, 160), hw(31))
                mstore(add(io, 192), mload(right))
                let ry := mload(add(right, 32))
                if ry { ry := sub(Q, ry) }
                mstore(add(io, 224), ry)
                mstore(add(io, 256), hw(24))
                mstore(add(io, 288), hw(25))
                mstore(add(io, 320), hw(26))
                mstore(add(io, 352), hw(27))
                if iszero(staticcall(gas(), 0x08, io, 384, io, 32)) { fail() }
                if iszero(eq(mload(io), 1)) { fail() }
            }
            function addCoef(slot, c) {
                mstore(slot, addmod(mload(slot), c, R))
            }

            // ---- layout ----
            function sections() {
                let p := add(0x700, 0x420)
                mstore(0x300, p)
                p := add(p, shl(6, hw(14)))
                mstore(0x320, p)
                p := add(p, shl(6, hw(15)))
                mstore(0x340, p)
                p := add(p, shl(5, hw(15)))
                mstore(0x360, p)
                p := add(p, shl(5, hw(16)))
                mstore(0x380, p)
                p := add(p, shl(5, add(hw(11), 1)))
                mstore(0x3a0, p)
                p := add(p, shl(5, hw(17)))
                mstore(0x2e0, p)
                p := add(p, shl(5, hw(18)))
                mstore(0x3c0, p)
                p := add(p, and(add(hw(19), 31), not(31)))
                mstore(0x3e0, p)
            }

            // ---- main ----
            {
                let end := copyKey(p3, copyKey(p2, copyKey(p1, copyKey(p0, 0x700))))
                mstore(0x4e0, and(add(end, 31), not(31)))
                sections()
                let m := hw(5)
                if iszero(eq(instanceCount, m)) { fail() }
                // Proof points before the witnesses, and evaluations.
                let numPts := add(add(add(add(hw(6), mul(3, hw(7))), hw(8)), 1), hw(10))
                mstore(0x500, numPts)
                let numEvals := add(add(add(add(hw(12), hw(13)), 1), hw(15)), add(sub(mul(3, hw(8)), 1), mul(5, hw(7))))
                if iszero(eq(proof.length, add(shl(6, add(numPts, hw(16))), shl(5, numEvals)))) { fail() }

                mstore(0x220, alloc(add(add(proof.length, shl(5, m)), 64)))
                mstore(0x240, 0)
                mstore(0x2c0, alloc(shl(5, 64)))
                mstore(0x400, alloc(shl(5, numPts)))
                mstore(0x420, alloc(shl(5, hw(14))))
                mstore(0x440, alloc(shl(5, hw(15))))
                mstore(0x460, alloc(shl(5, hw(32))))

                absorbWord(hw(4))
                for { let j := 0 } lt(j, m) { j := add(j, 1) } {
                    let value := calldataload(add(instancesOffset, shl(5, j)))
                    if iszero(lt(value, R)) { fail() }
                    absorbWord(value)
                }
                let cd := proof.offset
                mstore(0x260, cd)
                cd := points(cd, hw(6))
                mstore(0x80, squeeze())
                cd := points(cd, shl(1, hw(7)))
                mstore(0xa0, squeeze())
                mstore(0xc0, squeeze())
                cd := points(cd, add(add(hw(8), hw(7)), 1))
                mstore(0xe0, squeeze())
                cd := points(cd, hw(10))
                mstore(0x100, squeeze())
                mstore(0x280, cd)
                cd := scalars(cd, numEvals)
                mstore(0x120, squeeze())
                mstore(0x2a0, cd)
                cd := points(cd, hw(16))
                mstore(0x140, squeeze())

                let xn := mload(0x100)
                for { let i := 0 } lt(i, hw(0)) { i := add(i, 1) } {
                    xn := mulmod(xn, xn, R)
                }
                mstore(0x160, xn)
                lagrange(instancesOffset, m)

                let h := run(mload(0x3c0), add(mload(0x3c0), hw(19)), mload(0xe0), 0)
                h := permutation(h)
                h := lookups(h)
                mstore(0x200, mulmod(h, mload(0x200), R))
                openings()
                mstore(0, 1)
                return(0, 0x20)
            }
        }
    }
}
