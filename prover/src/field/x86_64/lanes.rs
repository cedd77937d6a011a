//! A batch of G1 bucket additions eight at a time, on AVX-512 IFMA lanes
//! ([`crate::field::ifma`]).
//!
//! The same affine additions with one shared inversion as [`crate::msm`]'s buckets, with addition
//! `8g + l` of the batch on lane `l` of group `g`: each lane keeps its own product chain of
//! denominators, the eight chain products are inverted together in scalar code (one inversion
//! per batch), and each group's eight additions are then completed at once. A lane addition
//! costs eight lane products (six as in scalar code, two to return `x₃` and `y₃` to `ark-ff`'s
//! form) at about a quarter of a scalar product's time each.
//!
//! [`add_with_slopes`] does the same for additions whose slopes' numerators and denominators
//! the caller gives (the bucket reduction's, where some are doublings).
//!
//! Bounds, with `p ≈ 2^260/84.6` and a lane product below `A·B/2^260 + p`: inputs enter below
//! `16p`; the chain and its prefixes stay below `16p`; the slopes' numerators and denominators
//! (`y₂ − y₁ + 16p` and `x₂ − x₁ + 16p` for buckets) are below `32p`; the running inverse stays below `16p`, so a denominator's
//! inverse is below `4.1p` and `λ` below `2.6p`; `λ²` is below `1.1p`, `x₃ = λ² − (x₁ + x₂) + 32p`
//! below `34p`, `x₁ − x₃ + 34p` below `50p`, and `y₃ = λ·(x₁ − x₃ + 34p) − y₁ + 16p` below
//! `19p`: every value fits the lanes' `2^260`.

use crate::field::ifma::{elements_of, words_of, Ifma, Lanes, LANES};
use crate::msm::buckets::Pending;
use ark_bn254::Fq;
use ark_ff::{Field, One, Zero};

/// One group's addition inputs, kept from the forward pass for the backward one.
#[derive(Debug, Clone, Copy)]
struct Group {
    x1: Lanes,
    y1: Lanes,
    x2: Lanes,
    /// The slope's numerator and denominator, each below `32p`.
    numerator: Lanes,
    denominator: Lanes,
    /// The lane chains' products before this group.
    prefix: Lanes,
}

/// Scratch space for the lane additions, reused across batches.
#[derive(Debug, Default)]
pub(crate) struct LaneScratch {
    groups: Vec<Group>,
}

/// Completes every addition in `pending` (at most one per bucket) on `points`.
pub(crate) fn complete(
    ifma: Ifma,
    pending: &[Pending<Fq>],
    points: &mut [(Fq, Fq)],
    scratch: &mut LaneScratch,
) {
    let _proof_of_features = ifma;
    // SAFETY: an `Ifma` exists only where `Ifma::detect` found AVX-512 F and IFMA.
    unsafe { complete_buckets(pending, points, scratch) }
}

/// `(x₁, y₁) + (x₂, y₂)` for every `i`, each with the slope `numerator[i] / denominator[i]`
/// (non-zero denominators), given as `write(i, x₃, y₃)`.
pub(crate) fn add_with_slopes(
    ifma: Ifma,
    [x1, y1, x2, numerator, denominator]: [&[Fq]; 5],
    scratch: &mut LaneScratch,
    write: impl FnMut(usize, Fq, Fq),
) {
    let _proof_of_features = ifma;
    let len = x1.len();
    assert!(
        [y1, x2, numerator, denominator]
            .iter()
            .all(|v| v.len() == len),
        "one entry per addition"
    );
    // Chunks of at most `MAX_CHUNK` additions, each with its own inversion, keep the scratch
    // within the core's cache (the whole batch at once measured twice as slow at 2^15).
    let mut write = write;
    for start in (0..len).step_by(MAX_CHUNK) {
        let end = len.min(start + MAX_CHUNK);
        let chunk = [x1, y1, x2, numerator, denominator].map(|v| &v[start..end]);
        // SAFETY: an `Ifma` exists only where `Ifma::detect` found AVX-512 F and IFMA.
        unsafe {
            add_slopes(end - start, chunk, scratch, |i, x3, y3| {
                write(start + i, x3, y3)
            })
        }
    }
}

/// Additions per chunk of [`add_with_slopes`]: their groups take about 240 KiB.
const MAX_CHUNK: usize = 1024;

#[target_feature(enable = "avx512f,avx512ifma")]
fn complete_buckets(pending: &[Pending<Fq>], points: &mut [(Fq, Fq)], scratch: &mut LaneScratch) {
    let p16 = Lanes::modulus_times(16);
    scratch.groups.clear();
    let mut chain = Lanes::from_words(&words_of(&[Fq::one(); LANES]));
    for additions in pending.chunks(LANES) {
        let mut words = [[[0u64; LANES]; 4]; 4];
        for (lane, add) in additions.iter().enumerate() {
            let (x1, y1) = &points[add.bucket as usize];
            for (coordinate, value) in [x1, y1, &add.x, &add.y].into_iter().enumerate() {
                for (k, limb) in (value.0).0.iter().enumerate() {
                    words[coordinate][k][lane] = *limb;
                }
            }
        }
        // A lane without an addition adds the point with x-word 1 to (0, 0): a non-zero
        // denominator, its result unused.
        for lane_word in &mut words[2][0][additions.len()..] {
            *lane_word = 1;
        }
        let [x1, y1, x2, y2] = words.map(|w| Lanes::from_words(&w));
        chain = scratch.push(chain, x1, y1, x2, y2.sub(&y1, &p16), x2.sub(&x1, &p16));
    }
    scratch.finish(chain, |group, x3, y3| {
        for (lane, add) in pending[group * LANES..].iter().take(LANES).enumerate() {
            points[add.bucket as usize] = (x3[lane], y3[lane]);
        }
    });
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn add_slopes(
    len: usize,
    inputs: [&[Fq]; 5],
    scratch: &mut LaneScratch,
    mut write: impl FnMut(usize, Fq, Fq),
) {
    scratch.groups.clear();
    let mut chain = Lanes::from_words(&words_of(&[Fq::one(); LANES]));
    for start in (0..len).step_by(LANES) {
        let count = LANES.min(len - start);
        let mut words = [[[0u64; LANES]; 4]; 5];
        for (words, values) in words.iter_mut().zip(inputs) {
            for (lane, value) in values[start..start + count].iter().enumerate() {
                for (k, limb) in (value.0).0.iter().enumerate() {
                    words[k][lane] = *limb;
                }
            }
        }
        // A lane without an addition has the denominator 1, its result unused.
        for lane_word in &mut words[4][0][count..] {
            *lane_word = 1;
        }
        let [x1, y1, x2, numerator, denominator] = words.map(|w| Lanes::from_words(&w));
        chain = scratch.push(chain, x1, y1, x2, numerator, denominator);
    }
    scratch.finish(chain, |group, x3, y3| {
        for lane in 0..LANES.min(len - group * LANES) {
            write(group * LANES + lane, x3[lane], y3[lane]);
        }
    });
}

impl LaneScratch {
    /// Keeps a group for [`LaneScratch::finish`]; the lane chains' products after it.
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn push(
        &mut self,
        chain: Lanes,
        x1: Lanes,
        y1: Lanes,
        x2: Lanes,
        numerator: Lanes,
        denominator: Lanes,
    ) -> Lanes {
        self.groups.push(Group {
            x1,
            y1,
            x2,
            numerator,
            denominator,
            prefix: chain,
        });
        chain.mul(&denominator)
    }

    /// Completes the kept groups' additions, last first, `chain` the lane chains' products
    /// over all of them; `write(g, x₃, y₃)` takes group `g`'s sums in `ark-ff`'s form.
    #[target_feature(enable = "avx512f,avx512ifma")]
    fn finish(&self, chain: Lanes, mut write: impl FnMut(usize, &[Fq; LANES], &[Fq; LANES])) {
        let p16 = Lanes::modulus_times(16);
        let p32 = Lanes::modulus_times(32);
        let p34 = Lanes::modulus_times(34);
        // Each lane's inverse from one inversion of the eight chain products.
        let mut words = [[0u64; LANES]; 4];
        chain.write_words(&mut words);
        let products = elements_of(&words);
        let mut before = [Fq::one(); LANES];
        let mut running = Fq::one();
        for (before, product) in before.iter_mut().zip(&products) {
            *before = running;
            running *= product;
        }
        // Every denominator is non-zero (the callers divert equal x-coordinates), so is their
        // product.
        debug_assert!(!running.is_zero(), "a zero denominator reached the lanes");
        let mut inverse = running.inverse().unwrap_or(Fq::one());
        let mut inverses = [Fq::one(); LANES];
        for lane in (0..LANES).rev() {
            inverses[lane] = inverse * before[lane];
            inverse *= products[lane];
        }
        let mut inverse = Lanes::from_words(&words_of(&inverses));

        let mut x_words = [[0u64; LANES]; 4];
        let mut y_words = [[0u64; LANES]; 4];
        for (g, group) in self.groups.iter().enumerate().rev() {
            let Group {
                x1,
                y1,
                x2,
                numerator,
                denominator,
                prefix,
            } = *group;
            // `inverse` is each lane chain's inverse up to and including this group.
            let denominator_inverse = inverse.mul(&prefix);
            inverse = inverse.mul(&denominator);
            let lambda = numerator.mul(&denominator_inverse);
            let x3 = lambda.mul(&lambda).sub(&x1.add(&x2), &p32);
            let y3 = lambda.mul(&x1.sub(&x3, &p34)).sub(&y1, &p16);
            x3.write_words(&mut x_words);
            y3.write_words(&mut y_words);
            write(g, &elements_of(&x_words), &elements_of(&y_words));
        }
    }
}
