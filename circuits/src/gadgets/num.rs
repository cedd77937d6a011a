//! Range checks and the packed-amount decoder.
//!
//! A range check of `x` to `n ≤ 253` bits allocates `b_0 … b_{n-1}`, enforces `b_i·(1 − b_i) = 0`
//! and `Σ b_i·2^i = x`: `n + 1` constraints. Because `2^n < r`, the decomposition is unique (no
//! aliasing mod r), so the bits are canonical and `x < 2^n` as an integer.

use super::FrVar;
use ark_bn254::Fr;
use ark_ff::Field;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_relations::gr1cs::SynthesisError;
use zksettle_core::amount::FloatFormat;

/// The largest bit width [`to_bits_le`] accepts: below it `2^n < r` keeps decompositions unique.
pub const MAX_RANGE_BITS: usize = 253;

/// Enforces `x < 2^n` and returns its little-endian bits.
pub fn to_bits_le(x: &FrVar, n: usize) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    if n > MAX_RANGE_BITS {
        return Err(SynthesisError::Unsatisfiable);
    }
    Ok(x.to_bits_le_with_top_bits_zero(n)?.0)
}

/// `Σ bits[i]·2^i`, free.
pub fn from_bits_le(bits: &[Boolean<Fr>]) -> Result<FrVar, SynthesisError> {
    Boolean::le_bits_to_fp(bits)
}

/// The value of a packed float (`docs/protocol.md` §5) given its canonical bits, little-endian
/// (`bits[..mantissa_bits]` the mantissa `m`, the rest the 5-bit exponent `e`):
///
/// ```text
/// 10^e  = Π_i (1 + e_i·(10^(2^i) − 1))      4 constraints (the first factor is linear)
/// value = m · 10^e                            1 constraint
/// e = 0  ∨  10·m ≥ 2^mantissa_bits            the smallest exponent that fits (canonical)
/// ```
///
/// The last line makes the packing canonical, so the pubdata bytes are the ones the native
/// encoder writes: a larger exponent with a smaller mantissa would have fit `10·m` instead.
/// It costs `mantissa_bits + 5` constraints: `10·m − 2^mb + 2^mb·[e = 0]` must be a
/// non-negative number below `2^(mb+4)`.
pub fn unpack_float(format: &FloatFormat, bits: &[Boolean<Fr>]) -> Result<FrVar, SynthesisError> {
    let mb = format.mantissa_bits as usize;
    if bits.len() != format.bits() as usize {
        return Err(SynthesisError::Unsatisfiable);
    }
    let (mantissa_bits, exponent_bits) = bits.split_at(mb);
    let mantissa = from_bits_le(mantissa_bits)?;

    let mut power = FpVar::one();
    let mut exponent_is_zero = Boolean::TRUE;
    for (i, bit) in exponent_bits.iter().enumerate() {
        let factor = Fr::from(10u64).pow([1u64 << i]) - Fr::ONE;
        let term = FpVar::one() + FpVar::from(bit.clone()) * factor;
        power = if i == 0 { term } else { power * term };
        exponent_is_zero &= !bit;
    }
    let value = mantissa.clone() * power;

    let two_mb = Fr::from(1u64 << mb);
    let slack = mantissa * Fr::from(10u64) - FpVar::constant(two_mb)
        + FpVar::from(exponent_is_zero) * two_mb;
    to_bits_le(&slack, mb + 4)?;
    Ok(value)
}

/// Enforces `a == b` as field elements.
pub fn enforce_equal(a: &FrVar, b: &FrVar) -> Result<(), SynthesisError> {
    a.enforce_equal(b)
}

/// `2^n` as a field element.
pub fn power_of_two(n: usize) -> Fr {
    Fr::from(2u64).pow([n as u64])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
    use zksettle_core::amount::{AMOUNT_FORMAT, FEE_FORMAT};

    fn witness_bits(cs: &ConstraintSystemRef<Fr>, value: u32, n: usize) -> Vec<Boolean<Fr>> {
        let x = FpVar::new_witness(cs.clone(), || Ok(Fr::from(value))).unwrap();
        to_bits_le(&x, n).unwrap()
    }

    #[test]
    fn range_checks_accept_below_and_reject_at_the_bound() {
        for (value, ok) in [(0u64, true), (255, true), (256, false), (u64::MAX, false)] {
            let cs = ConstraintSystem::<Fr>::new_ref();
            let x = FpVar::new_witness(cs.clone(), || Ok(Fr::from(value))).unwrap();
            to_bits_le(&x, 8).unwrap();
            cs.finalize();
            assert_eq!(cs.is_satisfied().unwrap(), ok, "{value}");
        }
        let cs = ConstraintSystem::<Fr>::new_ref();
        let minus_one = FpVar::new_witness(cs.clone(), || Ok(-Fr::ONE)).unwrap();
        to_bits_le(&minus_one, 128).unwrap();
        cs.finalize();
        assert!(!cs.is_satisfied().unwrap(), "r - 1 is not below 2^128");
        assert!(to_bits_le(&minus_one, 254).is_err());
    }

    #[test]
    fn unpack_matches_native_for_canonical_packings() {
        for format in [AMOUNT_FORMAT, FEE_FORMAT] {
            let values = [
                0u128,
                1,
                9,
                10,
                1_000_000_000_000_000_000,
                123_450_000,
                (1 << format.mantissa_bits) - 1,
            ];
            for value in values
                .into_iter()
                .chain([format.unpack((31 << format.mantissa_bits) | 7)])
                .filter(|v| format.is_packable(*v))
            {
                let packed = format.pack(value).unwrap();
                let cs = ConstraintSystem::<Fr>::new_ref();
                let bits = witness_bits(&cs, packed, format.bits() as usize);
                let out = unpack_float(&format, &bits).unwrap();
                assert_eq!(out.value().unwrap(), Fr::from(value));
                cs.finalize();
                assert!(cs.is_satisfied().unwrap(), "{value}");
            }
        }
    }

    #[test]
    fn non_canonical_packings_are_unsatisfiable() {
        // 10 packed as 1·10^1 instead of 10·10^0.
        let format = AMOUNT_FORMAT;
        let packed = (1 << format.mantissa_bits) | 1;
        assert_eq!(format.unpack(packed), 10);
        let cs = ConstraintSystem::<Fr>::new_ref();
        let bits = witness_bits(&cs, packed, format.bits() as usize);
        let _value = unpack_float(&format, &bits).unwrap();
        cs.finalize();
        assert!(!cs.is_satisfied().unwrap());
    }
}
