//! One window's buckets, accumulated in affine coordinates with batched inversion.
//!
//! Adding `(x₂, y₂)` to a bucket holding `(x₁, y₁)`, `x₁ ≠ x₂`, is
//!
//! ```text
//! λ = (y₂ − y₁) / (x₂ − x₁),   x₃ = λ² − x₁ − x₂,   y₃ = λ·(x₁ − x₃) − y₁
//! ```
//!
//! Additions to distinct buckets wait in a batch whose denominators `x₂ − x₁` are inverted
//! together (Montgomery's trick: one inversion for the batch, three multiplications each; on G2
//! through their norms, in the base field, seven base-field multiplications each), so an
//! addition costs five multiplications and a squaring against about eleven multiplications for a
//! mixed projective one. The batch's inversion runs over two interleaved product chains, so
//! that consecutive multiplications of the (otherwise serial) chain do not wait on each other.
//!
//! With AVX-512 IFMA on BN254's G1, a batch is completed eight additions at a time on vector
//! lanes instead ([`super::lanes`]).
//!
//! An addition whose bucket already has one pending waits for the next batch (a bucket takes
//! one addition per batch); uniform digits meet a busy bucket about one time in eight, and
//! such an addition then costs what any other does. Only if too many wait (skewed digits: all
//! scalars equal, say), or the bucket holds the point itself or its negation (where the affine
//! formula divides by zero), does it go to the bucket's projective spill, whose formulas are
//! complete: then it costs what projective Pippenger costs, never more.

use super::reduction::Reduction;
use crate::field::{FastField, Multiplier};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, Field, Zero};

/// The bucket holds an affine point.
const FULL: u8 = 1;
/// The bucket has an addition in the pending batch.
const BUSY: u8 = 2;
/// The bucket's projective spill holds a point.
const SPILLED: u8 = 4;

/// How many additions ahead `flush` prefetches a bucket.
const FLUSH_PREFETCH_DISTANCE: usize = 8;

/// Additions per shared inversion, at most.
const MAX_BATCH: usize = 2048;

/// A pending addition: the bucket and the point to add to it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pending<F> {
    pub(crate) bucket: u32,
    pub(crate) x: F,
    pub(crate) y: F,
}

/// A window's `2^{c−1}` buckets and the batch of additions pending on them; reused across
/// windows to keep its allocations.
#[derive(Debug)]
pub(super) struct Buckets<P: SWCurveConfig, M>
where
    P::BaseField: FastField,
{
    multiplier: M,
    points: Vec<(P::BaseField, P::BaseField)>,
    state: Vec<u8>,
    spill: Vec<Projective<P>>,
    pending: Vec<Pending<P::BaseField>>,
    /// Additions whose bucket was busy, for the next batch.
    waiting: Vec<Pending<P::BaseField>>,
    /// `waiting`'s previous contents while a flush re-enqueues them (kept for its allocation).
    requeue: Vec<Pending<P::BaseField>>,
    norms: Vec<<P::BaseField as FastField>::Norm>,
    prefix: Vec<<P::BaseField as FastField>::Norm>,
    limit: usize,
    reduction: Reduction<P::BaseField>,
    lanes: crate::field::lanes::LaneScratch,
}

impl<P: SWCurveConfig, M: Multiplier> Buckets<P, M>
where
    P::BaseField: FastField,
{
    /// No buckets yet; [`Buckets::reset`] sizes them.
    pub(super) fn new(multiplier: M) -> Self {
        Buckets {
            multiplier,
            points: Vec::new(),
            state: Vec::new(),
            spill: Vec::new(),
            pending: Vec::with_capacity(MAX_BATCH),
            waiting: Vec::with_capacity(MAX_BATCH),
            requeue: Vec::with_capacity(MAX_BATCH),
            norms: Vec::with_capacity(MAX_BATCH),
            prefix: Vec::with_capacity(MAX_BATCH),
            limit: 1,
            reduction: Reduction::default(),
            lanes: Default::default(),
        }
    }
}

impl<P: SWCurveConfig, M: Multiplier> Buckets<P, M>
where
    P::BaseField: FastField,
{
    /// Empties every bucket and sizes the set to `count` buckets.
    pub(super) fn reset(&mut self, count: usize) {
        let zero = (P::BaseField::ZERO, P::BaseField::ZERO);
        self.points.clear();
        self.points.resize(count, zero);
        self.state.clear();
        self.state.resize(count, 0);
        self.spill.clear();
        self.spill.resize(count, Projective::zero());
        self.pending.clear();
        self.waiting.clear();
        // A batch holds at most a quarter of the buckets, so that most additions find their
        // bucket free (an eighth measured 1-2% slower on the IFMA lanes, whose additions are
        // cheap beside the batch's inversion; a half, 5% slower).
        self.limit = (count / 4).clamp(1, MAX_BATCH);
    }

    /// Starts loading `bucket`'s point into the cache, for an addition a few points later.
    #[inline(always)]
    pub(super) fn prefetch(&self, bucket: usize) {
        if let Some(point) = self.points.get(bucket) {
            crate::field::prefetch(point);
        }
    }

    /// Adds the affine point `(x, y)` (not the identity) to `bucket`.
    #[inline(always)]
    pub(super) fn add(&mut self, bucket: usize, x: P::BaseField, y: P::BaseField) {
        self.enqueue(bucket, x, y);
        if self.pending.len() >= self.limit {
            self.flush();
        }
    }

    /// Puts an addition in the batch, in the bucket if it is empty, in the waiting list if the
    /// bucket is busy, or in the spill.
    #[inline(always)]
    fn enqueue(&mut self, bucket: usize, x: P::BaseField, y: P::BaseField) {
        // Equal x-coordinates (the bucket holds the point or its negation) are caught here, so
        // every denominator in the batch is non-zero. (Catching them in `flush` instead, to
        // read only the state byte here, measured about 5% slower.)
        let state = self.state[bucket];
        let addition = Pending {
            bucket: bucket as u32,
            x,
            y,
        };
        if state & BUSY != 0 {
            if self.waiting.len() < self.limit {
                self.waiting.push(addition);
            } else {
                self.spill_into(bucket, x, y);
            }
        } else if state & FULL == 0 {
            self.points[bucket] = (x, y);
            self.state[bucket] = state | FULL;
        } else if self.points[bucket].0 == x {
            self.spill_into(bucket, x, y);
        } else {
            self.state[bucket] = state | BUSY;
            self.pending.push(addition);
        }
    }

    #[cold]
    fn spill_into(&mut self, bucket: usize, x: P::BaseField, y: P::BaseField) {
        let point = Affine::<P>::new_unchecked(x, y);
        if self.state[bucket] & SPILLED == 0 {
            self.spill[bucket] = point.into();
            self.state[bucket] |= SPILLED;
        } else {
            self.spill[bucket] += point;
        }
    }

    /// Completes every pending addition with one inversion, then enqueues the waiting ones.
    pub(super) fn flush(&mut self) {
        self.complete_pending();
        // Each waiting addition is enqueued once per flush, so skewed digits cannot make this
        // quadratic: one whose bucket is busy again waits again, or spills.
        std::mem::swap(&mut self.waiting, &mut self.requeue);
        for i in 0..self.requeue.len() {
            let Pending { bucket, x, y } = self.requeue[i];
            self.enqueue(bucket as usize, x, y);
        }
        self.requeue.clear();
    }

    /// Completes every pending addition with one inversion.
    fn complete_pending(&mut self) {
        let len = self.pending.len();
        if len == 0 {
            return;
        }
        let m = self.multiplier;
        if self.complete_on_lanes() {
            return;
        }
        self.norms.clear();
        self.prefix.clear();
        // Two product chains of the denominators' norms (in the base field: on G1 the
        // denominators themselves), over even and odd positions, each entry the product of
        // the norms before it on its own chain.
        let one = <P::BaseField as FastField>::Norm::ONE;
        let mut chains = [one; 2];
        for (i, add) in self.pending.iter().enumerate() {
            let d = add.x.sub_fast(&self.points[add.bucket as usize].0);
            let chain = &mut chains[i & 1];
            let norm = d.norm(m);
            self.prefix.push(*chain);
            *chain = chain.mul_fast(&norm, m);
            self.norms.push(norm);
        }
        let whole = chains[0].mul_fast(&chains[1], m);
        // A product of non-zero field elements is non-zero.
        let inverse = whole.inverse().unwrap_or(one);
        let mut inverses = [
            inverse.mul_fast(&chains[1], m),
            inverse.mul_fast(&chains[0], m),
        ];
        for i in (0..len).rev() {
            // The bucket a few additions on was last touched a batch ago: start loading it
            // (about 5-10% at 2^20 points, in-process A/B).
            if let Some(ahead) = i.checked_sub(FLUSH_PREFETCH_DISTANCE) {
                self.prefetch(self.pending[ahead].bucket as usize);
            }
            let add = self.pending[i];
            let bucket = add.bucket as usize;
            self.state[bucket] &= !BUSY;
            let chain = &mut inverses[i & 1];
            let (x1, y1) = self.points[bucket];
            let d = add.x.sub_fast(&x1);
            // `chain` is the inverse of this chain's product up to and including `i`.
            let norm_inverse = chain.mul_fast(&self.prefix[i], m);
            *chain = chain.mul_fast(&self.norms[i], m);
            let inverse = d.adjugate(&norm_inverse, m);
            let lambda = add.y.sub_fast(&y1).mul_fast(&inverse, m);
            let x3 = lambda.square_fast(m).sub_fast(&x1).sub_fast(&add.x);
            let y3 = lambda.mul_fast(&x1.sub_fast(&x3), m).sub_fast(&y1);
            self.points[bucket] = (x3, y3);
        }
        self.pending.clear();
    }

    /// Completes the pending additions on [`super::lanes`] if the multiplier has IFMA lanes and
    /// the curve is BN254's G1 (its base field is the one the lanes hold); `false` otherwise.
    fn complete_on_lanes(&mut self) -> bool {
        use std::any::Any;
        let Some(ifma) = self.multiplier.ifma() else {
            return false;
        };
        let pending = (&self.pending as &dyn Any).downcast_ref::<Vec<Pending<ark_bn254::Fq>>>();
        let points = (&mut self.points as &mut dyn Any)
            .downcast_mut::<Vec<(ark_bn254::Fq, ark_bn254::Fq)>>();
        let (Some(pending), Some(points)) = (pending, points) else {
            return false;
        };
        crate::field::lanes::complete(ifma, pending, points, &mut self.lanes);
        for add in &self.pending {
            self.state[add.bucket as usize] &= !BUSY;
        }
        self.pending.clear();
        true
    }

    /// `Σ_k (k+1)·B_k` over the buckets `B_0, B_1, …` (each its affine point plus its spill),
    /// reduced in affine lanes ([`super::reduction`]); completes any pending additions first.
    pub(super) fn weighted_sum(&mut self) -> Projective<P> {
        self.flush();
        self.complete_pending();
        // What still waits is at most a batch; the spill takes it rather than a round of
        // batches one addition long when it all wants one bucket.
        for i in 0..self.waiting.len() {
            let Pending { bucket, x, y } = self.waiting[i];
            self.spill_into(bucket as usize, x, y);
        }
        self.waiting.clear();
        self.settle_spills();
        let (points, state) = (&self.points, &self.state);
        self.reduction
            .weighted_sum::<P, M>(self.multiplier, points.len(), |k| {
                (state[k] & FULL != 0).then(|| points[k])
            })
    }

    /// Folds every spill into its bucket's affine point (one inversion for all of them), so
    /// that each bucket is one affine point or empty.
    fn settle_spills(&mut self) {
        let spilled: Vec<usize> = (0..self.state.len())
            .filter(|&k| self.state[k] & SPILLED != 0)
            .collect();
        if spilled.is_empty() {
            return;
        }
        let sums: Vec<Projective<P>> = spilled
            .iter()
            .map(|&k| {
                let mut sum = self.spill[k];
                if self.state[k] & FULL != 0 {
                    let (x, y) = self.points[k];
                    sum += Affine::<P>::new_unchecked(x, y);
                }
                sum
            })
            .collect();
        for (&k, point) in spilled.iter().zip(Projective::normalize_batch(&sums)) {
            self.state[k] &= !SPILLED;
            match point.xy() {
                Some(xy) => {
                    self.points[k] = xy;
                    self.state[k] |= FULL;
                }
                None => self.state[k] &= !FULL,
            }
        }
    }
}
