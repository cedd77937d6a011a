//! A batch of G1 bucket additions eight at a time, on AVX-512 IFMA lanes
//! ([`crate::field::ifma`]).
//!
//! The same affine additions with one shared inversion as [`super::buckets`], with addition
//! `8g + l` of the batch on lane `l` of group `g`: each lane keeps its own product chain of
//! denominators, the eight chain products are inverted together in scalar code (one inversion
//! per batch), and each group's eight additions are then completed at once. A lane addition
//! costs eight lane products (six as in scalar code, two to return `x₃` and `y₃` to `ark-ff`'s
//! form) at about a quarter of a scalar product's time each.
//!
//! Bounds, with `p ≈ 2^260/84.6` and a lane product below `A·B/2^260 + p`: inputs enter below
//! `16p`; the chain and its prefixes stay below `16p`; the denominators `x₂ − x₁ + 16p` and
//! `y₂ − y₁ + 16p` are below `32p`; the running inverse stays below `16p`, so a denominator's
//! inverse is below `4.1p` and `λ` below `2.6p`; `λ²` is below `1.1p`, `x₃ = λ² − (x₁ + x₂) + 32p`
//! below `34p`, `x₁ − x₃ + 34p` below `50p`, and `y₃ = λ·(x₁ − x₃ + 34p) − y₁ + 16p` below
//! `19p`: every value fits the lanes' `2^260`.

use super::buckets::Pending;
use crate::field::ifma::{elements_of, words_of, Ifma, Lanes, LANES};
use ark_bn254::Fq;
use ark_ff::{Field, One};

/// One group's inputs, kept from the forward pass for the backward one.
#[derive(Debug, Clone, Copy)]
struct Group {
    x1: Lanes,
    y1: Lanes,
    x2: Lanes,
    y2: Lanes,
    /// The lane chains' products before this group.
    prefix: Lanes,
}

/// Scratch space for [`complete`], reused across batches.
#[derive(Debug, Default)]
pub(super) struct LaneScratch {
    groups: Vec<Group>,
}

/// Completes every addition in `pending` (at most one per bucket) on `points`.
pub(super) fn complete(
    ifma: Ifma,
    pending: &[Pending<Fq>],
    points: &mut [(Fq, Fq)],
    scratch: &mut LaneScratch,
) {
    let _proof_of_features = ifma;
    // SAFETY: an `Ifma` exists only where `Ifma::detect` found AVX-512 F and IFMA.
    unsafe { complete_on_lanes(pending, points, scratch) }
}

#[target_feature(enable = "avx512f,avx512ifma")]
fn complete_on_lanes(pending: &[Pending<Fq>], points: &mut [(Fq, Fq)], scratch: &mut LaneScratch) {
    let p16 = Lanes::modulus_times(16);
    let p32 = Lanes::modulus_times(32);
    let p34 = Lanes::modulus_times(34);
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
        // A lane without an addition adds 1 to 0: a non-zero denominator, result unused.
        for lane_word in &mut words[2][0][additions.len()..] {
            *lane_word = 1;
        }
        let [x1, y1, x2, y2] = words.map(|w| Lanes::from_words(&w));
        scratch.groups.push(Group {
            x1,
            y1,
            x2,
            y2,
            prefix: chain,
        });
        chain = chain.mul(&x2.sub(&x1, &p16));
    }

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
    // Every denominator is non-zero (enqueue diverts equal x-coordinates), so is their product.
    let mut inverse = running.inverse().unwrap_or(Fq::one());
    let mut inverses = [Fq::one(); LANES];
    for lane in (0..LANES).rev() {
        inverses[lane] = inverse * before[lane];
        inverse *= products[lane];
    }
    let mut inverse = Lanes::from_words(&words_of(&inverses));

    let mut x_words = [[0u64; LANES]; 4];
    let mut y_words = [[0u64; LANES]; 4];
    for (additions, group) in pending.chunks(LANES).zip(&scratch.groups).rev() {
        let Group {
            x1,
            y1,
            x2,
            y2,
            prefix,
        } = *group;
        // `inverse` is each lane chain's inverse up to and including this group.
        let denominator_inverse = inverse.mul(&prefix);
        inverse = inverse.mul(&x2.sub(&x1, &p16));
        let lambda = y2.sub(&y1, &p16).mul(&denominator_inverse);
        let x3 = lambda.mul(&lambda).sub(&x1.add(&x2), &p32);
        let y3 = lambda.mul(&x1.sub(&x3, &p34)).sub(&y1, &p16);
        x3.write_words(&mut x_words);
        y3.write_words(&mut y_words);
        let [x3, y3] = [&x_words, &y_words].map(elements_of);
        for (lane, add) in additions.iter().enumerate() {
            points[add.bucket as usize] = (x3[lane], y3[lane]);
        }
    }
}
