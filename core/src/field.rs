//! The BN254 scalar field `Fr`, which is also Baby Jubjub's base field, and its encodings.
//!
//! Every value the protocol hashes is an element of `Fr`. Decimal strings are the interchange
//! form circomlibjs and snarkjs use; 32-byte big-endian is the form pubdata and the L1 contract use.

use ark_ff::{BigInteger, PrimeField};
use std::str::FromStr;

pub use ark_bn254::Fr;

/// Why a byte string or decimal string is not a canonical field element.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The string is not a base-10 unsigned integer.
    #[error("not a decimal integer: {0:?}")]
    NotDecimal(String),
    /// The integer is at least the field modulus r, so it has no canonical encoding.
    #[error("value is not below the BN254 scalar field modulus")]
    NotCanonical,
}

/// Parses a canonical decimal string (what circomlibjs prints) into a field element.
pub fn fr_from_decimal(s: &str) -> Result<Fr, FieldError> {
    if s.is_empty() || s.len() > 78 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::NotDecimal(s.to_owned()));
    }
    let big = ark_ff::BigInt::<4>::from_str(s).map_err(|_| FieldError::NotCanonical)?;
    Fr::from_bigint(big).ok_or(FieldError::NotCanonical)
}

/// The canonical decimal string of a field element.
pub fn fr_to_decimal(x: &Fr) -> String {
    x.into_bigint().to_string()
}

/// The 32-byte big-endian encoding of a field element.
pub fn fr_to_be_bytes(x: &Fr) -> [u8; 32] {
    let bytes = x.into_bigint().to_bytes_be();
    let mut out = [0u8; 32];
    out.copy_from_slice(&bytes);
    out
}

/// Decodes 32 big-endian bytes, rejecting values ≥ r instead of reducing them.
pub fn fr_from_be_bytes(bytes: &[u8; 32]) -> Result<Fr, FieldError> {
    let mut le = *bytes;
    le.reverse();
    fr_from_le_bytes(&le)
}

/// Decodes 32 little-endian bytes, rejecting values ≥ r instead of reducing them.
pub fn fr_from_le_bytes(bytes: &[u8; 32]) -> Result<Fr, FieldError> {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        *limb = u64::from_le_bytes(chunk.try_into().expect("chunks_exact(8) yields 8 bytes"));
    }
    Fr::from_bigint(ark_ff::BigInt::new(limbs)).ok_or(FieldError::NotCanonical)
}

/// The field element of an unsigned integer that fits in 128 bits.
pub fn fr_from_u128(v: u128) -> Fr {
    Fr::from(v)
}

/// Serde adapter: a field element as its canonical decimal string (circomlibjs' JSON form).
pub mod serde_decimal {
    use super::*;
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    /// Serializes as a decimal string.
    pub fn serialize<S: Serializer>(x: &Fr, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&fr_to_decimal(x))
    }

    /// Deserializes a canonical decimal string.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
        let s = String::deserialize(d)?;
        fr_from_decimal(&s).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULUS: &str =
        "21888242871839275222246405745257275088548364400416034343698204186575808495617";

    #[test]
    fn decimal_round_trip_and_modulus_rejected() {
        let x = fr_from_decimal("123456789").unwrap();
        assert_eq!(fr_to_decimal(&x), "123456789");
        assert_eq!(fr_from_decimal(MODULUS), Err(FieldError::NotCanonical));
        assert!(matches!(
            fr_from_decimal("-1"),
            Err(FieldError::NotDecimal(_))
        ));
        assert!(matches!(
            fr_from_decimal(""),
            Err(FieldError::NotDecimal(_))
        ));
    }

    #[test]
    fn bytes_round_trip_and_non_canonical_rejected() {
        let x = fr_from_decimal("987654321987654321987654321").unwrap();
        assert_eq!(fr_from_be_bytes(&fr_to_be_bytes(&x)).unwrap(), x);
        assert_eq!(fr_from_be_bytes(&[0xff; 32]), Err(FieldError::NotCanonical));
    }
}
