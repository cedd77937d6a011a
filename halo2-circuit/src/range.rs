//! Range checks by lookup: `x < 2^n` by a running sum of bytes, each looked up in a 256-row
//! table.
//!
//! For `m = ⌈n/8⌉` limbs, rows `0 … m` hold the running sum `z_i` and the limb `l_i` (both
//! copyable: a caller may copy the limbs out), with `z_0 = x` (copied in) and `z_m = 0` (a constant):
//!
//! ```text
//! step (rows 0 … m−1):   z_i − 256·z_{i+1} − l_i = 0,   l_i ∈ {0, …, 255}         (lookup)
//! top  (row m−1, if r = n mod 8 ≠ 0):   l_{m−1}·2^(8−r) ∈ {0, …, 255}              (lookup)
//! ```
//!
//! so `x = Σ l_i·256^i` with every limb a byte and the top one below `2^r`: `x < 2^n` as an
//! integer. `m ≤ 31` keeps `256^m < r`, so the limbs are unique (no wrap-around mod r), and a
//! caller may use them as the bytes of `x`. A check takes `m + 1` rows and `2·m + 1` advice
//! cells: 17 rows for a balance (128 bits) against the R1CS range check's 129 constraints.
//!
//! The shift `2^(8−r)` of the top row is a fixed column of the chip's own, so checks of
//! different widths share the two lookups. The step lookup's input is multiplied by its
//! selector (a complex selector, as halo2 requires in a lookup); the top lookup's is the limb
//! times the shift, which is 0 on every other row. Either way rows without a check look up 0,
//! which the table holds. The top input stays of degree 2: a lookup of an input of degree `d`
//! is a constraint of degree `d + 3`, and `halo2-axiom` proves constraints up to degree 5 (a
//! selector on top, degree 6, satisfied the MockProver but not a real proof).

use crate::layout::{Layout, SharedColumns, Word};
use crate::Fr;
use halo2_proofs::circuit::{Layouter, Value};
use halo2_proofs::halo2curves::ff::{Field as _, PrimeField as _};
use halo2_proofs::plonk::{
    Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector, TableColumn,
};
use halo2_proofs::poly::Rotation;

/// Bits per limb.
pub const LIMB_BITS: usize = 8;
/// The widest check: 31 limbs (`2^248 < r`).
pub const MAX_RANGE_BITS: usize = 248;

/// The table, lookups and gate of range checks. It uses 2 copyable shared columns, and a fixed
/// column and a table column of its own.
#[derive(Debug, Clone)]
pub struct RangeConfig {
    z: Column<Advice>,
    limb: Column<Advice>,
    shift: Column<Fixed>,
    bytes: TableColumn,
    step: Selector,
}

impl RangeConfig {
    /// Adds the table column, the two lookups and the running-sum gate.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &SharedColumns) -> Self {
        shared.require("the range chip", 2, 0, 0);
        let config = Self {
            z: shared.copyable[0],
            limb: shared.copyable[1],
            shift: meta.fixed_column(),
            bytes: meta.lookup_table_column(),
            step: meta.complex_selector(),
        };
        meta.create_gate("range step", |meta| {
            let q = meta.query_selector(config.step);
            let z = meta.query_advice(config.z, Rotation::cur());
            let z_next = meta.query_advice(config.z, Rotation::next());
            let limb = meta.query_advice(config.limb, Rotation::cur());
            let radix = Expression::Constant(Fr::from(1 << LIMB_BITS));
            vec![q * (z - radix * z_next - limb)]
        });
        meta.lookup("range limb", |meta| {
            let q = meta.query_selector(config.step);
            let limb = meta.query_advice(config.limb, Rotation::cur());
            vec![(q * limb, config.bytes)]
        });
        meta.lookup("range top limb", |meta| {
            let limb = meta.query_advice(config.limb, Rotation::cur());
            let shift = meta.query_fixed(config.shift, Rotation::cur());
            vec![(limb * shift, config.bytes)]
        });
        config
    }

    /// Fills the byte table (once per circuit, outside the layout's region).
    pub fn load_table(&self, layouter: &mut impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_table(
            || "bytes",
            |mut table| {
                for byte in 0..1u64 << LIMB_BITS {
                    table.assign_cell(
                        || "byte",
                        self.bytes,
                        byte as usize,
                        || Value::known(Fr::from(byte)),
                    )?;
                }
                Ok(())
            },
        )
    }

    /// Constrains `x < 2^bits` and returns its limbs, little-endian bytes. `bits` outside 1 to
    /// [`MAX_RANGE_BITS`] is [`Error::Synthesis`].
    pub fn check(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Word,
        bits: usize,
    ) -> Result<Vec<Word>, Error> {
        if bits == 0 || bits > MAX_RANGE_BITS {
            return Err(Error::Synthesis);
        }
        let limbs = bits.div_ceil(LIMB_BITS);
        let first = layout.take_rows(limbs + 1);
        let mut z = layout.copy(x, self.z, first);
        let radix_inverse = Fr::from(1 << LIMB_BITS).invert().unwrap_or(Fr::ZERO);
        let mut words = Vec::with_capacity(limbs);
        for i in 0..limbs {
            let row = first + i;
            layout.enable(self.step, row)?;
            let top_bits = bits - i * LIMB_BITS;
            if top_bits < LIMB_BITS {
                layout.fixed(self.shift, row, Fr::from(1 << (LIMB_BITS - top_bits)));
            }
            let value = z.value.map(|z| Fr::from(u64::from(z.to_repr()[0])));
            let limb = layout.advice(self.limb, row, value);
            // The running sum goes on from the cells as assigned (a cheating prover's view).
            let next = z
                .value
                .zip(limb.value)
                .map(|(z, l)| (z - l) * radix_inverse);
            z = if i + 1 == limbs {
                layout.constant(Fr::ZERO, self.z, row + 1)?
            } else {
                layout.advice(self.z, row + 1, next)
            };
            words.push(limb);
        }
        Ok(words)
    }
}

#[cfg(test)]
mod tests;
