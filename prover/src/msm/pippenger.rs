//! Pippenger's bucket method with signed digits and affine bucket accumulation.
//!
//! A scalar `s` above `(r−1)/2` is replaced by `r − s` on the negated point, so every magnitude
//! is below `2^{b−1}` (`b` the bit size of `r`): small negative scalars, common in witnesses,
//! cost what small positive ones do. The magnitude is written in `W = ⌈b/c⌉` signed digits
//! `s = Σ_w d_w·2^{o_w}` of balanced widths `c_w ≤ c` (`o_w = Σ_{v<w} c_v`, `Σ c_w = b`) with
//! `d_w ∈ (−2^{c_w−1}, 2^{c_w−1}]`: a digit above `2^{c_w−1}` becomes `d − 2^{c_w}` and carries
//! one into the next window, and the top window, holding at most `c_w−1` bits plus a carry,
//! never needs to. A window then needs only the `2^{c_w−1}` buckets
//! `B_k = Σ_{|d_{w,i}|=k} sign(d_{w,i})·P_i`, since `−P` costs nothing in affine form, and
//!
//! ```text
//! S_w = Σ_k k·B_k   (running sums from the top bucket down: two additions per bucket)
//! Σ sᵢ·Pᵢ = Σ_w 2^{o_w}·S_w   (Horner: c_w doublings per window)
//! ```
//!
//! On BN254's G1, below [`GLV_BELOW`] points, the scalars are first split by the GLV
//! endomorphism (`msm/glv.rs`) into `2n` scalars of 127 bits.
//!
//! Buckets are accumulated in affine coordinates with one inversion per batch of additions
//! (`super::buckets`), the bucket a few points ahead prefetched, and reduced in affine lanes
//! sharing inversions (`super::reduction`). A zero digit costs nothing, so a scalar of `k` bits costs `⌈k/c⌉`
//! additions. Digits are stored window by window, so a window reads its own contiguously;
//! windows run in parallel, one per rayon thread at a time, and the window width minimises
//! the rounds of windows times a window's cost for the thread count.
//!
//! Memory besides the inputs: the digits, `4·W·n` bytes (64 MiB for 2^20 points at `c = 16`),
//! and per thread one window's buckets, about `2^{c−1}` affine and projective points (5 MiB on
//! G1 at `c = 16`).

use super::buckets::Buckets;
use super::{check_lengths, Msm, MsmError};
use crate::field::{FastField, Multiplier, Portable};
use crate::parallel::prelude::*;
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::AdditiveGroup;
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField, Zero};

/// The most points one MSM takes.
pub const MAX_POINTS: usize = (1 << 31) - 1;

/// Below this many points the bucket machinery costs more than it saves.
const SMALL: usize = 16;

/// How many points ahead a bucket is prefetched.
const PREFETCH_DISTANCE: usize = 8;

/// Scalars per block when digits are written window by window.
const DIGIT_BLOCK: usize = 4096;

/// zksettle's MSM (see the module docs).
#[derive(Debug, Clone, Copy, Default)]
pub struct Pippenger {
    /// Window width in bits; `None` chooses it from the number of points.
    pub window: Option<usize>,
    /// Which field multiplication the buckets use.
    pub arithmetic: Arithmetic,
    /// Whether BN254's G1 MSMs split scalars by the GLV endomorphism (`msm/glv.rs`): `None`
    /// below [`GLV_BELOW`] points, where it measured faster.
    pub glv: Option<bool>,
}

/// Below this many points the GLV split pays for itself: halving the windows halves the
/// bucket reductions, most of a small MSM's work (in-process A/B: 2^8 points 0.62x the time,
/// 2^12 0.74x, 2^14 0.87x, 2^15 0.95x, 57,344 0.99x), while from 2^16 up the split and the
/// doubled bases cost more than it saves (2^16 1.14x, 2^18 1.08x).
pub const GLV_BELOW: usize = 1 << 16;

/// The field multiplication an MSM runs on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Arithmetic {
    /// The fastest this CPU has: G1's bucket additions eight at a time on AVX-512 IFMA lanes
    /// ([`crate::field::ifma`]) where present, and [`crate::field::adx`]'s assembly for the
    /// other products where BMI2 and ADX are present; `ark-ff`'s elsewhere.
    #[default]
    Fastest,
    /// One product at a time: [`crate::field::adx`]'s assembly where present, without the
    /// IFMA lanes (for comparisons and tests).
    Scalar,
    /// `ark-ff`'s on every CPU (for comparisons and tests).
    Portable,
}

impl Arithmetic {
    /// What [`Arithmetic::Fastest`] runs on, on this CPU (for reports).
    pub fn fastest_here() -> &'static str {
        {
            use crate::field::{adx::Adx, ifma::Ifma};
            if Ifma::detect().is_some() {
                return "G1 additions on AVX-512 IFMA lanes, MULX/ADX products";
            }
            if Adx::detect().is_some() {
                return "MULX/ADX products";
            }
        }
        "ark-ff products"
    }
}

impl<P: SWCurveConfig> Msm<P> for Pippenger
where
    P::BaseField: FastField,
{
    fn msm(
        &self,
        bases: &[Affine<P>],
        scalars: &[P::ScalarField],
    ) -> Result<Projective<P>, MsmError> {
        check_lengths(bases.len(), scalars.len())?;
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
    ) -> Projective<P>
    where
        P::BaseField: FastField,
    {
        {
            use crate::field::{adx::Adx, ifma::Ifma};
            if self.arithmetic == Arithmetic::Fastest {
                if let Some(ifma) = Ifma::detect() {
                    return self.run_with(ifma, bases, scalars);
                }
            }
            if self.arithmetic != Arithmetic::Portable {
                if let Some(adx) = Adx::detect() {
                    return self.run_with(adx, bases, scalars);
                }
            }
        }
        self.run_with(Portable, bases, scalars)
    }

    fn run_with<P: SWCurveConfig, M: Multiplier>(
        &self,
        multiplier: M,
        bases: &[Affine<P>],
        scalars: &[P::ScalarField],
    ) -> Projective<P>
    where
        P::BaseField: FastField,
    {
        let n = bases.len();
        if n < SMALL {
            return bases
                .iter()
                .zip(scalars)
                .map(|(p, s)| p.mul_bigint(s.into_bigint()))
                .sum();
        }
        if self.glv.unwrap_or(n < GLV_BELOW) {
            if let Some((bases, scalars)) = super::glv::split(bases, scalars) {
                return self.windows_sum(multiplier, &bases, &scalars, super::glv::HALF_BITS + 1);
            }
        }
        // Magnitudes after the negation trick are below 2^(b−1); the signed digits need one
        // bit more.
        let digit_bits = P::ScalarField::MODULUS_BIT_SIZE as usize;
        self.windows_sum(multiplier, bases, scalars, digit_bits)
    }

    /// The MSM over `digit_bits`-bit signed digits: every scalar's magnitude after the negation
    /// trick is below `2^{digit_bits − 1}`.
    fn windows_sum<P: SWCurveConfig, M: Multiplier>(
        &self,
        multiplier: M,
        bases: &[Affine<P>],
        scalars: &[P::ScalarField],
        digit_bits: usize,
    ) -> Projective<P>
    where
        P::BaseField: FastField,
    {
        let n = bases.len();
        let threads = crate::parallel::current_num_threads();
        let c = self
            .window
            .unwrap_or_else(|| window_for(n, digit_bits, threads))
            .clamp(2, 24);
        let widths = balanced_widths(digit_bits, c);
        let digits = signed_digits::<P::ScalarField>(scalars, &widths);
        let sums: Vec<Projective<P>> = digits
            .par_chunks(n)
            .zip(&widths)
            .with_max_len(1)
            .map_init(
                || Buckets::<P, M>::new(multiplier),
                |buckets, (window, width)| window_sum(buckets, bases, window, 1 << (width - 1)),
            )
            .collect();
        // Σ_w 2^{o_w}·S_w by Horner from the top window, o_{w+1} − o_w = widths[w].
        let mut windows = sums.into_iter().zip(&widths).rev();
        let top = windows.next().map_or(Projective::zero(), |(sum, _)| sum);
        windows.fold(top, |mut acc, (sum, &width)| {
            for _ in 0..width {
                acc.double_in_place();
            }
            acc + sum
        })
    }
}

/// The window width minimising `⌈W/T⌉·(n·A + 2^{c−1}·R)` for `T` threads: each round of
/// windows costs `n` batched affine additions (`A`, about seven multiplications with the
/// batch's bookkeeping) and the reduction over the buckets (`R`: two affine additions in
/// `super::reduction`'s lanes, about fourteen, less what a wider window saves elsewhere:
/// larger batches, so fewer inversions per addition, and fewer additions waiting on a busy
/// bucket). `R = 8` fits in-process sweeps over `c` on this machine: 2^16 points take
/// `c = 13`, 2^18 `c = 16` (0.544 s; 0.601 s at the former choice, 13), 2^20 `c = 16`.
pub fn window_for(n: usize, digit_bits: usize, threads: usize) -> usize {
    let threads = threads.max(1) as u128;
    (2..=20)
        .min_by_key(|&c| {
            let rounds = (digit_bits.div_ceil(c) as u128).div_ceil(threads);
            rounds * (n as u128 * 7 + (1u128 << (c - 1)) * 8)
        })
        .unwrap_or(16)
}

/// `⌈b/c⌉` window widths summing to `b`, none above `c` and differing by at most one bit: with
/// `c` for all of them the top window would hold the `b mod c` bits left over, its few buckets
/// then taking most of its points each (at 2^16 points and `c = 13`, 64 buckets: 13% slower,
/// measured).
pub(super) fn balanced_widths(b: usize, c: usize) -> Vec<usize> {
    let windows = b.div_ceil(c);
    let (narrow, wide) = (b / windows, b % windows);
    (0..windows)
        .map(|w| narrow + usize::from(w < wide))
        .collect()
}

/// Signed digits, window-major: `out[w·n + i]` is digit `w` (`widths[w]` bits wide, at bit
/// `Σ_{v<w} widths[v]`) of scalar `i`'s magnitude, negated when the scalar was above `(r−1)/2`.
/// The widths must sum to at least one bit more than any magnitude (after the negation trick)
/// has, so the top window never carries.
pub(super) fn signed_digits<F: PrimeField>(scalars: &[F], widths: &[usize]) -> Vec<i32> {
    let n = scalars.len();
    let windows = widths.len();
    let offsets: Vec<usize> = widths
        .iter()
        .scan(0, |offset, &width| {
            let this = *offset;
            *offset += width;
            Some(this)
        })
        .collect();
    let mut out = vec![0i32; windows * n];
    // Each block of scalars writes its own range of every window.
    let blocks = n.div_ceil(DIGIT_BLOCK);
    let mut parts: Vec<Vec<&mut [i32]>> =
        (0..blocks).map(|_| Vec::with_capacity(windows)).collect();
    for window in out.chunks_mut(n) {
        for (part, block) in window.chunks_mut(DIGIT_BLOCK).zip(parts.iter_mut()) {
            block.push(part);
        }
    }
    let half_r = F::MODULUS_MINUS_ONE_DIV_TWO;
    parts
        .into_par_iter()
        .zip(scalars.par_chunks(DIGIT_BLOCK))
        .for_each(|(mut block, scalars)| {
            for (i, s) in scalars.iter().enumerate() {
                let mut limbs = s.into_bigint();
                let negate = limbs > half_r;
                if negate {
                    let mut r = F::MODULUS;
                    r.sub_with_borrow(&limbs);
                    limbs = r;
                }
                let limbs = limbs.as_ref();
                let mut carry = 0i64;
                for (w, window) in block.iter_mut().enumerate() {
                    let c = widths[w];
                    let mut value = bits_at(limbs, offsets[w], c) as i64 + carry;
                    carry = 0;
                    if value > 1 << (c - 1) {
                        value -= 1 << c;
                        carry = 1;
                    }
                    window[i] = if negate { -value } else { value } as i32;
                }
                debug_assert_eq!(carry, 0, "the top window never carries");
            }
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

/// One window: every point with a non-zero digit added to the bucket of its digit's magnitude
/// (negated for a negative digit), then `Σ k·B_k`.
pub(super) fn window_sum<P: SWCurveConfig, M: Multiplier>(
    buckets: &mut Buckets<P, M>,
    bases: &[Affine<P>],
    digits: &[i32],
    count: usize,
) -> Projective<P>
where
    P::BaseField: FastField,
{
    // Small scalars leave their top windows empty.
    if digits.iter().all(|&d| d == 0) {
        return Projective::zero();
    }
    buckets.reset(count);
    for (i, (base, &digit)) in bases.iter().zip(digits).enumerate() {
        // The bucket a few points ahead starts loading now: at 2^20 points the buckets outgrow
        // the per-core cache, and waiting on them cost about a tenth of the MSM (measured A/B).
        if let Some(&ahead) = digits.get(i + PREFETCH_DISTANCE) {
            if ahead != 0 {
                buckets.prefetch(ahead.unsigned_abs() as usize - 1);
            }
        }
        // The identity adds nothing (and its affine form is no point to add).
        if digit == 0 || base.is_zero() {
            continue;
        }
        let bucket = digit.unsigned_abs() as usize - 1;
        let y = if digit < 0 { base.y.neg_fast() } else { base.y };
        buckets.add(bucket, base.x, y);
    }
    buckets.weighted_sum()
}
