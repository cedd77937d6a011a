//! The arithmetic glue of the batch statement: one general gate over four cells,
//!
//! ```text
//! q · ( q_m·a·b + q_a·a + q_b·b + q_c·c + q_d·d + q_k ) = 0
//! ```
//!
//! with the coefficients in six fixed columns and `q` a selector (the fixed columns are shared
//! with other chips, whose rows hold other constants there). Each operation below is one or two
//! rows of it, its inputs copied in and its result a fresh cell:
//!
//! | operation | rows | constraint(s) |
//! |---|---|---|
//! | `mul(x, y)` | 1 | `x·y − z = 0` |
//! | `linear(x, kx, y, ky, k)` | 1 | `kx·x + ky·y + k − z = 0` |
//! | `mul_add(x, y, w)` | 1 | `x·y + w − z = 0` |
//! | `assert_boolean(x)` | 1 | `x·x − x = 0` |
//! | `assert_zero(x)` | 1 | `x = 0` |
//! | `or(x, y)` | 1 | `x + y − x·y − z = 0` (booleans `x`, `y`) |
//! | `assert_equal(x, y)` | 1 | `x − y = 0` |
//! | `assert_product_zero(x, y)` | 1 | `x·y = 0` (with `x` a condition: `x ⇒ y = 0`) |
//! | `assert_nonzero(x)` | 1 | `x·w − 1 = 0` (`w` a witness inverse) |
//! | `select(bit, x, y)` | 2 | `t = x − y`, `z = bit·t + y` (the caller makes `bit` boolean) |
//! | `is_zero(x)` | 2 | `x·w + z − 1 = 0`, `x·z = 0` (`z = [x = 0]`, `w` a witness inverse) |
//!
//! An R1CS constraint of the R1CS circuit is about one row here; the gate's degree is 3 with its
//! selector. It uses 4 copyable and 6 fixed shared columns.

use crate::layout::{Layout, SharedColumns, Word};
use crate::Fr;
use halo2_proofs::circuit::Value;
use halo2_proofs::halo2curves::ff::Field as _;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Fixed, Selector};
use halo2_proofs::poly::Rotation;

/// The general gate's columns.
#[derive(Debug, Clone)]
pub struct ArithConfig {
    cells: [Column<Advice>; 4],
    coefficients: [Column<Fixed>; 6],
    enable: Selector,
}

/// One row's coefficients: `q_m, q_a, q_b, q_c, q_d, q_k`.
#[derive(Debug, Clone, Copy, Default)]
struct Row {
    m: Fr,
    a: Fr,
    b: Fr,
    c: Fr,
    d: Fr,
    k: Fr,
}

/// What goes in a cell of a row: a copy of a word, or a fresh value.
#[derive(Debug, Clone, Copy)]
enum Cell<'w> {
    Copy(&'w Word),
    Fresh(Value<Fr>),
    Empty,
}

impl ArithConfig {
    /// Adds the gate over the shared columns.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &SharedColumns) -> Self {
        shared.require("the arithmetic chip", 4, 0, 6);
        let config = Self {
            cells: [
                shared.copyable[0],
                shared.copyable[1],
                shared.copyable[2],
                shared.copyable[3],
            ],
            coefficients: [
                shared.fixed[0],
                shared.fixed[1],
                shared.fixed[2],
                shared.fixed[3],
                shared.fixed[4],
                shared.fixed[5],
            ],
            enable: meta.selector(),
        };
        meta.create_gate("arithmetic", |meta| {
            let q = meta.query_selector(config.enable);
            let [a, b, c, d] = config.cells.map(|c| meta.query_advice(c, Rotation::cur()));
            let [qm, qa, qb, qc, qd, qk] = config
                .coefficients
                .map(|c| meta.query_fixed(c, Rotation::cur()));
            vec![q * (qm * a.clone() * b.clone() + qa * a + qb * b + qc * c + qd * d + qk)]
        });
        config
    }

    /// Lays out one row; returns its cells, `None` for the `Empty` ones (left unassigned, which
    /// is 0 in the proof: their coefficient is 0, so no value of theirs matters).
    fn row(
        &self,
        layout: &mut Layout<'_, '_>,
        cells: [Cell<'_>; 4],
        coefficients: Row,
    ) -> Result<[Option<Word>; 4], Error> {
        let row = layout.take_rows(1);
        layout.enable(self.enable, row)?;
        let Row { m, a, b, c, d, k } = coefficients;
        for (column, value) in self.coefficients.iter().zip([m, a, b, c, d, k]) {
            layout.fixed(*column, row, value);
        }
        let mut words = [None; 4];
        for ((column, cell), word) in self.cells.iter().zip(cells).zip(&mut words) {
            *word = match cell {
                Cell::Copy(copied) => Some(layout.copy(copied, *column, row)),
                Cell::Fresh(value) => Some(layout.advice(*column, row, value)),
                Cell::Empty => None,
            };
        }
        Ok(words)
    }

    /// `x·y`.
    pub fn mul(&self, layout: &mut Layout<'_, '_>, x: &Word, y: &Word) -> Result<Word, Error> {
        let z = x.value * y.value;
        let cells = [Cell::Copy(x), Cell::Copy(y), Cell::Empty, Cell::Fresh(z)];
        let coefficients = Row {
            m: Fr::ONE,
            d: -Fr::ONE,
            ..Row::default()
        };
        self.row(layout, cells, coefficients)?[3].ok_or(Error::Synthesis)
    }

    /// `kx·x + ky·y + k`.
    pub fn linear(
        &self,
        layout: &mut Layout<'_, '_>,
        (x, kx): (&Word, Fr),
        (y, ky): (&Word, Fr),
        k: Fr,
    ) -> Result<Word, Error> {
        let z = x.value.map(|x| x * kx) + y.value.map(|y| y * ky) + Value::known(k);
        let cells = [Cell::Copy(x), Cell::Copy(y), Cell::Empty, Cell::Fresh(z)];
        let coefficients = Row {
            a: kx,
            b: ky,
            d: -Fr::ONE,
            k,
            ..Row::default()
        };
        self.row(layout, cells, coefficients)?[3].ok_or(Error::Synthesis)
    }

    /// `x + y`.
    pub fn add(&self, layout: &mut Layout<'_, '_>, x: &Word, y: &Word) -> Result<Word, Error> {
        self.linear(layout, (x, Fr::ONE), (y, Fr::ONE), Fr::ZERO)
    }

    /// `x − y`.
    pub fn sub(&self, layout: &mut Layout<'_, '_>, x: &Word, y: &Word) -> Result<Word, Error> {
        self.linear(layout, (x, Fr::ONE), (y, -Fr::ONE), Fr::ZERO)
    }

    /// `x·y + w`.
    pub fn mul_add(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        y: &Word,
        w: &Word,
    ) -> Result<Word, Error> {
        let z = x.value * y.value + w.value;
        let cells = [Cell::Copy(x), Cell::Copy(y), Cell::Copy(w), Cell::Fresh(z)];
        let coefficients = Row {
            m: Fr::ONE,
            c: Fr::ONE,
            d: -Fr::ONE,
            ..Row::default()
        };
        self.row(layout, cells, coefficients)?[3].ok_or(Error::Synthesis)
    }

    /// Constrains `x ∈ {0, 1}`.
    pub fn assert_boolean(&self, layout: &mut Layout<'_, '_>, x: &Word) -> Result<(), Error> {
        let cells = [Cell::Copy(x), Cell::Copy(x), Cell::Empty, Cell::Empty];
        let coefficients = Row {
            m: Fr::ONE,
            a: -Fr::ONE,
            ..Row::default()
        };
        self.row(layout, cells, coefficients).map(|_| ())
    }

    /// Constrains `x = 0`.
    pub fn assert_zero(&self, layout: &mut Layout<'_, '_>, x: &Word) -> Result<(), Error> {
        let cells = [Cell::Copy(x), Cell::Empty, Cell::Empty, Cell::Empty];
        let coefficients = Row {
            a: Fr::ONE,
            ..Row::default()
        };
        self.row(layout, cells, coefficients).map(|_| ())
    }

    /// `x ∨ y` for booleans `x`, `y`: `x + y − x·y`.
    pub fn or(&self, layout: &mut Layout<'_, '_>, x: &Word, y: &Word) -> Result<Word, Error> {
        let z = x.value + y.value - x.value * y.value;
        let cells = [Cell::Copy(x), Cell::Copy(y), Cell::Empty, Cell::Fresh(z)];
        let coefficients = Row {
            m: -Fr::ONE,
            a: Fr::ONE,
            b: Fr::ONE,
            d: -Fr::ONE,
            ..Row::default()
        };
        self.row(layout, cells, coefficients)?[3].ok_or(Error::Synthesis)
    }

    /// Constrains `x = y`.
    pub fn assert_equal(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        y: &Word,
    ) -> Result<(), Error> {
        let cells = [Cell::Copy(x), Cell::Copy(y), Cell::Empty, Cell::Empty];
        let coefficients = Row {
            a: Fr::ONE,
            b: -Fr::ONE,
            ..Row::default()
        };
        self.row(layout, cells, coefficients).map(|_| ())
    }

    /// Constrains `x·y = 0`: for a boolean condition `x`, `x ⇒ y = 0`.
    pub fn assert_product_zero(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        y: &Word,
    ) -> Result<(), Error> {
        let cells = [Cell::Copy(x), Cell::Copy(y), Cell::Empty, Cell::Empty];
        let coefficients = Row {
            m: Fr::ONE,
            ..Row::default()
        };
        self.row(layout, cells, coefficients).map(|_| ())
    }

    /// Constrains `x ≠ 0`, by a witness inverse.
    pub fn assert_nonzero(&self, layout: &mut Layout<'_, '_>, x: &Word) -> Result<(), Error> {
        let inverse = x.value.map(|x| x.invert().unwrap_or(Fr::ZERO));
        let cells = [
            Cell::Copy(x),
            Cell::Fresh(inverse),
            Cell::Empty,
            Cell::Empty,
        ];
        let coefficients = Row {
            m: Fr::ONE,
            k: -Fr::ONE,
            ..Row::default()
        };
        self.row(layout, cells, coefficients).map(|_| ())
    }

    /// `bit ? x : y`, for a `bit` the caller has made boolean.
    pub fn select(
        &self,
        layout: &mut Layout<'_, '_>,
        bit: &Word,
        x: &Word,
        y: &Word,
    ) -> Result<Word, Error> {
        let difference = self.sub(layout, x, y)?;
        self.mul_add(layout, bit, &difference, y)
    }

    /// `[x = 0]` as a boolean cell.
    pub fn is_zero(&self, layout: &mut Layout<'_, '_>, x: &Word) -> Result<Word, Error> {
        let inverse = x.value.map(|x| x.invert().unwrap_or(Fr::ZERO));
        let zero = x
            .value
            .map(|x| Fr::from(u64::from(bool::from(x.is_zero()))));
        // x·w + z − 1 = 0: z = 1 − x·w, which is 0 for x ≠ 0 (w = 1/x) and 1 for x = 0.
        let cells = [
            Cell::Copy(x),
            Cell::Fresh(inverse),
            Cell::Empty,
            Cell::Fresh(zero),
        ];
        let coefficients = Row {
            m: Fr::ONE,
            d: Fr::ONE,
            k: -Fr::ONE,
            ..Row::default()
        };
        let z = self.row(layout, cells, coefficients)?[3].ok_or(Error::Synthesis)?;
        // x·z = 0: for x ≠ 0 a prover may not claim z = 1 with another w.
        let cells = [Cell::Copy(x), Cell::Copy(&z), Cell::Empty, Cell::Empty];
        let coefficients = Row {
            m: Fr::ONE,
            ..Row::default()
        };
        self.row(layout, cells, coefficients)?;
        Ok(z)
    }
}

#[cfg(test)]
mod tests;
