//! The BN254 scalar field `Fr`, which is also Baby Jubjub's base field, and its encodings.
//!
//! Every value the protocol hashes is an element of `Fr`. Decimal strings are the interchange
//! form circomlibjs and snarkjs use; 32-byte big-endian is the form pubdata and the L1 contract use.

use ark_ff::{BigInteger, PrimeField};

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
    /// The decimal string has a leading zero: a second spelling of a value.
    #[error("decimal with a leading zero: {0:?}")]
    LeadingZero(String),
}

/// Parses a canonical decimal string (what circomlibjs prints) into a field element.
pub fn fr_from_decimal(s: &str) -> Result<Fr, FieldError> {
    if s.is_empty() || s.len() > 78 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::NotDecimal(s.to_owned()));
    }
    if !is_canonical_decimal(s) {
        return Err(FieldError::LeadingZero(s.to_owned()));
    }
    let limbs = decimal_limbs(s.as_bytes()).ok_or(FieldError::NotCanonical)?;
    Fr::from_bigint(ark_ff::BigInt::new(limbs)).ok_or(FieldError::NotCanonical)
}

/// Whether `s` is a value's one decimal spelling: ASCII digits only (no sign, no space) and no
/// leading zero. Every decimal the wire formats carry (field elements, amounts, signature
/// scalars) is held to it, where Rust's and arkworks' parsers also take `+7` or `007`.
pub fn is_canonical_decimal(s: &str) -> bool {
    let digits_only = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits_only && !(s.len() > 1 && s.starts_with('0'))
}

/// The value of ASCII decimal digits as four little-endian limbs, `None` from `2^256` up.
/// Nineteen digits at a time (`10^19 < 2^64`): a transaction carries several field elements in
/// decimal, and this is on the admission path.
fn decimal_limbs(digits: &[u8]) -> Option<[u64; 4]> {
    let mut limbs = [0u64; 4];
    let head = match digits.len() % 19 {
        0 => 19.min(digits.len()),
        n => n,
    };
    let (first, rest) = digits.split_at(head);
    for chunk in std::iter::once(first).chain(rest.chunks(19)) {
        let value = chunk.iter().fold(0u64, |v, d| v * 10 + u64::from(d - b'0'));
        let scale = 10u64.pow(chunk.len() as u32);
        let mut carry = value;
        for limb in &mut limbs {
            let t = u128::from(*limb) * u128::from(scale) + u128::from(carry);
            *limb = t as u64;
            carry = (t >> 64) as u64;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(limbs)
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
    use std::str::FromStr;

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
    fn decimal_parsing_agrees_with_arbitrary_precision_at_every_length_and_edge() {
        use ark_std::UniformRand;
        let mut rng = ark_std::test_rng();
        let mut cases: Vec<String> = (0..500)
            .map(|_| fr_to_decimal(&Fr::rand(&mut rng)))
            .collect();
        // Every length from 1 to 78 digits, leading zeros (refused: a second spelling), and the
        // edges around r and 2^256.
        cases.extend((1..=78).map(|n| "9".repeat(n)));
        cases.extend((1..=78).map(|n| format!("1{}", "0".repeat(n - 1))));
        cases.extend(["0", "00", "000000000000000000000000000001"].map(String::from));
        let two_256: num_bigint::BigUint = num_bigint::BigUint::from(1u8) << 256u32;
        let r = num_bigint::BigUint::from_str(MODULUS).unwrap();
        for edge in [
            &r - 1u8,
            r.clone(),
            &r + 1u8,
            &two_256 - 1u8,
            two_256.clone(),
        ] {
            cases.push(edge.to_string());
        }
        for case in &cases {
            let big = num_bigint::BigUint::from_str(case).unwrap();
            let expected = (big < r).then(|| Fr::from(big.clone()));
            let parsed = fr_from_decimal(case);
            if case.len() > 1 && case.starts_with('0') {
                assert_eq!(parsed, Err(FieldError::LeadingZero(case.clone())), "{case}");
                continue;
            }
            match expected {
                Some(x) => assert_eq!(parsed, Ok(x), "{case}"),
                None if case.len() <= 78 => {
                    assert_eq!(parsed, Err(FieldError::NotCanonical), "{case}")
                }
                None => assert!(matches!(parsed, Err(FieldError::NotDecimal(_))), "{case}"),
            }
        }
    }

    #[test]
    fn bytes_round_trip_and_non_canonical_rejected() {
        let x = fr_from_decimal("987654321987654321987654321").unwrap();
        assert_eq!(fr_from_be_bytes(&fr_to_be_bytes(&x)).unwrap(), x);
        assert_eq!(fr_from_be_bytes(&[0xff; 32]), Err(FieldError::NotCanonical));
    }
}
