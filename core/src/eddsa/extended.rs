//! Baby Jubjub with `a = −1`, in extended coordinates: the cheapest complete addition law for
//! the curve, used by the batch MSM's bucket sums.
//!
//! arkworks writes the curve as `u² + y² = 1 + d·u²·y²` (`a = 1`). With `i = √−1` (the field's
//! modulus is 1 mod 4) and `w = i·u` this is `−w² + y² = 1 − d·w²·y²`, so `a' = −1` and
//! `d' = −d`. `d'/a' = d` is the same non-square as before, so the law stays complete: the
//! formulas below hold for every pair of curve points, points of small order included.
//!
//! A point is `(X : Y : Z : T)` with `w = X/Z`, `y = Y/Z`, `T = X·Y/Z` (Hisil–Wong–Carter–Dawson
//! 2008). Adding a [`Niels`] point (affine, stored as `(y + w, y − w, 2d'·w·y)`) costs 7
//! multiplications, adding two extended points 9, doubling 4 and 4 squarings; arkworks' law for
//! `a = 1` costs 9 and 10 for the first two.

use crate::babyjubjub::Point;
use crate::field::Fr;
use ark_ec::twisted_edwards::TECurveConfig;
use ark_ed_on_bn254::EdwardsConfig;
use ark_ff::{AdditiveGroup, Field, Zero};
use std::sync::OnceLock;

/// `√−1` and `2d' = −2d`.
fn constants() -> &'static (Fr, Fr) {
    static CONSTANTS: OnceLock<(Fr, Fr)> = OnceLock::new();
    CONSTANTS.get_or_init(|| {
        let i = (-Fr::ONE).sqrt().expect("−1 is a square: r ≡ 1 (mod 4)");
        (i, -EdwardsConfig::COEFF_D.double())
    })
}

/// An affine point ready to be added: `(y + w, y − w, 2d'·w·y)`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Niels {
    y_plus_w: Fr,
    y_minus_w: Fr,
    t2d: Fr,
}

impl Niels {
    /// `p` (circomlib's coordinates), which must be on the curve.
    pub(super) fn new(p: &Point) -> Niels {
        let (i, two_d) = constants();
        let w = p.to_ark().x * i;
        Niels {
            y_plus_w: p.y + w,
            y_minus_w: p.y - w,
            t2d: w * p.y * two_d,
        }
    }

    /// `−p`: `w` changes sign.
    pub(super) fn neg(&self) -> Niels {
        Niels {
            y_plus_w: self.y_minus_w,
            y_minus_w: self.y_plus_w,
            t2d: -self.t2d,
        }
    }
}

/// A point in extended coordinates (see the module docs).
#[derive(Debug, Clone, Copy)]
pub(super) struct Extended {
    x: Fr,
    y: Fr,
    z: Fr,
    t: Fr,
}

impl Extended {
    /// The identity `(0 : 1 : 1 : 0)`.
    pub(super) const IDENTITY: Extended = Extended {
        x: Fr::ZERO,
        y: Fr::ONE,
        z: Fr::ONE,
        t: Fr::ZERO,
    };

    /// Whether this is the identity: `w = 0` and `y = 1` (`Z` is never zero).
    pub(super) fn is_identity(&self) -> bool {
        self.x.is_zero() && self.y == self.z
    }

    /// `self += q` (madd-2008-hwcd-3).
    pub(super) fn add_niels(&mut self, q: &Niels) {
        let a = (self.y - self.x) * q.y_minus_w;
        let b = (self.y + self.x) * q.y_plus_w;
        let c = self.t * q.t2d;
        let d = self.z.double();
        self.finish(a, b, c, d);
    }

    /// `self += q` (add-2008-hwcd-3).
    pub(super) fn add(&mut self, q: &Extended) {
        let (_, two_d) = constants();
        let a = (self.y - self.x) * (q.y - q.x);
        let b = (self.y + self.x) * (q.y + q.x);
        let c = self.t * two_d * q.t;
        let d = (self.z * q.z).double();
        self.finish(a, b, c, d);
    }

    fn finish(&mut self, a: Fr, b: Fr, c: Fr, d: Fr) {
        let (e, f, g, h) = (b - a, d - c, d + c, b + a);
        *self = Extended {
            x: e * f,
            y: g * h,
            z: f * g,
            t: e * h,
        };
    }

    /// `self = 2·self` (dbl-2008-hwcd with `a = −1`).
    pub(super) fn double(&mut self) {
        let a = self.x.square();
        let b = self.y.square();
        let c = self.z.square().double();
        let e = (self.x + self.y).square() - a - b;
        let g = b - a;
        let f = g - c;
        let h = -a - b;
        *self = Extended {
            x: e * f,
            y: g * h,
            z: f * g,
            t: e * h,
        };
    }

    /// The point in circomlib's coordinates.
    #[cfg(test)]
    pub(super) fn to_point(self) -> Point {
        let (i, _) = constants();
        let z = self.z.inverse().expect("Z is never zero");
        // u = w/i = −i·w.
        let u = -(self.x * z) * i;
        let ark = ark_ed_on_bn254::EdwardsAffine::new_unchecked(u, self.y * z);
        Point::from_ark(&ark)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::babyjubjub::SubgroupScalar;

    fn points() -> Vec<Point> {
        let two_torsion = Point {
            x: Fr::from(0u64),
            y: -Fr::from(1u64),
        };
        let g = Point::base8();
        let mut out = vec![Point::IDENTITY, two_torsion, g];
        for k in [2u64, 3, 1 << 40] {
            let p = g.mul(&SubgroupScalar::from(k));
            out.push(p);
            out.push(p.add(&two_torsion));
        }
        out
    }

    fn extended(p: &Point) -> Extended {
        let mut e = Extended::IDENTITY;
        e.add_niels(&Niels::new(p));
        e
    }

    #[test]
    fn the_laws_agree_with_circomlibs_on_every_pair_small_order_included() {
        let all = points();
        for p in &all {
            assert_eq!(extended(p).to_point(), *p);
            let mut doubled = extended(p);
            doubled.double();
            assert_eq!(doubled.to_point(), p.add(p));
            for q in &all {
                let expected = p.add(q);
                let mut mixed = extended(p);
                mixed.add_niels(&Niels::new(q));
                assert_eq!(mixed.to_point(), expected);
                let mut full = extended(p);
                full.add(&extended(q));
                assert_eq!(full.to_point(), expected);
                let mut minus = extended(p);
                minus.add_niels(&Niels::new(q).neg());
                minus.add_niels(&Niels::new(q));
                assert_eq!(minus.to_point(), *p);
            }
        }
        assert!(Extended::IDENTITY.is_identity());
        let mut cancel = extended(&all[4]);
        cancel.add_niels(&Niels::new(&all[4]).neg());
        assert!(cancel.is_identity());
        assert!(!extended(&all[1]).is_identity());
    }
}
