//! Baby Jubjub in circomlib's coordinates (`a·x² + y² = 1 + d·x²·y²`, `a = 168700`,
//! `d = 168696`) as custom gates: an on-curve check, a doubling, and one row per bit of a
//! scalar multiplication.
//!
//! The twisted Edwards laws used are complete on this curve (`a` is a square and `d` is not), so
//! for points on the curve no denominator vanishes and the gates need no case split: the
//! identity and doubling included. Every point entering a chain is on the curve (checked by the
//! caller: a key and a nonce by [`CurveConfig::assert_on_curve`], constants by construction), and
//! sums and doubles of points on the curve stay on it.
//!
//! ## The gates (all of degree ≤ 5 with their selector)
//!
//! ```text
//! on curve (bx, by):   a·bx² + by² − 1 − d·bx²·by²                           = 0
//! double   (bx, by) → (bx', by') on the next row:
//!                      bx'·(a·bx² + by²) − 2·bx·by                             = 0
//!                      by'·(2 − a·bx² − by²) − (by² − a·bx²)                   = 0
//! step     (one bit b of k·B + P: acc (x, y), base (bx, by), running sum z, comparison le):
//!                      b·(1 − b)                                              = 0
//!                      z − (2·z' + b)                                          = 0
//!                      β − x·by,   γ − y·bx                                    = 0
//!                      x'·(1 + b·d·β·γ) − (b·(β + γ) + (1 − b)·x)              = 0
//!                      y'·(1 − b·d·β·γ) − (b·((y − a·x)·(bx + by) + a·β − γ) + (1 − b)·y) = 0
//!                      le' − (e·le + (1 − e)·k),   e = 1 − (b − k)²           = 0
//! ```
//!
//! A step adds the base to the accumulator when its bit is set (the addition law with
//! `β = x₁·y₂`, `γ = y₁·x₂` witnessed, so the gate stays at degree 5) and keeps it otherwise; the
//! same row doubles the base for the next bit. The bits run from the low one, so the running sum
//! goes down: `z_i = 2·z_{i+1} + b_i` with `z_n = 0` makes `z_0 = Σ b_i·2^i` the scalar. The
//! comparison flag `le_i` says the low `i` bits, as an integer, are at most those of the bound `k`
//! (a fixed column): equal bits keep it, a differing bit sets it to the bound's bit. With
//! `le_0 = 1` and `le_n = 1` the scalar is at most the bound, which makes its bits canonical when
//! the bound is `r − 1`, and an EdDSA `S` unmalleable when it is `l − 1`.
//!
//! A multiplication of an `n`-bit scalar takes `n + 1` rows and `9·n + 4` advice cells (bit, β,
//! γ, and the next row's x, y, z, le, bx, by; the last row has no base).

use crate::layout::{Layout, SharedColumns, Word};
use crate::Fr;
use halo2_proofs::circuit::Value;
use halo2_proofs::halo2curves::ff::{Field as _, PrimeField as _};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use zksettle_core::babyjubjub::{Point, COEFF_A, COEFF_D};

/// A point in assigned cells.
#[derive(Debug, Clone, Copy)]
pub struct PointWords {
    /// x coordinate.
    pub x: Word,
    /// y coordinate.
    pub y: Word,
}

impl PointWords {
    /// Both coordinates' values.
    pub fn value(&self) -> Value<(Fr, Fr)> {
        self.x.value.zip(self.y.value)
    }
}

/// Where a multiplication's starting accumulator or base comes from.
#[derive(Debug, Clone, Copy)]
pub enum Operand {
    /// Copied from cells (the caller has put it on the curve).
    Cells(PointWords),
    /// A constant point on the curve.
    Constant(Point),
}

/// The columns and gates of the curve. It uses 8 copyable, 1 plain and 1 fixed shared column.
#[derive(Debug, Clone)]
pub struct CurveConfig {
    pub(crate) x: Column<Advice>,
    pub(crate) y: Column<Advice>,
    pub(crate) bx: Column<Advice>,
    pub(crate) by: Column<Advice>,
    pub(crate) bit: Column<Advice>,
    pub(crate) z: Column<Advice>,
    pub(crate) le: Column<Advice>,
    pub(crate) beta: Column<Advice>,
    pub(crate) gamma: Column<Advice>,
    bound: Column<Fixed>,
    on_curve: Selector,
    double: Selector,
    step: Selector,
}

fn coeff_a() -> Fr {
    Fr::from(COEFF_A)
}

fn coeff_d() -> Fr {
    Fr::from(COEFF_D)
}

/// `num / den`, or 0 where `den = 0` (which no point on the curve reaches; a tampered witness
/// may, and the gate then refuses it unless `num = 0` too).
fn divide(num: Fr, den: Fr) -> Fr {
    num * den.invert().unwrap_or(Fr::ZERO)
}

/// The point as the circuit's field elements.
pub fn coordinates(p: &Point) -> (Fr, Fr) {
    (
        crate::field::to_circuit(&p.x),
        crate::field::to_circuit(&p.y),
    )
}

/// `2·(x, y)`, as the double gate relates the rows.
fn double((x, y): (Fr, Fr)) -> (Fr, Fr) {
    let (xx, yy) = (x.square(), y.square());
    let a_xx = coeff_a() * xx;
    (
        divide(x * y * Fr::from(2), a_xx + yy),
        divide(yy - a_xx, Fr::from(2) - a_xx - yy),
    )
}

/// The products `β = x·by` and `γ = y·bx` a step witnesses.
fn products((x, y): (Fr, Fr), (bx, by): (Fr, Fr)) -> (Fr, Fr) {
    (x * by, y * bx)
}

/// The accumulator after a step, `acc + base` if `bit` is set and `acc` if not, from the cells
/// of its row as assigned (the products included), as the step gate relates them.
fn add_or_keep((x, y): (Fr, Fr), (bx, by): (Fr, Fr), bit: Fr, (beta, gamma): (Fr, Fr)) -> (Fr, Fr) {
    let d_bg = coeff_d() * beta * gamma;
    let keep = Fr::ONE - bit;
    let sum_y = (y - coeff_a() * x) * (bx + by) + coeff_a() * beta - gamma;
    (
        divide(bit * (beta + gamma) + keep * x, Fr::ONE + bit * d_bg),
        divide(bit * sum_y + keep * y, Fr::ONE - bit * d_bg),
    )
}

/// Bit `i` of the canonical little-endian encoding of `x`.
fn bit_of(x: &Fr, i: usize) -> bool {
    let repr = x.to_repr();
    i < 256 && (repr[i / 8] >> (i % 8)) & 1 == 1
}

impl CurveConfig {
    /// Adds the gates over the circuit's shared columns.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &SharedColumns) -> Self {
        shared.require("the Baby Jubjub chip", 8, 1, 1);
        let c = &shared.copyable;
        let config = Self {
            x: c[0],
            y: c[1],
            bx: c[2],
            by: c[3],
            bit: c[4],
            z: c[5],
            le: c[6],
            beta: c[7],
            gamma: shared.plain[0],
            bound: shared.fixed[0],
            on_curve: meta.selector(),
            double: meta.selector(),
            step: meta.selector(),
        };
        config.add_gates(meta);
        config
    }

    fn add_gates(&self, meta: &mut ConstraintSystem<Fr>) {
        let a = || Expression::Constant(coeff_a());
        let d = || Expression::Constant(coeff_d());
        let one = || Expression::Constant(Fr::ONE);
        let two = || Expression::Constant(Fr::from(2));

        meta.create_gate("babyjubjub on curve", |meta| {
            let q = meta.query_selector(self.on_curve);
            let bx = meta.query_advice(self.bx, Rotation::cur());
            let by = meta.query_advice(self.by, Rotation::cur());
            let (xx, yy) = (bx.clone() * bx, by.clone() * by);
            vec![q * (a() * xx.clone() + yy.clone() - one() - d() * xx * yy)]
        });

        meta.create_gate("babyjubjub double", |meta| {
            let q = meta.query_selector(self.double);
            let bx = meta.query_advice(self.bx, Rotation::cur());
            let by = meta.query_advice(self.by, Rotation::cur());
            let bx_next = meta.query_advice(self.bx, Rotation::next());
            let by_next = meta.query_advice(self.by, Rotation::next());
            let a_xx = a() * bx.clone() * bx.clone();
            let yy = by.clone() * by.clone();
            vec![
                q.clone() * (bx_next * (a_xx.clone() + yy.clone()) - two() * bx * by),
                q * (by_next * (two() - a_xx.clone() - yy.clone()) - (yy - a_xx)),
            ]
        });

        meta.create_gate("babyjubjub step", |meta| {
            let q = meta.query_selector(self.step);
            let cur = |meta: &mut halo2_proofs::plonk::VirtualCells<'_, Fr>, c| {
                meta.query_advice(c, Rotation::cur())
            };
            let (x, y, bx, by) = (
                cur(meta, self.x),
                cur(meta, self.y),
                cur(meta, self.bx),
                cur(meta, self.by),
            );
            let (bit, z, le) = (cur(meta, self.bit), cur(meta, self.z), cur(meta, self.le));
            let (beta, gamma) = (cur(meta, self.beta), cur(meta, self.gamma));
            let x_next = meta.query_advice(self.x, Rotation::next());
            let y_next = meta.query_advice(self.y, Rotation::next());
            let z_next = meta.query_advice(self.z, Rotation::next());
            let le_next = meta.query_advice(self.le, Rotation::next());
            let k = meta.query_fixed(self.bound, Rotation::cur());

            let keep = one() - bit.clone();
            let b_dbg = bit.clone() * d() * beta.clone() * gamma.clone();
            let sum_y = (y.clone() - a() * x.clone()) * (bx.clone() + by.clone())
                + a() * beta.clone()
                - gamma.clone();
            let differ = bit.clone() - k.clone();
            let equal = one() - differ.clone() * differ;
            vec![
                q.clone() * (bit.clone() * keep.clone()),
                q.clone() * (z - (two() * z_next + bit.clone())),
                q.clone() * (beta.clone() - x.clone() * by),
                q.clone() * (gamma.clone() - y.clone() * bx),
                q.clone()
                    * (x_next * (one() + b_dbg.clone())
                        - (bit.clone() * (beta + gamma) + keep.clone() * x)),
                q.clone() * (y_next * (one() - b_dbg) - (bit * sum_y + keep * y)),
                q * (le_next - (equal.clone() * le + (one() - equal) * k)),
            ]
        });
    }

    /// Constrains `p` to the curve (one row).
    pub fn assert_on_curve(
        &self,
        layout: &mut Layout<'_, '_>,
        p: &PointWords,
    ) -> Result<(), Error> {
        let row = layout.take_rows(1);
        layout.copy(&p.x, self.bx, row);
        layout.copy(&p.y, self.by, row);
        layout.enable(self.on_curve, row)
    }

    /// `8·p` for `p` constrained to the curve here (four rows: the cofactor clearing of a key).
    pub fn on_curve_times_eight(
        &self,
        layout: &mut Layout<'_, '_>,
        p: &PointWords,
    ) -> Result<PointWords, Error> {
        let first = layout.take_rows(4);
        layout.enable(self.on_curve, first)?;
        let mut point = PointWords {
            x: layout.copy(&p.x, self.bx, first),
            y: layout.copy(&p.y, self.by, first),
        };
        for row in first..first + 3 {
            layout.enable(self.double, row)?;
            let doubled = point.value().map(double);
            point = PointWords {
                x: layout.advice(self.bx, row + 1, doubled.map(|p| p.0)),
                y: layout.advice(self.by, row + 1, doubled.map(|p| p.1)),
            };
        }
        Ok(point)
    }

    /// `start + k·base` for the `bits`-bit scalar `k` in `scalar`, constrained to
    /// `k ≤ bound` as integers (`bound` as little-endian 64-bit limbs) and `k < 2^bits`, so that
    /// `scalar` holds exactly `k` when the bound is below `r`. `bits + 1` rows; `bits` outside
    /// 1 to 254 is [`Error::Synthesis`].
    pub fn mul_add(
        &self,
        layout: &mut Layout<'_, '_>,
        scalar: &Word,
        bits: usize,
        bound: [u64; 4],
        base: Operand,
        start: Operand,
    ) -> Result<PointWords, Error> {
        if bits == 0 || bits > Fr::NUM_BITS as usize {
            return Err(Error::Synthesis);
        }
        let first = layout.take_rows(bits + 1);
        let place = |layout: &mut Layout<'_, '_>, operand, (cx, cy), row| -> Result<_, Error> {
            Ok(match operand {
                Operand::Cells(p) => PointWords {
                    x: layout.copy(&p.x, cx, row),
                    y: layout.copy(&p.y, cy, row),
                },
                Operand::Constant(p) => {
                    let (x, y) = coordinates(&p);
                    PointWords {
                        x: layout.constant(x, cx, row)?,
                        y: layout.constant(y, cy, row)?,
                    }
                }
            })
        };
        let mut acc = place(layout, start, (self.x, self.y), first)?;
        let mut base = place(layout, base, (self.bx, self.by), first)?;
        let mut z = layout.copy(scalar, self.z, first);
        let mut le = layout.constant(Fr::ONE, self.le, first)?;

        let half = Fr::from(2).invert().unwrap_or(Fr::ZERO);
        for i in 0..bits {
            let row = first + i;
            let last = i + 1 == bits;
            let k = Fr::from(bound[i / 64] >> (i % 64) & 1);
            layout.enable(self.step, row)?;
            if !last {
                layout.enable(self.double, row)?;
            }
            layout.fixed(self.bound, row, k);
            let bit_value = scalar.value.map(|s| Fr::from(bit_of(&s, i)));
            let bit = layout.advice(self.bit, row, bit_value).value;
            // Each step goes on from the cells as assigned, so a tampered cell is carried
            // forward as a cheating prover would, and only the gate it breaks can catch it.
            let (acc_value, base_value) = (acc.value(), base.value());
            let witnessed = acc_value.zip(base_value).map(|(p, b)| products(p, b));
            let beta = layout.advice(self.beta, row, witnessed.map(|w| w.0));
            let gamma = layout.advice(self.gamma, row, witnessed.map(|w| w.1));
            let next = acc_value
                .zip(base_value)
                .zip(bit.zip(beta.value.zip(gamma.value)))
                .map(|((p, b), (bit, w))| add_or_keep(p, b, bit, w));
            acc = PointWords {
                x: layout.advice(self.x, row + 1, next.map(|p| p.0)),
                y: layout.advice(self.y, row + 1, next.map(|p| p.1)),
            };
            if last {
                // The scalar is used up and within the bound.
                layout.constant(Fr::ZERO, self.z, row + 1)?;
                layout.constant(Fr::ONE, self.le, row + 1)?;
                break;
            }
            let z_next = z.value.zip(bit).map(|(z, b)| (z - b) * half);
            let le_next = le.value.zip(bit).map(|(le, b)| if b == k { le } else { k });
            z = layout.advice(self.z, row + 1, z_next);
            le = layout.advice(self.le, row + 1, le_next);
            let doubled = base_value.map(double);
            base = PointWords {
                x: layout.advice(self.bx, row + 1, doubled.map(|p| p.0)),
                y: layout.advice(self.by, row + 1, doubled.map(|p| p.1)),
            };
        }
        Ok(acc)
    }
}

#[cfg(test)]
mod tests;
