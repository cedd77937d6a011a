//! The op fields' encodings the pubdata carries (`docs/protocol.md` §9): a field element's
//! canonical bytes, circomlib's packed point, and the packed decimal floats of amounts and fees.
//!
//! **Bounded bytes** (`x ≤ bound` for a constant `bound < r`, and the 32 bytes of `x`): `x` is
//! split as `lo + 2^128·hi` with both halves range-checked to 128 bits (their bytes are `x`'s),
//! and the integer comparison `(hi, lo) ≤ (bound_hi, bound_lo)` is a subtraction with one borrow:
//!
//! ```text
//! d_lo = bound_lo − lo + 2^128·borrow,   d_hi = bound_hi − hi − borrow,
//! borrow ∈ {0, 1},   d_lo, d_hi < 2^128
//! ```
//!
//! All of these are below `2^129 ≪ r`, so the equations are integer ones; `hi > bound_hi` or
//! `hi = bound_hi ∧ lo > bound_lo` leaves a `d` negative, which wraps to `r − …` and fails its
//! range check. The comparison makes `lo + 2^128·hi ≤ bound < r`, so the split does not wrap
//! either: the bytes are the integer `x`'s. About 75 rows.
//!
//! **Packed point** (circomlib's `packPoint`): the 32 little-endian bytes of `y + 2^255·sign`,
//! `y ≤ r − 1` by the bounded bytes, `sign` boolean, `z = sign ? −x : x ≤ (r − 1)/2` (exactly one
//! of `x`, `−x` is, for `x ≠ 0`), and `sign ⇒ x ≠ 0` (`x·w = sign` for a witness `w`). `y`'s top
//! byte is below 2^6, so `sign` is its bit 7.
//!
//! **Packed float** (`m + 2^mb·e`, value `m·10^e`): `m` range-checked to `mb` bits, `e`'s bits
//! boolean, `10^e = Π (1 + e_i·(10^(2^i) − 1))`, and the encoding canonical, `e ≠ 0 ⇒ 10·m ≥
//! 2^mb` (as the core's `unpack_canonical`): `10·m − 2^mb + 2^mb·[e = 0]` range-checked to
//! `mb + 4` bits.

use crate::arith::ArithConfig;
use crate::layout::{Layout, Word};
use crate::range::RangeConfig;
use crate::spread::{SpreadConfig, Term};
use crate::Fr;
use halo2_proofs::circuit::Value;
use halo2_proofs::halo2curves::ff::{Field as _, PrimeField as _};
use halo2_proofs::plonk::Error;
use zksettle_core::amount::FloatFormat;

/// The chips the encodings are written with.
#[derive(Debug, Clone, Copy)]
pub struct Encodings<'c> {
    /// Products, selections, zero tests.
    pub arith: &'c ArithConfig,
    /// Range checks (and the bytes they give).
    pub range: &'c RangeConfig,
    /// Linear equations.
    pub linear: &'c SpreadConfig,
}

/// `2^n` in the field.
fn two_to(n: u32) -> Fr {
    Fr::from(2).pow([u64::from(n)])
}

/// `x`'s canonical little-endian bytes, where known.
fn repr(x: Value<Fr>) -> Value<[u8; 32]> {
    x.map(|x| x.to_repr())
}

/// The integer of 16 little-endian bytes as a field element.
fn half(bytes: &[u8]) -> Fr {
    let mut wide = [0u8; 32];
    wide[..16].copy_from_slice(&bytes[..16]);
    Fr::from_repr(wide).unwrap_or(Fr::ZERO)
}

/// `(r − 1)/2`, the largest `x` circomlib packs with sign 0: `−1/2 mod r`.
pub fn half_modulus() -> Fr {
    -Fr::TWO_INV
}

impl Encodings<'_> {
    /// Constrains `x ≤ bound` as integers (`bound` a field element, so below `r`) and returns
    /// the 32 little-endian bytes of `x`.
    pub fn bytes_at_most(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        bound: Fr,
    ) -> Result<Vec<Word>, Error> {
        let bytes = repr(x.value);
        let lo_value = bytes.map(|b| half(&b[..16]));
        let hi_value = bytes.map(|b| half(&b[16..]));
        let bound_bytes = bound.to_repr();
        let (bound_lo, bound_hi) = (half(&bound_bytes[..16]), half(&bound_bytes[16..]));
        let borrow_value = bytes.map(|b| {
            let lo = u128::from_le_bytes(b[..16].try_into().unwrap_or([0; 16]));
            let bound = u128::from_le_bytes(bound_bytes[..16].try_into().unwrap_or([0; 16]));
            Fr::from(u64::from(lo > bound))
        });
        let placed = self.linear.equation(
            layout,
            &[
                Term::Copy(x, Fr::ONE),
                Term::Fresh(lo_value, -Fr::ONE),
                Term::Fresh(hi_value, -two_to(128)),
            ],
            Fr::ZERO,
        )?;
        let (lo, hi) = (placed[1].cell()?, placed[2].cell()?);
        let d_lo_value = lo_value
            .zip(borrow_value)
            .map(|(lo, b)| bound_lo - lo + two_to(128) * b);
        let placed = self.linear.equation(
            layout,
            &[
                Term::Fresh(d_lo_value, -Fr::ONE),
                Term::Copy(&lo, -Fr::ONE),
                Term::Fresh(borrow_value, two_to(128)),
            ],
            bound_lo,
        )?;
        let (d_lo, borrow) = (placed[0].cell()?, placed[2].cell()?);
        let d_hi_value = hi_value.zip(borrow_value).map(|(hi, b)| bound_hi - hi - b);
        let placed = self.linear.equation(
            layout,
            &[
                Term::Fresh(d_hi_value, -Fr::ONE),
                Term::Copy(&hi, -Fr::ONE),
                Term::Copy(&borrow, -Fr::ONE),
            ],
            bound_hi,
        )?;
        let d_hi = placed[0].cell()?;
        self.arith.assert_boolean(layout, &borrow)?;
        self.range.check(layout, &d_lo, 128)?;
        self.range.check(layout, &d_hi, 128)?;
        let mut out = self.range.check(layout, &lo, 128)?;
        out.extend(self.range.check(layout, &hi, 128)?);
        Ok(out)
    }

    /// circomlib's packed point of `(x, y)`: 32 bytes, little-endian.
    pub fn packed_point(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        y: &Word,
    ) -> Result<Vec<Word>, Error> {
        let mut bytes = self.bytes_at_most(layout, y, -Fr::ONE)?;
        let half = half_modulus();
        let sign_value = repr(x.value).map(|b| {
            let x_int = b.iter().rev().fold(Vec::new(), |mut v, byte| {
                v.push(*byte);
                v
            });
            let half_int: Vec<u8> = half.to_repr().iter().rev().copied().collect();
            Fr::from(u64::from(x_int > half_int))
        });
        let inverse = x.value.zip(sign_value).map(|(x, s)| {
            if s == Fr::ONE {
                x.invert().unwrap_or(Fr::ZERO)
            } else {
                Fr::ZERO
            }
        });
        let [sign, w] = [sign_value, inverse].map(|v| self.fresh(layout, v));
        let (sign, w) = (sign?, w?);
        self.arith.assert_boolean(layout, &sign)?;
        // sign ⇒ x ≠ 0: x·w − sign = 0.
        let product = self.arith.mul(layout, x, &w)?;
        let difference = self.arith.sub(layout, &product, &sign)?;
        self.arith.assert_zero(layout, &difference)?;
        let zero = Fr::ZERO;
        let minus_x = self.arith.linear(layout, (x, -Fr::ONE), (x, zero), zero)?;
        let z = self.arith.select(layout, &sign, &minus_x, x)?;
        self.bytes_at_most(layout, &z, half)?;
        let top = bytes.pop().ok_or(Error::Synthesis)?;
        bytes.push(
            self.arith
                .linear(layout, (&top, Fr::ONE), (&sign, Fr::from(128)), zero)?,
        );
        Ok(bytes)
    }

    /// The value of the packed float `packed` in `format` (which the caller has made a
    /// `format.bits()`-bit value), constraining the encoding canonical.
    pub fn unpack_float(
        &self,
        layout: &mut Layout<'_, '_>,
        format: &FloatFormat,
        packed: &Word,
    ) -> Result<Word, Error> {
        let mb = format.mantissa_bits;
        let packed_int = packed.value.map(|p| {
            let b = p.to_repr();
            u64::from_le_bytes(b[..8].try_into().unwrap_or([0; 8]))
        });
        let mantissa_value = packed_int.map(|p| Fr::from(p & ((1 << mb) - 1)));
        let mut terms = vec![
            Term::Copy(packed, Fr::ONE),
            Term::Fresh(mantissa_value, -Fr::ONE),
        ];
        for i in 0..format.exponent_bits {
            let bit = packed_int.map(|p| Fr::from((p >> (mb + i)) & 1));
            terms.push(Term::Fresh(bit, -two_to(mb + i)));
        }
        let placed = self.linear.equation(layout, &terms, Fr::ZERO)?;
        let mantissa = placed[1].cell()?;
        let bits: Vec<Word> = placed[2..]
            .iter()
            .map(|p| p.cell())
            .collect::<Result<_, _>>()?;
        self.range.check(layout, &mantissa, mb as usize)?;
        let mut power: Option<Word> = None;
        for (i, bit) in bits.iter().enumerate() {
            self.arith.assert_boolean(layout, bit)?;
            let factor = Fr::from(10).pow([1u64 << i]) - Fr::ONE;
            let term = self
                .arith
                .linear(layout, (bit, factor), (bit, Fr::ZERO), Fr::ONE)?;
            power = Some(match power {
                None => term,
                Some(p) => self.arith.mul(layout, &p, &term)?,
            });
        }
        let value = match power {
            Some(p) => self.arith.mul(layout, &mantissa, &p)?,
            None => mantissa,
        };
        // e ≠ 0 ⇒ 10·m ≥ 2^mb.
        let exponent_value = bits
            .iter()
            .enumerate()
            .fold(Value::known(Fr::ZERO), |acc, (i, b)| {
                acc + b.value.map(|b| b * two_to(i as u32))
            });
        let mut terms = vec![Term::Fresh(exponent_value, -Fr::ONE)];
        terms.extend(
            bits.iter()
                .enumerate()
                .map(|(i, b)| Term::Copy(b, two_to(i as u32))),
        );
        let exponent = self.linear.equation(layout, &terms, Fr::ZERO)?[0].cell()?;
        let exponent_is_zero = self.arith.is_zero(layout, &exponent)?;
        let limit = two_to(mb);
        let slack = self.arith.linear(
            layout,
            (&mantissa, Fr::from(10)),
            (&exponent_is_zero, limit),
            -limit,
        )?;
        self.range.check(layout, &slack, mb as usize + 4)?;
        Ok(value)
    }

    /// A fresh witness cell.
    fn fresh(&self, layout: &mut Layout<'_, '_>, value: Value<Fr>) -> Result<Word, Error> {
        // x − x = 0 with x fresh: an equation that constrains nothing, to place the cell.
        self.linear
            .equation(layout, &[Term::Fresh(value, Fr::ZERO)], Fr::ZERO)?[0]
            .cell()
    }
}

#[cfg(test)]
mod tests;
