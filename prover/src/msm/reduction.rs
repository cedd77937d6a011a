//! A window's bucket reduction `Σ_k (k+1)·B_k` in affine coordinates, many running sums at once.
//!
//! The `m` buckets are dealt round-robin to `L` lanes: lane `j` takes `B_j, B_{L+j}, B_{2L+j}, …`
//! and keeps its own running sum `R_j` and weighted sum `S_j`, from its top bucket down:
//!
//! ```text
//! R_j ← R_j + B_{tL+j},   S_j ← S_j + R_j        (t = T−1, …, 0)
//! ⇒  R_j = Σ_t B_{tL+j},   S_j = Σ_t (t+1)·B_{tL+j}
//! Σ_k (k+1)·B_k = Σ_j Σ_t (tL + j + 1)·B_{tL+j} = L·Σ_j (S_j − R_j) + Σ_j (j+1)·R_j
//! ```
//!
//! so each step reads `L` consecutive buckets.
//! Each step is one addition per lane, and the `L` lanes' additions share one inversion
//! (Montgomery's trick), so an addition costs five multiplications and a squaring where the
//! projective running sum pays a mixed and a full projective addition, about twenty-seven.
//! The affine formula is made complete for these additions: the identity never enters the
//! batch, `P + (−P)` is the identity, and `P + P` uses the tangent's slope
//! `λ = (3x² + a) / 2y` in place of the chord's.

use crate::field::{FastField, Multiplier};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::PrimeGroup;
use ark_ff::Zero;

/// Running sums kept side by side, at most.
const MAX_LANES: usize = 256;

/// Buckets per lane, at least: fewer would spend more on inversions than they save.
const MIN_ROUNDS: usize = 8;

/// Below this many buckets the projective running sum is cheaper than the inversions.
const AFFINE_FROM: usize = 512;

/// An affine point, `None` for the identity.
pub(super) type Xy<F> = Option<(F, F)>;

/// Scratch of [`Reduction::weighted_sum`], kept across windows for its allocations.
#[derive(Debug)]
pub(super) struct Reduction<F> {
    running: Vec<Xy<F>>,
    sum: Vec<Xy<F>>,
    batch: AffineBatch<F>,
}

impl<F> Default for Reduction<F> {
    fn default() -> Self {
        Reduction {
            running: Vec::new(),
            sum: Vec::new(),
            batch: AffineBatch::default(),
        }
    }
}

impl<F: FastField> Reduction<F> {
    /// `Σ_k (k+1)·B_k` over `count` buckets, `bucket(k)` giving `B_k`.
    pub(super) fn weighted_sum<P, M: Multiplier>(
        &mut self,
        m: M,
        count: usize,
        bucket: impl Fn(usize) -> Xy<F>,
    ) -> Projective<P>
    where
        P: SWCurveConfig<BaseField = F>,
    {
        if count < AFFINE_FROM {
            return projective_weighted_sum(count, bucket);
        }
        let lanes = (count / MIN_ROUNDS).clamp(1, MAX_LANES);
        let rounds = count.div_ceil(lanes);
        self.running.clear();
        self.running.resize(lanes, None);
        self.sum.clear();
        self.sum.resize(lanes, None);
        for t in (0..rounds).rev() {
            let at = |j: usize| {
                let k = t * lanes + j;
                if k < count {
                    bucket(k)
                } else {
                    None
                }
            };
            self.batch.add_each::<P, M>(m, &mut self.running, at);
            let running = &self.running;
            self.batch
                .add_each::<P, M>(m, &mut self.sum, |j| running[j]);
        }

        // L·Σ_j (S_j − R_j), then Σ_j (j+1)·R_j as a running sum from the top lane down.
        let affine = |xy: Xy<F>| xy.map(|(x, y)| Affine::<P>::new_unchecked(x, y));
        let mut lanes_sum = Projective::<P>::zero();
        for j in 0..lanes {
            if let Some(s) = affine(self.sum[j]) {
                lanes_sum += s;
            }
            if let Some(r) = affine(self.running[j]) {
                lanes_sum -= r;
            }
        }
        let mut running = Projective::<P>::zero();
        let mut weighted = Projective::<P>::zero();
        for j in (0..lanes).rev() {
            if let Some(r) = affine(self.running[j]) {
                running += r;
            }
            weighted += running;
        }
        lanes_sum.mul_bigint([lanes as u64]) + weighted
    }
}

/// `Σ_k (k+1)·B_k` as one projective running sum from the top bucket down.
fn projective_weighted_sum<P: SWCurveConfig>(
    count: usize,
    bucket: impl Fn(usize) -> Xy<P::BaseField>,
) -> Projective<P> {
    let mut running = Projective::<P>::zero();
    let mut sum = Projective::<P>::zero();
    for k in (0..count).rev() {
        if let Some((x, y)) = bucket(k) {
            running += Affine::<P>::new_unchecked(x, y);
        }
        sum += running;
    }
    sum
}

/// Affine additions waiting for their shared inversion: the lane, the addend's `x`, and the
/// slope's numerator and denominator.
#[derive(Debug)]
struct AffineBatch<F> {
    lane: Vec<u32>,
    x2: Vec<F>,
    numerator: Vec<F>,
    denominator: Vec<F>,
    prefix: Vec<F>,
    /// The targets' coordinates, for the IFMA lanes.
    x1: Vec<F>,
    y1: Vec<F>,
    lanes: crate::field::lanes::LaneScratch,
}

impl<F> Default for AffineBatch<F> {
    fn default() -> Self {
        AffineBatch {
            lane: Vec::new(),
            x2: Vec::new(),
            numerator: Vec::new(),
            denominator: Vec::new(),
            prefix: Vec::new(),
            x1: Vec::new(),
            y1: Vec::new(),
            lanes: Default::default(),
        }
    }
}

impl<F: FastField> AffineBatch<F> {
    /// `targets[j] ← targets[j] + addend(j)` for every lane `j`, with one inversion for all of
    /// them.
    fn add_each<P: SWCurveConfig<BaseField = F>, M: Multiplier>(
        &mut self,
        m: M,
        targets: &mut [Xy<F>],
        addend: impl Fn(usize) -> Xy<F>,
    ) {
        self.lane.clear();
        self.x2.clear();
        self.numerator.clear();
        self.denominator.clear();
        self.prefix.clear();
        self.x1.clear();
        self.y1.clear();
        let on_lanes = m.ifma().is_some()
            && std::any::TypeId::of::<F>() == std::any::TypeId::of::<ark_bn254::Fq>();
        for (j, target) in targets.iter_mut().enumerate() {
            let Some((x2, y2)) = addend(j) else {
                continue;
            };
            let Some((x1, y1)) = *target else {
                *target = Some((x2, y2));
                continue;
            };
            let (numerator, denominator) = if x1 != x2 {
                (y2.sub_fast(&y1), x2.sub_fast(&x1))
            } else if y1 == y2 && !y1.is_zero() {
                // Doubling: λ = (3x² + a) / 2y.
                let x_squared = x1.square_fast(m);
                let mut numerator = x_squared.add_fast(&x_squared).add_fast(&x_squared);
                if !P::COEFF_A.is_zero() {
                    numerator = numerator.add_fast(&P::COEFF_A);
                }
                (numerator, y1.add_fast(&y1))
            } else {
                // P + (−P), or the double of a point of order two.
                *target = None;
                continue;
            };
            self.lane.push(j as u32);
            self.x2.push(x2);
            self.numerator.push(numerator);
            if on_lanes {
                self.x1.push(x1);
                self.y1.push(y1);
            }
            self.denominator.push(denominator);
        }
        if self.lane.is_empty() {
            return;
        }
        if on_lanes && self.add_on_lanes(m, targets) {
            return;
        }
        let mut product = F::ONE;
        for denominator in &self.denominator {
            self.prefix.push(product);
            product = product.mul_fast(denominator, m);
        }
        // A product of non-zero denominators is non-zero.
        let mut inverse = product.inverse().unwrap_or(F::ZERO);
        for i in (0..self.lane.len()).rev() {
            let lambda_denominator = inverse.mul_fast(&self.prefix[i], m);
            inverse = inverse.mul_fast(&self.denominator[i], m);
            let lane = self.lane[i] as usize;
            let Some((x1, y1)) = targets[lane] else {
                continue;
            };
            let lambda = self.numerator[i].mul_fast(&lambda_denominator, m);
            let x3 = lambda.square_fast(m).sub_fast(&x1).sub_fast(&self.x2[i]);
            let y3 = lambda.mul_fast(&x1.sub_fast(&x3), m).sub_fast(&y1);
            targets[lane] = Some((x3, y3));
        }
    }

    /// The batch's additions on [`super::lanes`], if `m` has IFMA lanes and `F` is the field
    /// they hold (BN254's base field); `false` if not.
    fn add_on_lanes<M: Multiplier>(&mut self, m: M, targets: &mut [Xy<F>]) -> bool {
        use ark_bn254::Fq;
        use std::any::Any;
        #[expect(
            clippy::ptr_arg,
            reason = "the Vec is what downcasts: a slice is unsized"
        )]
        fn fq<F: 'static>(v: &Vec<F>) -> Option<&[Fq]> {
            (v as &dyn Any).downcast_ref::<Vec<Fq>>().map(Vec::as_slice)
        }
        let inputs = [
            &self.x1,
            &self.y1,
            &self.x2,
            &self.numerator,
            &self.denominator,
        ]
        .map(fq);
        let (Some(ifma), [Some(x1), Some(y1), Some(x2), Some(numerator), Some(denominator)]) =
            (m.ifma(), inputs)
        else {
            return false;
        };
        let lane = &self.lane;
        crate::field::lanes::add_with_slopes(
            ifma,
            [x1, y1, x2, numerator, denominator],
            &mut self.lanes,
            |i, x3, y3| {
                let as_f = |v: Fq| (&v as &dyn Any).downcast_ref::<F>().copied();
                if let (Some(x3), Some(y3)) = (as_f(x3), as_f(y3)) {
                    targets[lane[i] as usize] = Some((x3, y3));
                }
            },
        );
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::Portable;
    use ark_bn254::{g1, g2, G1Affine, G1Projective, G2Affine};
    use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
    use ark_ff::UniformRand;
    use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};

    fn naive<P: SWCurveConfig>(buckets: &[Affine<P>]) -> Projective<P> {
        buckets
            .iter()
            .enumerate()
            .map(|(k, b)| b.mul_bigint([k as u64 + 1]))
            .sum()
    }

    fn reduced<P: SWCurveConfig>(buckets: &[Affine<P>]) -> Projective<P>
    where
        P::BaseField: FastField,
    {
        let xy = |k: usize| buckets[k].xy();
        let portable = Reduction::default().weighted_sum::<P, _>(Portable, buckets.len(), xy);
        if let Some(adx) = crate::field::adx::Adx::detect() {
            let fast = Reduction::default().weighted_sum::<P, _>(adx, buckets.len(), xy);
            assert_eq!(fast, portable, "the multipliers disagree");
        }
        if let Some(ifma) = crate::field::ifma::Ifma::detect() {
            let lanes = Reduction::default().weighted_sum::<P, _>(ifma, buckets.len(), xy);
            assert_eq!(lanes, portable, "the IFMA lanes disagree");
        }
        portable
    }

    #[test]
    fn random_buckets_reduce_as_the_weighted_sum() {
        let mut rng = StdRng::seed_from_u64(11);
        for count in [1, 7, 511, 512, 1000, 4096] {
            let buckets: Vec<G1Affine> = (0..count)
                .map(|_| {
                    if rng.gen_bool(0.2) {
                        G1Affine::identity()
                    } else {
                        G1Affine::rand(&mut rng)
                    }
                })
                .collect();
            assert_eq!(
                reduced(&buckets).into_affine(),
                naive(&buckets).into_affine(),
                "{count} buckets"
            );
        }
        let buckets: Vec<G2Affine> = (0..1024).map(|_| G2Affine::rand(&mut rng)).collect();
        assert_eq!(
            reduced::<g2::Config>(&buckets).into_affine(),
            naive(&buckets).into_affine()
        );
    }

    /// Buckets built so that the running and weighted sums meet every exceptional case: the
    /// running sum equal to the next bucket (a doubling), its negation (the identity), and
    /// the weighted sum equal to the running sum.
    #[test]
    fn exceptional_additions_reduce_as_the_weighted_sum() {
        let mut rng = StdRng::seed_from_u64(12);
        let p = G1Affine::rand(&mut rng);
        let q = G1Affine::rand(&mut rng);
        let pattern = [
            p,
            p,
            (-G1Projective::from(p).double()).into_affine(),
            G1Affine::identity(),
            q,
            -q,
            G1Affine::identity(),
            p,
        ];
        for count in [512, 1000, 2048] {
            let buckets: Vec<G1Affine> = (0..count).map(|k| pattern[k % pattern.len()]).collect();
            assert_eq!(
                reduced::<g1::Config>(&buckets).into_affine(),
                naive(&buckets).into_affine()
            );
            let same = vec![p; count];
            assert_eq!(reduced(&same).into_affine(), naive(&same).into_affine());
            let empty = vec![G1Affine::identity(); count];
            assert!(reduced(&empty).is_zero());
        }
    }
}
