//! EdDSA-Poseidon verification, accepting what `zksettle_core::eddsa` accepts for keys that can
//! sign: the statement of `zksettle_circuits::gadgets::eddsa`, laid out on the Baby Jubjub and
//! Poseidon chips.
//!
//! For message `m`, key `A` and signature `(R8, S)`, with `enabled` a boolean cell:
//!
//! ```text
//! R8 on the curve                                     1 row
//! A on the curve, A8 = 8·A                            4 rows (3 doublings)
//! h  = Poseidon(R8.x, R8.y, A.x, A.y, m)              69 rows
//! P  = R8 + h·A8,  h in 254 bits, h ≤ r − 1           255 rows (canonical bits of h)
//! Q  = S·B8,       S in 251 bits, S ≤ l − 1           252 rows (no S + l malleation)
//! enabled ⇒ A8.x ≠ 0 and Q = P                        1 row: A8 = O would let S·B8 = R8 sign anything
//! ```
//!
//! 582 rows and 5,092 advice cells in all (`2 + 8 + 522 + 2,290 + 2,263 + 7`), against the R1CS
//! gadget's 5,779 constraints. As
//! there, a disabled check is switched off, not skipped: the same cells are satisfiable by any
//! key and nonce on the curve, any `S ≤ l − 1` and any message, so every transaction slot of a
//! batch lays out the same.
//!
//! The check row holds `Q` in `(x, y)`, `P` in `(bx, by)`, `enabled` in `bit`, `A8.x` in `β` and
//! its witnessed inverse `w` in `γ`, under
//!
//! ```text
//! enabled·(1 − enabled) = 0,  enabled·(x − bx) = 0,  enabled·(y − by) = 0,  enabled·(β·w − 1) = 0
//! ```
//!
//! `R8` in the prime-order subgroup follows from `R8 = S·B8 − h·A8`, as in the R1CS gadget; `A`
//! is only required to be on the curve, since every key in the account tree passed the native
//! subgroup check when it entered.

use crate::babyjubjub::{CurveConfig, Operand, PointWords};
use crate::layout::{Layout, SharedColumns, Word};
use crate::poseidon::PoseidonConfig;
use crate::Fr;
use ark_ff::PrimeField as _;
use halo2_proofs::halo2curves::ff::Field as _;
use halo2_proofs::plonk::{ConstraintSystem, Error, Expression, Selector};
use halo2_proofs::poly::Rotation;
use zksettle_core::babyjubjub::{Point, SubgroupScalar};

/// Bits of `S`: the subgroup order `l` is below `2^251`.
pub const SCALAR_BITS: usize = 251;
/// Bits of the challenge `h`, a field element.
pub const CHALLENGE_BITS: usize = 254;

/// A signature in cells.
#[derive(Debug, Clone, Copy)]
pub struct SignatureWords {
    /// The nonce point.
    pub r8: PointWords,
    /// The response scalar, as the integer it is.
    pub s: Word,
}

/// The gates of EdDSA-Poseidon: the curve's and the final check's.
#[derive(Debug, Clone)]
pub struct EddsaConfig {
    curve: CurveConfig,
    check: Selector,
}

/// `modulus − 1` as little-endian limbs (the moduli are odd: no borrow).
fn minus_one(mut limbs: [u64; 4]) -> [u64; 4] {
    limbs[0] -= 1;
    limbs
}

impl EddsaConfig {
    /// Adds the curve's gates and the final check's over the shared columns. The Poseidon chip
    /// the signatures are verified with must hash 5 inputs.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &SharedColumns) -> Self {
        let curve = CurveConfig::configure(meta, shared);
        let check = meta.selector();
        meta.create_gate("eddsa check", |meta| {
            let q = meta.query_selector(check);
            let cur = |meta: &mut halo2_proofs::plonk::VirtualCells<'_, Fr>, c| {
                meta.query_advice(c, Rotation::cur())
            };
            let enabled = q * cur(meta, curve.bit);
            let (qx, qy) = (cur(meta, curve.x), cur(meta, curve.y));
            let (px, py) = (cur(meta, curve.bx), cur(meta, curve.by));
            let (a8x, inverse) = (cur(meta, curve.beta), cur(meta, curve.gamma));
            let one = Expression::Constant(Fr::ONE);
            vec![
                enabled.clone() * (one.clone() - cur(meta, curve.bit)),
                enabled.clone() * (qx - px),
                enabled.clone() * (qy - py),
                enabled * (a8x * inverse - one),
            ]
        });
        Self { curve, check }
    }

    /// The curve chip, for other uses of its gates.
    pub fn curve(&self) -> &CurveConfig {
        &self.curve
    }

    /// Constrains, when `enabled` holds 1, that `signature` signs `message` under `key`; with
    /// `enabled` 0 only that `key` and `signature.r8` are on the curve and `S ≤ l − 1`.
    /// `enabled` must hold 0 or 1 (this constrains it too).
    pub fn verify_if(
        &self,
        layout: &mut Layout<'_, '_>,
        poseidon: &PoseidonConfig,
        message: &Word,
        key: &PointWords,
        signature: &SignatureWords,
        enabled: &Word,
    ) -> Result<(), Error> {
        let curve = &self.curve;
        curve.assert_on_curve(layout, &signature.r8)?;
        let a8 = curve.on_curve_times_eight(layout, key)?;
        let r8 = &signature.r8;
        let h = poseidon.hash(layout, &[r8.x, r8.y, key.x, key.y, *message])?;
        let p = curve.mul_add(
            layout,
            &h,
            CHALLENGE_BITS,
            minus_one(zksettle_core::Fr::MODULUS.0),
            Operand::Cells(a8),
            Operand::Cells(*r8),
        )?;
        let q = curve.mul_add(
            layout,
            &signature.s,
            SCALAR_BITS,
            minus_one(SubgroupScalar::MODULUS.0),
            Operand::Constant(Point::base8()),
            Operand::Constant(Point::IDENTITY),
        )?;

        let row = layout.take_rows(1);
        layout.enable(self.check, row)?;
        layout.copy(&q.x, curve.x, row);
        layout.copy(&q.y, curve.y, row);
        layout.copy(&p.x, curve.bx, row);
        layout.copy(&p.y, curve.by, row);
        layout.copy(enabled, curve.bit, row);
        layout.copy(&a8.x, curve.beta, row);
        let inverse = a8.x.value.map(|x| x.invert().unwrap_or(Fr::ZERO));
        layout.advice(curve.gamma, row, inverse);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
