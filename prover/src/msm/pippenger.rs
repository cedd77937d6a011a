//! Pippenger's bucket method with signed digits and affine bucket accumulation.
//!
//! Each scalar `s < 2^b` is written in `W = ⌈(b+1)/c⌉` signed base-`2^c` digits
//! `s = Σ_w d_w·2^{cw}` with `d_w ∈ (−2^{c−1}, 2^{c−1}]`: a digit above `2^{c−1}` becomes
//! `d − 2^c` and carries one into the next window, and the top window, holding at most `c−1`
//! bits plus a carry, never needs it. A window then needs only the `2^{c−1}` buckets
//! `B_k = Σ_{|d_{w,i}|=k} sign(d_{w,i})·P_i`, since `−P` costs nothing in affine form, and
//!
//! ```text
//! S_w = Σ_k k·B_k   (a running sum from the top bucket down: two additions per bucket)
//! Σ sᵢ·Pᵢ = Σ_w 2^{cw}·S_w   (Horner: c doublings per window)
//! ```
//!
//! Buckets are kept affine. An affine addition `(x₁,y₁)+(x₂,y₂)` needs `1/(x₂−x₁)`; additions
//! to distinct buckets are gathered into batches whose denominators are inverted together
//! (Montgomery's trick: three multiplications each and one inversion per batch), so an addition
//! costs about six multiplications against eleven for a mixed projective one. An addition to a
//! bucket already in the batch goes to that bucket's projective overflow instead, so skewed
//! digit distributions cost at worst what plain Pippenger costs. Equal points double, opposite
//! points empty the bucket.

use super::{check_lengths, Msm, MsmError};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::AdditiveGroup;
use ark_ec::AffineRepr;
use ark_ff::{Field, PrimeField, Zero};
use rayon::prelude::*;

/// The most points one MSM takes.
pub const MAX_POINTS: usize = (1 << 31) - 1;

/// Additions per shared inversion.
const BATCH: usize = 1024;

/// Below this many points the bucket machinery costs more than it saves.
const SMALL: usize = 16;

/// zksettle's MSM (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct Pippenger {
    /// Window width in bits; `None` chooses it from the number of points.
    pub window: Option<usize>,
}

impl<P: SWCurveConfig> Msm<P> for Pippenger {
    fn msm(
        &self,
        bases: &[Affine<P>],
        scalars: &[P::ScalarField],
    ) -> Result<Projective<P>, MsmError> {
        check_lengths(bases.len(), scalars.len())?;
        // Work items keep a point's index in 31 bits and its sign in the top bit.
        if bases.len() > MAX_POINTS {
            return Err(MsmError::TooManyPoints(bases.len()));
        }
        Ok(self.run(bases, scalars))
    }

    fn name(&self) -> &'static str {
        "zksettle pippenger"
    }
}

impl Pippenger {
    fn run<P: SWCurveConfig>(
        &self,
        bases: &[Affine<P>],
        scalars: &[P::ScalarField],
    ) -> Projective<P> {
        let n = bases.len();
        if n < SMALL {
            return bases
                .iter()
                .zip(scalars)
                .map(|(p, s)| p.mul_bigint(s.into_bigint()))
                .sum();
        }
        let bits = P::ScalarField::MODULUS_BIT_SIZE as usize;
        let c = self
            .window
            .unwrap_or_else(|| window_for(n, bits))
            .clamp(2, 24);
        let windows = (bits + 1).div_ceil(c);
        let digits = signed_digits::<P::ScalarField>(scalars, c, windows);
        let sums: Vec<Projective<P>> = (0..windows)
            .into_par_iter()
            .map(|w| window_sum(bases, &digits, windows, w, 1 << (c - 1)))
            .collect();
        sums.into_iter().rev().fold(Projective::zero(), |acc, s| {
            let mut acc = acc;
            for _ in 0..c {
                acc.double_in_place();
            }
            acc + s
        })
    }
}

/// The window width minimising `W·(n·A + 2^{c−1}·2·M)`: `n` batched affine additions (about six
/// multiplications each) and the running sum over the buckets (two mixed additions, about
/// eleven each) per window.
pub fn window_for(n: usize, bits: usize) -> usize {
    (2..=20)
        .min_by_key(|&c| {
            let windows = (bits + 1).div_ceil(c) as u128;
            windows * (n as u128 * 6 + (1u128 << (c - 1)) * 22)
        })
        .unwrap_or(16)
}

/// Signed digits, scalar-major: `out[i·W + w]` is digit `w` of scalar `i`.
fn signed_digits<F: PrimeField>(scalars: &[F], c: usize, windows: usize) -> Vec<i32> {
    let mut out = vec![0i32; windows * scalars.len()];
    let half = 1i64 << (c - 1);
    let full = 1i64 << c;
    out.par_chunks_mut(windows)
        .zip(scalars.par_iter())
        .for_each(|(digits, s)| {
            let limbs = s.into_bigint();
            let limbs = limbs.as_ref();
            let mut carry = 0i64;
            for (w, digit) in digits.iter_mut().enumerate() {
                let mut value = bits_at(limbs, w * c, c) as i64 + carry;
                carry = 0;
                if value > half {
                    value -= full;
                    carry = 1;
                }
                *digit = value as i32;
            }
            debug_assert_eq!(carry, 0, "the top window never carries");
        });
    out
}

/// Bits `offset .. offset + width` (width ≤ 32) of a little-endian limb array, zero past its end.
fn bits_at(limbs: &[u64], offset: usize, width: usize) -> u64 {
    let (limb, shift) = (offset / 64, offset % 64);
    let low = limbs.get(limb).map_or(0, |l| l >> shift);
    let high = match (shift, limbs.get(limb + 1)) {
        (0, _) | (_, None) => 0,
        (_, Some(next)) => next << (64 - shift),
    };
    (low | high) & ((1 << width) - 1)
}

/// One window: buckets filled by batched affine additions, then `Σ k·B_k`.
fn window_sum<P: SWCurveConfig>(
    bases: &[Affine<P>],
    digits: &[i32],
    windows: usize,
    window: usize,
    buckets: usize,
) -> Projective<P> {
    let mut acc = Accumulator::<P>::new(buckets);
    // Work items: bucket index and point index with its sign in the top bit.
    let todo: Vec<(u32, u32)> = digits
        .iter()
        .skip(window)
        .step_by(windows)
        .enumerate()
        // The identity adds nothing (and its affine form is no point to add).
        .filter(|(i, d)| **d != 0 && !bases[*i].is_zero())
        .map(|(i, d)| {
            let sign = if *d < 0 { 1u32 << 31 } else { 0 };
            (d.unsigned_abs() - 1, i as u32 | sign)
        })
        .collect();
    // A batch holds at most an eighth of the buckets, so that nearly every addition finds its
    // bucket free; one that does not goes to the bucket's projective overflow instead (a skewed
    // window, such as the top one, lands there often and costs what plain Pippenger costs).
    let limit = (buckets / 8).clamp(1, BATCH);
    for (bucket, point) in todo {
        acc.add(bucket as usize, signed_point(bases, point));
        if acc.pending.len() >= limit {
            acc.flush();
        }
    }
    acc.flush();
    // Σ k·B_k = Σ_k (B_k + B_{k+1} + … ): a running sum from the top.
    let mut running = Projective::<P>::zero();
    let mut sum = Projective::<P>::zero();
    for (bucket, overflow) in acc.buckets.iter().zip(&acc.overflow).rev() {
        running += bucket;
        if !overflow.is_zero() {
            running += overflow;
        }
        sum += running;
    }
    sum
}

fn signed_point<P: SWCurveConfig>(bases: &[Affine<P>], point: u32) -> Affine<P> {
    let p = bases[(point & !(1 << 31)) as usize];
    if point >> 31 == 1 {
        -p
    } else {
        p
    }
}

/// Affine buckets and the batch of additions pending on them.
struct Accumulator<P: SWCurveConfig> {
    buckets: Vec<Affine<P>>,
    /// What could not wait for a bucket's pending addition; added in at the end.
    overflow: Vec<Projective<P>>,
    /// Whether a bucket has an addition in the pending batch.
    busy: Vec<bool>,
    pending: Vec<(usize, Affine<P>)>,
    denominators: Vec<P::BaseField>,
    scratch: Vec<P::BaseField>,
}

impl<P: SWCurveConfig> Accumulator<P> {
    fn new(buckets: usize) -> Self {
        Accumulator {
            buckets: vec![Affine::identity(); buckets],
            overflow: vec![Projective::zero(); buckets],
            busy: vec![false; buckets],
            pending: Vec::with_capacity(BATCH),
            denominators: Vec::with_capacity(BATCH),
            scratch: Vec::with_capacity(BATCH),
        }
    }

    /// Adds `p` to `bucket`: at once into an empty bucket, into the pending batch if the bucket
    /// has no addition pending, else into the bucket's projective overflow.
    fn add(&mut self, bucket: usize, p: Affine<P>) {
        if self.busy[bucket] {
            self.overflow[bucket] += p;
        } else if self.buckets[bucket].is_zero() {
            self.buckets[bucket] = p;
        } else {
            self.busy[bucket] = true;
            self.pending.push((bucket, p));
        }
    }

    /// Completes every pending addition with one inversion.
    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        self.denominators.clear();
        for (bucket, p) in &self.pending {
            let q = &self.buckets[*bucket];
            // x₂ − x₁ for an addition, 2y for a doubling, 1 (unused) when the sum is zero.
            let d = if q.x != p.x {
                p.x - q.x
            } else if q.y == p.y && !p.y.is_zero() {
                p.y.double()
            } else {
                P::BaseField::ONE
            };
            self.denominators.push(d);
        }
        invert_all(&mut self.denominators, &mut self.scratch);
        for ((bucket, p), inverse) in self.pending.drain(..).zip(&self.denominators) {
            let q = self.buckets[bucket];
            self.busy[bucket] = false;
            let lambda = if q.x != p.x {
                (p.y - q.y) * inverse
            } else if q.y == p.y && !p.y.is_zero() {
                // Tangent slope (3x² + a) / 2y.
                let x2 = q.x.square();
                (x2.double() + x2 + P::COEFF_A) * inverse
            } else {
                self.buckets[bucket] = Affine::identity();
                continue;
            };
            let x = lambda.square() - q.x - p.x;
            let y = lambda * (q.x - x) - q.y;
            self.buckets[bucket] = Affine::new_unchecked(x, y);
        }
    }
}

/// Montgomery's trick: every element of `values` (none zero) replaced by its inverse with one
/// field inversion and three multiplications each.
fn invert_all<F: Field>(values: &mut [F], prefix: &mut Vec<F>) {
    prefix.clear();
    let mut running = F::ONE;
    for v in values.iter() {
        prefix.push(running);
        running *= v;
    }
    let mut inverse = running.inverse().expect("no denominator is zero");
    for (v, before) in values.iter_mut().zip(prefix.iter()).rev() {
        let next = inverse * *v;
        *v = inverse * before;
        inverse = next;
    }
}
