//! The words that go to and come back from the kernels, and the plan of one MSM's buffers.
//!
//! A base-field element is arkworks' Montgomery limbs as eight little-endian u32 words (the
//! kernels' R = 2^256 is arkworks' R); an affine point is x then y, and the point at infinity
//! (0, 0), which is not on the curve. A scalar is its standard form's eight little-endian words.
//! A projective sum is X, Y, Z (24 words).

use super::GpuError;
use crate::parallel::prelude::*;
use ark_bn254::{Fq, Fr, G1Affine, G1Projective};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, Field, PrimeField, Zero};

/// Words per affine point in a buffer.
pub(super) const POINT_WORDS: usize = 16;
/// Words per projective sum in a buffer.
pub(super) const SUM_WORDS: usize = 24;
/// Threads per workgroup of the one-thread-per-item kernels (`WORKGROUP` in msm.wgsl).
pub(super) const WORKGROUP: u32 = 64;
/// Threads per workgroup of the kernels that add points (`POINT_WORKGROUP` in curve.wgsl):
/// their registers, 19 elements of 32 bytes each, must fit the 16 KiB of workgroup memory
/// every adapter has.
pub(super) const POINT_WORKGROUP: u32 = 16;
/// Buckets per workgroup of `scan_blocks` (`SCAN_THREADS · SCAN_PER_THREAD`).
pub(super) const SCAN_BLOCK: u32 = 1024;

fn push_fq(words: &mut Vec<u32>, x: &Fq) {
    for limb in x.0 .0 {
        words.push(limb as u32);
        words.push((limb >> 32) as u32);
    }
}

/// `points` as the kernels read them.
pub(super) fn point_words(points: &[G1Affine]) -> Vec<u32> {
    let mut words = Vec::with_capacity(points.len() * POINT_WORDS);
    for p in points {
        if p.is_zero() {
            words.extend_from_slice(&[0; POINT_WORDS]);
        } else {
            push_fq(&mut words, &p.x);
            push_fq(&mut words, &p.y);
        }
    }
    words
}

/// `scalars` in standard form, as the kernels read them.
pub(super) fn scalar_words(scalars: &[Fr]) -> Vec<u32> {
    let mut words = vec![0u32; scalars.len() * 8];
    words
        .par_chunks_mut(8)
        .zip(scalars.par_iter())
        .for_each(|(w, s)| {
            for (k, limb) in s.into_bigint().0.iter().enumerate() {
                w[2 * k] = *limb as u32;
                w[2 * k + 1] = (limb >> 32) as u32;
            }
        });
    words
}

fn read_fq(words: &[u32]) -> Result<Fq, GpuError> {
    let mut limbs = [0u64; 4];
    for (k, limb) in limbs.iter_mut().enumerate() {
        *limb = u64::from(words[2 * k]) | (u64::from(words[2 * k + 1]) << 32);
    }
    let bigint = BigInt::new(limbs);
    if bigint >= Fq::MODULUS {
        return Err(GpuError::BadOutput("a coordinate not below p"));
    }
    Ok(Fq::new_unchecked(bigint))
}

/// A homogeneous projective sum (X : Y : Z), x = X/Z and y = Y/Z, as arkworks' Jacobian point
/// (X·Z, Y·Z², Z): x = XZ/Z² and y = YZ²/Z³.
pub(super) fn read_sum(words: &[u32]) -> Result<G1Projective, GpuError> {
    let x = read_fq(&words[0..8])?;
    let y = read_fq(&words[8..16])?;
    let z = read_fq(&words[16..24])?;
    if z.is_zero() {
        return Ok(G1Projective::zero());
    }
    Ok(G1Projective::new_unchecked(x * z, y * z.square(), z))
}

/// Additions one invocation makes at most in `accumulate` (a segment's entries), `fold` (the
/// sums it gathers) and `reduce` (twice its run's buckets). Mesa's software Vulkan stops a loop
/// after 65,535 iterations in total per invocation (llvmpipe's loop limiter), and one addition
/// as a program is about 280 of them there (measured: a segment of 235 entries came back
/// wrong, of 234 right); 128 additions stay within it with room. Real GPUs have no such limit;
/// the bound also keeps every invocation's work short and even.
pub(super) const MAX_SEGMENT: u32 = 128;
/// Segment sums one `fold` invocation adds together.
pub(super) const FOLD: u32 = 64;
/// Buckets in one `reduce` run at most (each costs two additions).
pub(super) const MAX_RUN: u32 = 64;

/// The shape of one MSM of `n` points on the device: its windows and the sections of its
/// buffers (mirrors `Params` in msm.wgsl, word for word).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Plan {
    pub n: u32,
    pub c: u32,
    pub windows: u32,
    pub buckets: u32,
    pub segment: u32,
    pub runs: u32,
    pub offsets: u32,
    pub segment_offsets: u32,
    pub block_sums: u32,
    pub totals: u32,
    pub sorted: u32,
    pub segment_sums: u32,
    /// Two projective points per run: its sum, then its weighted sum.
    pub run_sums: u32,
    pub max_segments: u32,
    /// `fold` passes: the segment sums of a bucket are added [`FOLD`] at a time until one is
    /// left, and a bucket has at most ⌈n / segment⌉ segments.
    pub folds: u32,
    /// Words of the `index` buffer.
    pub index_words: u64,
    /// Projective points of the `sums` buffer.
    pub sum_points: u64,
}

impl Plan {
    /// The plan for `n` points (`1 ≤ n < 2^31`).
    ///
    /// Window: c = log2(n) − 4, between 4 and 16 bits (16 at 2^20 points: 16 windows of 2^15
    /// buckets, 16·2^20 bucket additions). Segment: √n entries (a power of two) between 32 and
    /// [`MAX_SEGMENT`]: a bucket holding every point (all scalars equal) is summed by many
    /// invocations, then folded. Runs: [`MAX_RUN`] buckets each, so 2^9 per window at 2^20.
    pub(super) fn new(n: usize) -> Result<Self, GpuError> {
        let n32 = u32::try_from(n)
            .ok()
            .filter(|&n| n < 1 << 31)
            .ok_or(GpuError::TooManyPoints(n))?;
        let log = usize::BITS - n.max(2).next_power_of_two().leading_zeros() - 1;
        let c = log.saturating_sub(4).clamp(4, 16);
        let windows = 254 / c + 1;
        let buckets = 1u32 << (c - 1);
        let segment = (n.isqrt().next_power_of_two() as u32).clamp(32, MAX_SEGMENT);
        let runs = buckets / buckets.min(MAX_RUN);
        let mut folds = 0;
        let mut span = 1u64;
        while span < u64::from(n32.div_ceil(segment)) {
            span *= u64::from(FOLD);
            folds += 1;
        }
        let all_buckets = u64::from(windows) * u64::from(buckets);
        let entries = u64::from(n32) * u64::from(windows);
        let blocks = all_buckets.div_ceil(u64::from(SCAN_BLOCK));
        let max_segments = entries / u64::from(segment) + all_buckets.min(entries) + 1;
        let offsets = 0;
        let segment_offsets = all_buckets;
        let block_sums = 2 * all_buckets;
        let totals = block_sums + 2 * blocks;
        let sorted = totals + 2;
        let index_words = sorted + entries;
        let segment_sums = 0;
        let run_sums = max_segments;
        let sum_points = run_sums + 2 * u64::from(windows) * u64::from(runs);
        let word = |x: u64| u32::try_from(x).map_err(|_| GpuError::TooManyPoints(n));
        Ok(Plan {
            n: n32,
            c,
            windows,
            buckets,
            segment,
            runs,
            offsets: word(offsets)?,
            segment_offsets: word(segment_offsets)?,
            block_sums: word(block_sums)?,
            totals: word(totals)?,
            sorted: word(sorted)?,
            segment_sums: word(segment_sums)?,
            run_sums: word(run_sums)?,
            max_segments: word(max_segments)?,
            folds,
            index_words,
            sum_points,
        })
    }

    /// The uniform `Params` of msm.wgsl, with the length of the point programs' addition.
    pub(super) fn params(&self, add_length: u32) -> [u32; 16] {
        [
            self.n,
            self.c,
            self.windows,
            self.buckets,
            self.segment,
            self.runs,
            self.offsets,
            self.segment_offsets,
            self.block_sums,
            self.totals,
            self.sorted,
            self.segment_sums,
            self.run_sums,
            self.max_segments,
            add_length,
            0,
        ]
    }

    /// The stride of fold pass `level`: FOLD^level.
    pub(super) fn fold_stride(level: u32) -> u32 {
        FOLD.pow(level)
    }

    /// All buckets of all windows.
    pub(super) fn all_buckets(&self) -> u32 {
        self.windows * self.buckets
    }
}
