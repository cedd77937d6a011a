//! Conversions between zksettle's types and the EVM's words.

use alloy::primitives::{Address, B256, U256};
use ark_bn254::Bn254;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::Proof;
use zksettle_core::{Fr, L1Address};

/// A field element as a big-endian word.
pub fn u256_of_fr(x: &Fr) -> U256 {
    U256::from_be_slice(&x.into_bigint().to_bytes_be())
}

/// A field element as 32 big-endian bytes (roots in the contract).
pub fn b256_of_fr(x: &Fr) -> B256 {
    B256::from(u256_of_fr(x))
}

/// 32 big-endian bytes as a field element (reduced mod r; contract roots are canonical).
pub fn fr_of_b256(x: &B256) -> Fr {
    Fr::from_be_bytes_mod_order(x.as_slice())
}

/// An L1 address in alloy's type.
pub fn address(a: L1Address) -> Address {
    Address::from(a.0)
}

/// An alloy address as zksettle's.
pub fn l1_address(a: Address) -> L1Address {
    L1Address(a.into_array())
}

/// A Groth16 proof as the Verifier takes it ([`zksettle_groth16_evm::proof_words`]).
pub fn proof_words(proof: &Proof<Bn254>) -> [U256; 8] {
    zksettle_groth16_evm::proof_words(proof).map(U256::from_be_bytes)
}
