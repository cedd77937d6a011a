//! The chips of the batch circuit and the glue operations the statement is written in (the R1CS
//! circuit's `Boolean`/`FpVar` idioms, each a few rows of the general gate or one linear
//! equation).

use crate::arith::ArithConfig;
use crate::babyjubjub::PointWords;
use crate::eddsa::EddsaConfig;
use crate::encoding::Encodings;
use crate::layout::{Layout, SharedColumns, Word};
use crate::merkle::MerkleConfig;
use crate::poseidon::PoseidonConfig;
use crate::range::RangeConfig;
use crate::spread::{SpreadConfig, Term};
use crate::Fr;
use halo2_proofs::circuit::Value;
use halo2_proofs::halo2curves::ff::Field as _;
use halo2_proofs::plonk::Error;

/// Every chip the batch uses.
#[derive(Debug, Clone)]
pub struct Chips {
    pub(crate) shared: SharedColumns,
    pub(crate) arith: ArithConfig,
    pub(crate) range: RangeConfig,
    pub(crate) linear: SpreadConfig,
    pub(crate) poseidon: PoseidonConfig,
    pub(crate) eddsa: EddsaConfig,
    pub(crate) merkle: MerkleConfig,
}

/// The chips with the constants every part of the batch reads.
pub(crate) struct Glue<'c> {
    pub(crate) chips: &'c Chips,
    pub(crate) zero: Word,
    pub(crate) one: Word,
}

impl<'c> Glue<'c> {
    /// The glue, with its constant cells laid out.
    pub(crate) fn new(chips: &'c Chips, layout: &mut Layout<'_, '_>) -> Result<Self, Error> {
        let row = layout.take_rows(1);
        let zero = layout.constant(Fr::ZERO, chips.shared.copyable[0], row)?;
        let one = layout.constant(Fr::ONE, chips.shared.copyable[1], row)?;
        Ok(Self { chips, zero, one })
    }

    pub(crate) fn encodings(&self) -> Encodings<'c> {
        Encodings {
            arith: &self.chips.arith,
            range: &self.chips.range,
            linear: &self.chips.linear,
        }
    }

    /// Free witness cells, eight to a row.
    pub(crate) fn witnesses(&self, layout: &mut Layout<'_, '_>, values: &[Value<Fr>]) -> Vec<Word> {
        let columns = &self.chips.shared.copyable;
        let first = layout.take_rows(values.len().div_ceil(columns.len()));
        values
            .iter()
            .enumerate()
            .map(|(i, v)| layout.advice(columns[i % columns.len()], first + i / columns.len(), *v))
            .collect()
    }

    pub(crate) fn witness(&self, layout: &mut Layout<'_, '_>, value: Value<Fr>) -> Word {
        self.witnesses(layout, &[value])[0]
    }

    /// A witness constrained to 0 or 1.
    pub(crate) fn boolean(&self, layout: &mut Layout<'_, '_>, value: bool) -> Result<Word, Error> {
        let bit = self.witness(layout, Value::known(Fr::from(u64::from(value))));
        self.chips.arith.assert_boolean(layout, &bit)?;
        Ok(bit)
    }

    /// `Σ c_i·x_i + k` as a fresh cell.
    pub(crate) fn sum(
        &self,
        layout: &mut Layout<'_, '_>,
        terms: &[(&Word, Fr)],
        constant: Fr,
    ) -> Result<Word, Error> {
        let value = terms.iter().fold(Value::known(constant), |acc, (w, c)| {
            acc + w.value.map(|v| v * c)
        });
        let mut all = vec![Term::Fresh(value, -Fr::ONE)];
        all.extend(terms.iter().map(|(w, c)| Term::Copy(w, *c)));
        self.chips.linear.equation(layout, &all, constant)?[0].cell()
    }

    /// Constrains `Σ c_i·x_i + k = 0`.
    pub(crate) fn assert_sum_zero(
        &self,
        layout: &mut Layout<'_, '_>,
        terms: &[(&Word, Fr)],
        constant: Fr,
    ) -> Result<(), Error> {
        let all: Vec<Term<'_>> = terms.iter().map(|(w, c)| Term::Copy(w, *c)).collect();
        self.chips
            .linear
            .equation(layout, &all, constant)
            .map(|_| ())
    }

    pub(crate) fn mul(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        y: &Word,
    ) -> Result<Word, Error> {
        self.chips.arith.mul(layout, x, y)
    }

    pub(crate) fn add(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        y: &Word,
    ) -> Result<Word, Error> {
        self.chips.arith.add(layout, x, y)
    }

    pub(crate) fn sub(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        y: &Word,
    ) -> Result<Word, Error> {
        self.chips.arith.sub(layout, x, y)
    }

    /// `1 − x`.
    pub(crate) fn not(&self, layout: &mut Layout<'_, '_>, x: &Word) -> Result<Word, Error> {
        self.chips
            .arith
            .linear(layout, (x, -Fr::ONE), (x, Fr::ZERO), Fr::ONE)
    }

    pub(crate) fn or(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        y: &Word,
    ) -> Result<Word, Error> {
        self.chips.arith.or(layout, x, y)
    }

    pub(crate) fn select(
        &self,
        layout: &mut Layout<'_, '_>,
        bit: &Word,
        x: &Word,
        y: &Word,
    ) -> Result<Word, Error> {
        self.chips.arith.select(layout, bit, x, y)
    }

    pub(crate) fn select_point(
        &self,
        layout: &mut Layout<'_, '_>,
        bit: &Word,
        p: &PointWords,
        q: &PointWords,
    ) -> Result<PointWords, Error> {
        Ok(PointWords {
            x: self.select(layout, bit, &p.x, &q.x)?,
            y: self.select(layout, bit, &p.y, &q.y)?,
        })
    }

    pub(crate) fn identity(&self) -> PointWords {
        PointWords {
            x: self.zero,
            y: self.one,
        }
    }

    pub(crate) fn is_zero(&self, layout: &mut Layout<'_, '_>, x: &Word) -> Result<Word, Error> {
        self.chips.arith.is_zero(layout, x)
    }

    /// `[x = y]`.
    pub(crate) fn is_eq(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        y: &Word,
    ) -> Result<Word, Error> {
        let d = self.sub(layout, x, y)?;
        self.is_zero(layout, &d)
    }

    pub(crate) fn assert_equal(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        y: &Word,
    ) -> Result<(), Error> {
        self.chips.arith.assert_equal(layout, x, y)
    }

    /// `cond ⇒ x = y`.
    pub(crate) fn equal_if(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        y: &Word,
        cond: &Word,
    ) -> Result<(), Error> {
        let d = self.sub(layout, x, y)?;
        self.chips.arith.assert_product_zero(layout, cond, &d)
    }

    /// `cond ⇒ x = 0`.
    pub(crate) fn zero_if(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        cond: &Word,
    ) -> Result<(), Error> {
        self.chips.arith.assert_product_zero(layout, cond, x)
    }

    /// `cond ⇒ x ≠ 0`: `cond ? x : 1` has an inverse.
    pub(crate) fn nonzero_if(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        cond: &Word,
    ) -> Result<(), Error> {
        let s = self.select(layout, cond, x, &self.one)?;
        self.chips.arith.assert_nonzero(layout, &s)
    }

    /// The little-endian bytes of `x`, constrained below `2^bits`.
    pub(crate) fn bytes_le(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        bits: usize,
    ) -> Result<Vec<Word>, Error> {
        self.chips.range.check(layout, x, bits)
    }
}
