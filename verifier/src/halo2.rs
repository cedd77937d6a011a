//! halo2 batch proofs (KZG on BN254, GWC openings, the EVM transcript) checked off chain, for a
//! deployment that settles with `Halo2Verifier.sol`: the same algorithm the contract runs
//! (`zksettle_halo2_evm::reference`) over the same key bytes, whose keccak256 the rollup pins as
//! its `vkHash`.
//!
//! The key comes as the bytes the key contracts hold (`zksettle prover export-vk
//! --prover.system halo2` writes them); every word is checked as it is read
//! (`zksettle_halo2_evm::decoding`). Proofs are checked one by one, in parallel: halo2 has no
//! cheap batching of whole proofs here, and one check is two pairings after a few hundred
//! scalar operations and one multi-scalar multiplication over the key's commitments.

use rayon::prelude::*;
use zksettle_core::Fr;
use zksettle_halo2_circuit::field::to_circuit;
use zksettle_halo2_evm::decoding::KeyDecodeError;
use zksettle_halo2_evm::key::EvmKey;

/// A halo2 batch verifying key, ready to check proofs.
#[derive(Debug, Clone)]
pub struct Halo2BatchVerifier {
    key: EvmKey,
    key_hash: [u8; 32],
}

impl Halo2BatchVerifier {
    /// The key of `bytes` (the key contracts' content); its hash is keccak256 of them.
    pub fn from_key_bytes(bytes: &[u8]) -> Result<Self, KeyDecodeError> {
        let key = EvmKey::from_bytes(bytes)?;
        Ok(Halo2BatchVerifier {
            key,
            key_hash: alloy::primitives::keccak256(bytes).0,
        })
    }

    /// keccak256 of the key's bytes: the rollup's `vkHash` for this key.
    pub fn key_hash(&self) -> &[u8; 32] {
        &self.key_hash
    }

    /// Whether `proof` proves a batch of `commitment` (false for a malformed proof too).
    pub fn verify(&self, commitment: &Fr, proof: &[u8]) -> bool {
        zksettle_halo2_evm::reference::verify(&self.key, &[to_circuit(commitment)], proof).is_ok()
    }

    /// The positions of the claims whose proof does not verify, checked in parallel.
    pub fn locate_invalid(&self, claims: &[(Fr, &[u8])]) -> Vec<usize> {
        claims
            .par_iter()
            .enumerate()
            .filter(|(_, (commitment, proof))| !self.verify(commitment, proof))
            .map(|(i, _)| i)
            .collect()
    }
}

/// The verifying key of a deployment's proof system.
// One per process.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ProofChecker {
    /// Groth16: a snarkjs `verification_key.json`'s key.
    Groth16(crate::BatchVerifier),
    /// halo2: the key contracts' bytes.
    Halo2(Halo2BatchVerifier),
}

impl ProofChecker {
    /// The hash the rollup pins for this key.
    pub fn key_hash(&self) -> &[u8; 32] {
        match self {
            ProofChecker::Groth16(verifier) => verifier.key_hash(),
            ProofChecker::Halo2(verifier) => verifier.key_hash(),
        }
    }

    /// The key's proof system.
    pub fn system(&self) -> zksettle_l1::ProofSystem {
        match self {
            ProofChecker::Groth16(_) => zksettle_l1::ProofSystem::Groth16,
            ProofChecker::Halo2(_) => zksettle_l1::ProofSystem::Halo2,
        }
    }
}
