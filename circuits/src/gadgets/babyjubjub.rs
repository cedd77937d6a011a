//! Baby Jubjub in R1CS, in circomlib's coordinates: `a·x² + y² = 1 + d·x²·y²` with
//! `a = 168700`, `d = 168696`.
//!
//! Addition uses the twisted Edwards formulas, complete on this curve (`a` is a square and `d`
//! is not, so no denominator vanishes for points on the curve and no case needs special
//! handling — the identity and doubling included):
//!
//! ```text
//! β = x₁·y₂   γ = y₁·x₂   δ = (y₁ − a·x₁)·(x₂ + y₂)   τ = β·γ
//! x₃·(1 + d·τ) = β + γ
//! y₃·(1 − d·τ) = δ + a·β − γ
//! ```
//!
//! 6 constraints for two variable points, 3 when one is a constant. Doubling:
//! `x₃·(a·x² + y²) = 2·x·y`, `y₃·(2 − a·x² − y²) = y² − a·x²`, 5 constraints.

use super::FrVar;
use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::select::CondSelectGadget;
use ark_r1cs_std::GR1CSVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use zksettle_core::babyjubjub::{Point, COEFF_A, COEFF_D};

/// A curve point in the circuit (affine, circomlib coordinates).
#[derive(Debug, Clone)]
pub struct PointVar {
    /// x coordinate.
    pub x: FrVar,
    /// y coordinate.
    pub y: FrVar,
}

fn coeff_a() -> Fr {
    Fr::from(COEFF_A)
}

fn coeff_d() -> Fr {
    Fr::from(COEFF_D)
}

/// `num / den` as a fresh witness `q` with `q·den = num` (1 constraint; free if both are
/// constants). A zero denominator leaves `q = 0`, which satisfies the constraint only if `num = 0`.
fn divide(num: &FrVar, den: &FrVar) -> Result<FrVar, SynthesisError> {
    if let (FpVar::Constant(n), FpVar::Constant(d)) = (num, den) {
        return Ok(FpVar::Constant(*n * d.inverse().unwrap_or(Fr::ZERO)));
    }
    let cs = num.cs().or(den.cs());
    let q = FpVar::new_witness(cs, || {
        Ok(num.value()? * den.value()?.inverse().unwrap_or(Fr::ZERO))
    })?;
    q.mul_equals(den, num)?;
    Ok(q)
}

impl PointVar {
    /// A constant point (no variables).
    pub fn constant(p: Point) -> Self {
        PointVar {
            x: FpVar::constant(p.x),
            y: FpVar::constant(p.y),
        }
    }

    /// The identity `(0, 1)`.
    pub fn identity() -> Self {
        Self::constant(Point::IDENTITY)
    }

    /// Allocates a point as witness, without checking it is on the curve.
    pub fn new_witness(
        cs: ConstraintSystemRef<Fr>,
        p: Option<Point>,
    ) -> Result<Self, SynthesisError> {
        let get = |f: fn(&Point) -> Fr| {
            move || p.as_ref().map(f).ok_or(SynthesisError::AssignmentMissing)
        };
        Ok(PointVar {
            x: FpVar::new_witness(cs.clone(), get(|p| p.x))?,
            y: FpVar::new_witness(cs, get(|p| p.y))?,
        })
    }

    /// The point's value, when proving.
    pub fn value(&self) -> Result<Point, SynthesisError> {
        Ok(Point {
            x: self.x.value()?,
            y: self.y.value()?,
        })
    }

    /// Enforces `a·x² + y² = 1 + d·x²·y²` (3 constraints).
    pub fn enforce_on_curve(&self) -> Result<(), SynthesisError> {
        let x2 = self.x.square()?;
        let y2 = self.y.square()?;
        let lhs = &x2 * coeff_a() + &y2;
        (x2 * coeff_d()).mul_equals(&y2, &(lhs - Fr::ONE))
    }

    /// `self + other`.
    pub fn add(&self, other: &Self) -> Result<Self, SynthesisError> {
        let beta = &self.x * &other.y;
        let gamma = &self.y * &other.x;
        let delta = (&self.y - &self.x * coeff_a()) * (&other.x + &other.y);
        let d_tau = &beta * &gamma * coeff_d();
        let x = divide(&(&beta + &gamma), &(FpVar::one() + &d_tau))?;
        let y = divide(
            &(delta + &beta * coeff_a() - &gamma),
            &(FpVar::one() - &d_tau),
        )?;
        Ok(PointVar { x, y })
    }

    /// `2·self`.
    pub fn double(&self) -> Result<Self, SynthesisError> {
        let xx = self.x.square()?;
        let yy = self.y.square()?;
        let xy = &self.x * &self.y;
        let a_xx = xx * coeff_a();
        let x = divide(&xy.double()?, &(&a_xx + &yy))?;
        let y = divide(
            &(&yy - &a_xx),
            &(FpVar::constant(Fr::from(2u64)) - &a_xx - &yy),
        )?;
        Ok(PointVar { x, y })
    }

    /// `bit ? a : b` (2 constraints).
    pub fn select(bit: &Boolean<Fr>, a: &Self, b: &Self) -> Result<Self, SynthesisError> {
        Ok(PointVar {
            x: FpVar::conditionally_select(bit, &a.x, &b.x)?,
            y: FpVar::conditionally_select(bit, &a.y, &b.y)?,
        })
    }

    /// Enforces equality of both coordinates.
    pub fn enforce_equal(&self, other: &Self) -> Result<(), SynthesisError> {
        self.x.enforce_equal(&other.x)?;
        self.y.enforce_equal(&other.y)
    }

    /// `k·self` for `k = Σ bits[i]·2^i`, double-and-add from the low bit: per bit one addition,
    /// one selection and one doubling (13 constraints). The caller makes `bits` canonical.
    pub fn mul_bits(&self, bits: &[Boolean<Fr>]) -> Result<Self, SynthesisError> {
        let mut acc = PointVar::identity();
        let mut base = self.clone();
        for (i, bit) in bits.iter().enumerate() {
            let sum = acc.add(&base)?;
            acc = PointVar::select(bit, &sum, &acc)?;
            if i + 1 < bits.len() {
                base = base.double()?;
            }
        }
        Ok(acc)
    }

    /// `k·base` for a constant `base` and `k = Σ bits[i]·2^i`, two bits at a time: each window
    /// looks up one of `{O, P, 2P, 3P}` (`P = 4^j·base`) by a linear combination of
    /// `1, b₀, b₁, b₀·b₁` (1 constraint) and adds it (6), 3.5 constraints a bit.
    pub fn mul_fixed(base: Point, bits: &[Boolean<Fr>]) -> Result<Self, SynthesisError> {
        let mut acc: Option<PointVar> = None;
        let mut p = base;
        for window in bits.chunks(2) {
            let p2 = p.add(&p);
            let table = [Point::IDENTITY, p, p2, p2.add(&p)];
            let selected = match window {
                [b0] => lookup(&table, b0, &Boolean::FALSE, &Boolean::FALSE),
                [b0, b1] => lookup(&table, b0, b1, &(b0 & b1)),
                _ => unreachable!("chunks of two"),
            };
            acc = Some(match acc {
                None => selected,
                Some(acc) => acc.add(&selected)?,
            });
            p = p2.add(&p2);
        }
        Ok(acc.unwrap_or_else(PointVar::identity))
    }
}

/// `table[b₀ + 2·b₁]` for constant `table`, linear in `1, b₀, b₁, b₀·b₁`.
fn lookup(table: &[Point; 4], b0: &Boolean<Fr>, b1: &Boolean<Fr>, b01: &Boolean<Fr>) -> PointVar {
    let coordinate = |f: fn(&Point) -> Fr| {
        let [t0, t1, t2, t3] = table.map(|p| f(&p));
        FpVar::constant(t0)
            + FpVar::from(b0.clone()) * (t1 - t0)
            + FpVar::from(b1.clone()) * (t2 - t0)
            + FpVar::from(b01.clone()) * (t3 - t2 - t1 + t0)
    };
    PointVar {
        x: coordinate(|p| p.x),
        y: coordinate(|p| p.y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::PrimeField;
    use ark_relations::gr1cs::ConstraintSystem;
    use zksettle_core::babyjubjub::SubgroupScalar;

    fn point(k: u64) -> Point {
        Point::base8().mul(&SubgroupScalar::from(k))
    }

    fn bits_of(cs: &ConstraintSystemRef<Fr>, k: u64, n: usize) -> Vec<Boolean<Fr>> {
        (0..n)
            .map(|i| Boolean::new_witness(cs.clone(), || Ok((k >> i) & 1 == 1)).unwrap())
            .collect()
    }

    #[test]
    fn arithmetic_matches_native_including_identity_and_doubling() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let p = PointVar::new_witness(cs.clone(), Some(point(3))).unwrap();
        let q = PointVar::new_witness(cs.clone(), Some(point(5))).unwrap();
        let o = PointVar::new_witness(cs.clone(), Some(Point::IDENTITY)).unwrap();
        p.enforce_on_curve().unwrap();
        assert_eq!(p.add(&q).unwrap().value().unwrap(), point(8));
        assert_eq!(p.add(&p).unwrap().value().unwrap(), point(6));
        assert_eq!(p.double().unwrap().value().unwrap(), point(6));
        assert_eq!(p.add(&o).unwrap().value().unwrap(), point(3));
        assert_eq!(o.double().unwrap().value().unwrap(), Point::IDENTITY);
        assert_eq!(
            p.mul_bits(&bits_of(&cs, 11, 5)).unwrap().value().unwrap(),
            point(33)
        );
        assert_eq!(
            PointVar::mul_fixed(point(3), &bits_of(&cs, 11, 5))
                .unwrap()
                .value()
                .unwrap(),
            point(33)
        );
        assert_eq!(
            PointVar::mul_fixed(point(3), &bits_of(&cs, 0, 4))
                .unwrap()
                .value()
                .unwrap(),
            Point::IDENTITY
        );
        cs.finalize();
        assert!(cs.is_satisfied().unwrap());
    }

    #[test]
    fn points_off_the_curve_are_unsatisfiable() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let mut bad = point(3);
        bad.x += Fr::ONE;
        PointVar::new_witness(cs.clone(), Some(bad))
            .unwrap()
            .enforce_on_curve()
            .unwrap();
        cs.finalize();
        assert!(!cs.is_satisfied().unwrap());
    }

    #[test]
    fn a_wrong_sum_is_unsatisfiable() {
        // The prover may not pick the quotient: the division constraint pins it.
        let cs = ConstraintSystem::<Fr>::new_ref();
        let p = PointVar::new_witness(cs.clone(), Some(point(3))).unwrap();
        let q = PointVar::new_witness(cs.clone(), Some(point(5))).unwrap();
        p.add(&q)
            .unwrap()
            .enforce_equal(&PointVar::constant(point(9)))
            .unwrap();
        cs.finalize();
        assert!(!cs.is_satisfied().unwrap());
    }

    #[test]
    fn full_width_scalars_match_native() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let k = SubgroupScalar::from(0xdead_beef_u64).pow([7u64]);
        let bits: Vec<Boolean<Fr>> = {
            let big = k.into_bigint();
            (0..251)
                .map(|i| {
                    Boolean::new_witness(cs.clone(), || Ok(ark_ff::BigInteger::get_bit(&big, i)))
                        .unwrap()
                })
                .collect()
        };
        let expected = Point::base8().mul(&k);
        assert_eq!(
            PointVar::mul_fixed(Point::base8(), &bits)
                .unwrap()
                .value()
                .unwrap(),
            expected
        );
        let b8 = PointVar::new_witness(cs.clone(), Some(Point::base8())).unwrap();
        assert_eq!(b8.mul_bits(&bits).unwrap().value().unwrap(), expected);
        cs.finalize();
        assert!(cs.is_satisfied().unwrap());
    }
}
