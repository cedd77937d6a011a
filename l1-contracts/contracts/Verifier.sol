// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.30;

/// @title Groth16 verifier over BN254 for proofs with one public input.
/// @notice Checks e(-A, B) · e(α, β) · e(vk_x, γ) · e(C, δ) = 1 with vk_x = IC₀ + x·IC₁, using
/// the EIP-196 (ecAdd, ecMul) and EIP-197 (ecPairing) precompiles.
/// @dev The verifying key is fixed at deployment, as immutables, so one compiled bytecode serves
/// every key: zksettle's Rust code fills the constructor from a key (`zksettle l1 deploy`). Words
/// are big-endian; G2 points are (x.imaginary, x.real, y.imaginary, y.real), the EIP-197 order.
/// `vkHash` is SHA-256 of the 18 key words in that order, the hash zksettle pins everywhere.
contract Verifier {
    /// BN254 base field modulus.
    uint256 internal constant Q =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;
    /// BN254 scalar field modulus: a public input must be below it.
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    uint256 internal immutable alphaX;
    uint256 internal immutable alphaY;
    uint256 internal immutable betaX1;
    uint256 internal immutable betaX0;
    uint256 internal immutable betaY1;
    uint256 internal immutable betaY0;
    uint256 internal immutable gammaX1;
    uint256 internal immutable gammaX0;
    uint256 internal immutable gammaY1;
    uint256 internal immutable gammaY0;
    uint256 internal immutable deltaX1;
    uint256 internal immutable deltaX0;
    uint256 internal immutable deltaY1;
    uint256 internal immutable deltaY0;
    uint256 internal immutable ic0X;
    uint256 internal immutable ic0Y;
    uint256 internal immutable ic1X;
    uint256 internal immutable ic1Y;

    /// SHA-256 of the verifying key's 18 words.
    bytes32 public immutable vkHash;

    /// A key word is not a canonical base-field element.
    error KeyWordOutOfRange(uint256 index);

    /// @param vk α (2 words), β (4), γ (4), δ (4), IC₀ (2), IC₁ (2).
    constructor(uint256[18] memory vk) {
        for (uint256 i = 0; i < 18; i++) {
            if (vk[i] >= Q) revert KeyWordOutOfRange(i);
        }
        alphaX = vk[0];
        alphaY = vk[1];
        betaX1 = vk[2];
        betaX0 = vk[3];
        betaY1 = vk[4];
        betaY0 = vk[5];
        gammaX1 = vk[6];
        gammaX0 = vk[7];
        gammaY1 = vk[8];
        gammaY0 = vk[9];
        deltaX1 = vk[10];
        deltaX0 = vk[11];
        deltaY1 = vk[12];
        deltaY0 = vk[13];
        ic0X = vk[14];
        ic0Y = vk[15];
        ic1X = vk[16];
        ic1Y = vk[17];
        vkHash = sha256(abi.encodePacked(vk));
    }

    /// @notice Whether `proof` = A (2 words), B (4, EIP-197 order), C (2) proves `input`.
    /// @return false for an input ≥ r, a coordinate ≥ q, a point off its curve or outside G2's
    /// subgroup (the precompiles refuse those), or a proof that does not verify.
    function verifyProof(uint256[8] calldata proof, uint256 input) external view returns (bool) {
        return _verify(proof, input);
    }

    /// @notice The rollup's entry (`IBatchVerifier`, shared with `Halo2Verifier`): `proof` is
    /// the eight words of `verifyProof`, 256 bytes, and `commitment` the one public input.
    /// @return false for a proof of another length, and wherever `verifyProof` is false.
    function verifyBatch(bytes calldata proof, uint256 commitment) external view returns (bool) {
        if (proof.length != 256) return false;
        return _verify(abi.decode(proof, (uint256[8])), commitment);
    }

    function _verify(uint256[8] memory proof, uint256 input) internal view returns (bool) {
        if (input >= R) return false;
        uint256[24] memory p;
        // vk_x = IC₀ + input·IC₁.
        uint256[3] memory scaled = [ic1X, ic1Y, input];
        uint256[4] memory sum;
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x07, scaled, 0x60, sum, 0x40)
        }
        if (!ok) return false;
        sum[2] = ic0X;
        sum[3] = ic0Y;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x06, sum, 0x80, sum, 0x40)
        }
        if (!ok) return false;
        // -A: the precompile checks A is on the curve; negating y keeps that.
        uint256 ay = proof[1];
        if (ay >= Q) return false;
        p[0] = proof[0];
        p[1] = ay == 0 ? 0 : Q - ay;
        p[2] = proof[2];
        p[3] = proof[3];
        p[4] = proof[4];
        p[5] = proof[5];
        p[6] = alphaX;
        p[7] = alphaY;
        p[8] = betaX1;
        p[9] = betaX0;
        p[10] = betaY1;
        p[11] = betaY0;
        p[12] = sum[0];
        p[13] = sum[1];
        p[14] = gammaX1;
        p[15] = gammaX0;
        p[16] = gammaY1;
        p[17] = gammaY0;
        p[18] = proof[6];
        p[19] = proof[7];
        p[20] = deltaX1;
        p[21] = deltaX0;
        p[22] = deltaY1;
        p[23] = deltaY0;
        uint256[1] memory out;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x08, p, 0x300, out, 0x20)
        }
        return ok && out[0] == 1;
    }
}
