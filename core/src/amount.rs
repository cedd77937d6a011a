//! Compact decimal floating-point packing for amounts and fees in pubdata.
//!
//! A packed value is `mantissa · 10^exponent`, stored big-endian as `exponent ‖ mantissa`:
//!
//! | format | bits | exponent bits | mantissa bits | largest value |
//! |---|---|---|---|---|
//! | [`AMOUNT_FORMAT`] | 24 | 5 (0..=31) | 19 (< 524 288) | 524 287 · 10^31 |
//! | [`FEE_FORMAT`] | 16 | 5 (0..=31) | 11 (< 2 048) | 2 047 · 10^31 |
//!
//! Both maxima are below 2^128, so every packed value is a valid balance. Packing never rounds:
//! a value is packable iff it equals `m·10^e` for some in-range `m` and `e`, otherwise packing
//! fails with [`PackError`]. The canonical encoding (what [`FloatFormat::pack`] returns) uses
//! the smallest such exponent, and it is the only one the batch circuit accepts
//! (`e = 0 ∨ 10·m ≥ 2^mantissa_bits`, `circuits/src/gadgets/num.rs`): pubdata decoding takes
//! only it ([`FloatFormat::unpack_canonical`]), so the native decoder refuses what no proof can
//! carry, and one amount has one encoding.

use serde::{Deserialize, Serialize};

/// Why an amount cannot be packed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{value} is not representable as m·10^e with m < 2^{mantissa_bits} and e ≤ 31")]
pub struct PackError {
    /// The value that was refused.
    pub value: u128,
    /// The mantissa width of the format.
    pub mantissa_bits: u32,
}

/// A decimal floating-point format: `exponent_bits ‖ mantissa_bits`, big-endian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FloatFormat {
    /// Width of the exponent (base 10).
    pub exponent_bits: u32,
    /// Width of the mantissa.
    pub mantissa_bits: u32,
}

/// Transfer amounts: 24 bits.
pub const AMOUNT_FORMAT: FloatFormat = FloatFormat {
    exponent_bits: 5,
    mantissa_bits: 19,
};
/// Fees: 16 bits.
pub const FEE_FORMAT: FloatFormat = FloatFormat {
    exponent_bits: 5,
    mantissa_bits: 11,
};

impl FloatFormat {
    /// Total width in bits.
    pub const fn bits(&self) -> u32 {
        self.exponent_bits + self.mantissa_bits
    }

    /// Total width in bytes.
    pub const fn bytes(&self) -> usize {
        (self.bits() / 8) as usize
    }

    const fn max_exponent(&self) -> u32 {
        (1 << self.exponent_bits) - 1
    }

    /// The canonical packed form of `value`, or an error if packing would lose precision.
    pub fn pack(&self, value: u128) -> Result<u32, PackError> {
        let limit = 1u128 << self.mantissa_bits;
        let mut mantissa = value;
        let mut exponent = 0u32;
        while mantissa >= limit {
            if !mantissa.is_multiple_of(10) || exponent == self.max_exponent() {
                return Err(PackError {
                    value,
                    mantissa_bits: self.mantissa_bits,
                });
            }
            mantissa /= 10;
            exponent += 1;
        }
        Ok((exponent << self.mantissa_bits) | mantissa as u32)
    }

    /// The value of a packed encoding. Bits above the format's width are ignored by callers
    /// that read exactly [`Self::bytes`] bytes.
    pub fn unpack(&self, packed: u32) -> u128 {
        let mantissa = packed & ((1 << self.mantissa_bits) - 1);
        let exponent = (packed >> self.mantissa_bits) & self.max_exponent();
        u128::from(mantissa) * 10u128.pow(exponent)
    }

    /// The value of `packed` if it is the canonical encoding of that value (the smallest
    /// exponent; `0` for zero), `None` for any other encoding of it.
    pub fn unpack_canonical(&self, packed: u32) -> Option<u128> {
        let value = self.unpack(packed);
        (packed >> self.bits() == 0 && self.pack(value) == Ok(packed)).then_some(value)
    }

    /// The smallest representable value at or above `value`, `None` above the largest.
    pub fn round_up(&self, value: u128) -> Option<u128> {
        let limit = 1u128 << self.mantissa_bits;
        (0..=self.max_exponent()).find_map(|exponent| {
            let scale = 10u128.checked_pow(exponent)?;
            let mantissa = value.div_ceil(scale);
            (mantissa < limit)
                .then(|| mantissa.checked_mul(scale))
                .flatten()
        })
    }

    /// Whether `value` is exactly representable.
    pub fn is_packable(&self, value: u128) -> bool {
        self.pack(value).is_ok()
    }

    /// Big-endian bytes of a packed value.
    pub fn to_bytes(&self, packed: u32) -> Vec<u8> {
        packed.to_be_bytes()[4 - self.bytes()..].to_vec()
    }

    /// Reads a packed value from exactly [`Self::bytes`] big-endian bytes.
    pub fn from_bytes(&self, bytes: &[u8]) -> u32 {
        bytes.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_smallest_exponent_unpacks_canonically() {
        // 1,000,000 = 100,000·10^1 (canonical: 1,000,000 ≥ 2^19) = 10,000·10^2 = 1,000·10^3.
        let canonical = AMOUNT_FORMAT.pack(1_000_000).unwrap();
        assert_eq!(canonical, (1 << 19) | 100_000);
        assert_eq!(AMOUNT_FORMAT.unpack_canonical(canonical), Some(1_000_000));
        for (exponent, mantissa) in [(2u32, 10_000u32), (3, 1_000)] {
            let other = (exponent << 19) | mantissa;
            assert_eq!(AMOUNT_FORMAT.unpack(other), 1_000_000);
            assert_eq!(AMOUNT_FORMAT.unpack_canonical(other), None);
        }
        // Zero has one encoding; 0·10^e for e > 0 is not it.
        assert_eq!(FEE_FORMAT.unpack_canonical(0), Some(0));
        assert_eq!(FEE_FORMAT.unpack_canonical(1 << 11), None);
        // Bits above the format are not part of any encoding.
        assert_eq!(FEE_FORMAT.unpack_canonical(1 << 16), None);
    }

    #[test]
    fn round_up_gives_the_next_representable_value() {
        for (value, expected) in [
            (0, Some(0)),
            (2047, Some(2047)),
            (2048, Some(2050)),
            (2049, Some(2050)),
            (20_470, Some(20_470)),
            (20_471, Some(20_500)),
            (u128::MAX, None),
        ] {
            assert_eq!(FEE_FORMAT.round_up(value), expected, "{value}");
        }
        for value in (0..200_000u128).step_by(7) {
            let up = FEE_FORMAT.round_up(value).unwrap();
            assert!(up >= value && FEE_FORMAT.is_packable(up), "{value} -> {up}");
            assert!(
                (value..up).all(|v| !FEE_FORMAT.is_packable(v)),
                "{value} -> {up} skips a representable value"
            );
        }
    }
    use proptest::prelude::*;

    #[test]
    fn edges() {
        assert_eq!(AMOUNT_FORMAT.pack(0), Ok(0));
        assert_eq!(AMOUNT_FORMAT.pack(524_287), Ok(524_287));
        // 524_288 needs a 20-bit mantissa and is not divisible by 10.
        assert!(AMOUNT_FORMAT.pack(524_288).is_err());
        assert_eq!(
            AMOUNT_FORMAT.unpack(AMOUNT_FORMAT.pack(5_242_870).unwrap()),
            5_242_870
        );
        let max = 524_287u128 * 10u128.pow(31);
        assert_eq!(AMOUNT_FORMAT.unpack(AMOUNT_FORMAT.pack(max).unwrap()), max);
        assert!(AMOUNT_FORMAT.pack(max * 10).is_err());
        assert!(AMOUNT_FORMAT.pack(u128::MAX).is_err());
        // 1 ETH in wei: the smallest exponent that fits is 13 (10^18 = 100 000·10^13).
        assert_eq!(AMOUNT_FORMAT.pack(10u128.pow(18)), Ok((13 << 19) | 100_000));
        assert_eq!(FEE_FORMAT.pack(2047), Ok(2047));
        assert!(FEE_FORMAT.pack(2049).is_err());
        assert_eq!(FEE_FORMAT.bytes(), 2);
        assert_eq!(AMOUNT_FORMAT.bytes(), 3);
    }

    #[test]
    fn canonical_uses_smallest_exponent() {
        // 1000 fits the mantissa directly, so e = 0 even though 1·10^3 also encodes it.
        assert_eq!(AMOUNT_FORMAT.pack(1000), Ok(1000));
        assert_eq!(AMOUNT_FORMAT.unpack((3 << 19) | 1), 1000);
    }

    proptest! {
        #[test]
        fn pack_is_exact_or_refused(value in any::<u128>()) {
            match AMOUNT_FORMAT.pack(value) {
                Ok(p) => {
                    prop_assert!(p < 1 << 24);
                    prop_assert_eq!(AMOUNT_FORMAT.unpack(p), value);
                    let bytes = AMOUNT_FORMAT.to_bytes(p);
                    prop_assert_eq!(AMOUNT_FORMAT.from_bytes(&bytes), p);
                }
                Err(e) => prop_assert_eq!(e.value, value),
            }
        }

        #[test]
        fn every_encoding_decodes_below_2_128(packed in 0u32..(1 << 24)) {
            let v = AMOUNT_FORMAT.unpack(packed);
            // Re-packing finds the canonical encoding of the same value.
            prop_assert_eq!(AMOUNT_FORMAT.unpack(AMOUNT_FORMAT.pack(v).unwrap()), v);
        }

        #[test]
        fn m_times_power_of_ten_always_packs(m in 0u128..524_288, e in 0u32..32) {
            let v = m * 10u128.pow(e);
            prop_assert_eq!(AMOUNT_FORMAT.unpack(AMOUNT_FORMAT.pack(v).unwrap()), v);
        }
    }
}
