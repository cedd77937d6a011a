//! Bit-level helpers for the batch circuit: witness bit strings in the byte order of the
//! protocol's encodings (most significant bit first) and their values.

use crate::gadgets::FrVar;
use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::fp::FpVar;

use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// A bit string, most significant bit first.
pub(crate) type Bits = Vec<Boolean<Fr>>;

/// `n` witness bits of `value` (big-endian), one booleanity constraint each.
pub(crate) fn witness_bits(
    cs: &ConstraintSystemRef<Fr>,
    value: u128,
    n: usize,
) -> Result<Bits, SynthesisError> {
    (0..n)
        .rev()
        .map(|i| Boolean::new_witness(cs.clone(), || Ok(i < 128 && (value >> i) & 1 == 1)))
        .collect()
}

/// Witness bits of bytes, in order, most significant bit of each byte first.
pub(crate) fn witness_byte_bits(
    cs: &ConstraintSystemRef<Fr>,
    bytes: &[u8],
) -> Result<Bits, SynthesisError> {
    bytes
        .iter()
        .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1 == 1))
        .map(|bit| Boolean::new_witness(cs.clone(), || Ok(bit)))
        .collect()
}

/// Constant bits of `value` in `n` bits, big-endian.
pub(crate) fn constant_bits(value: u64, n: usize) -> Bits {
    (0..n)
        .rev()
        .map(|i| Boolean::constant(i < 64 && (value >> i) & 1 == 1))
        .collect()
}

/// `bits` left-padded with zeros to `n` bits.
pub(crate) fn pad_to(bits: &[Boolean<Fr>], n: usize) -> Bits {
    let mut out = vec![Boolean::FALSE; n.saturating_sub(bits.len())];
    out.extend_from_slice(bits);
    out
}

/// The integer a big-endian bit string denotes (free; the caller keeps it below 253 bits).
pub(crate) fn value_be(bits: &[Boolean<Fr>]) -> FrVar {
    let mut power = Fr::ONE;
    let mut acc = FpVar::Constant(Fr::ZERO);
    for bit in bits.iter().rev() {
        acc += FpVar::from(bit.clone()) * power;
        power.double_in_place();
    }
    acc
}

/// Little-endian order of a big-endian bit string.
pub(crate) fn reversed(bits: &[Boolean<Fr>]) -> Bits {
    bits.iter().rev().cloned().collect()
}
