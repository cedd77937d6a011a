//! The multi-scalar multiplication behind batch verification: Pippenger's bucket method with
//! signed digits, over Baby Jubjub in extended coordinates with `a = −1` (see
//! [`super::extended`]).
//!
//! A batch mixes scalars of two lengths: 128-bit weights on the signatures' `R8` points and
//! full-size scalars on the keys and `B8`. One MSM over all of them shares each window's bucket
//! sums between both kinds, and a point takes part only in the windows its scalar reaches; the
//! window width is picked for the number of points. With the `parallel` feature the windows run
//! on rayon's threads.
//!
//! Scalars are integers below `2^256 - 2^(c-1)·2^(256-c)`, taken as they are (no reduction), so
//! the result is exact for points of any order.

use super::extended::{Extended, Niels};

/// A scalar as four little-endian 64-bit limbs.
pub(super) type Limbs = [u64; 4];

/// `Σ scalars[i]·bases[i]`. `bases` and `scalars` have the same length.
pub(super) fn msm(bases: &[Niels], scalars: &[Limbs]) -> Extended {
    debug_assert_eq!(bases.len(), scalars.len());
    let bits = scalars.iter().map(bit_length).max().unwrap_or(0);
    if bits == 0 {
        return Extended::IDENTITY;
    }
    let c = window_bits(bases.len(), bits);
    // One more window than `bits / c` holds the last carry of the signed recoding.
    let windows = bits.div_ceil(c) + 1;
    let digits: Vec<i32> = scalars
        .iter()
        .flat_map(|s| signed_digits(s, c, windows))
        .collect();
    let window_sum = |w: usize| -> Extended {
        let mut buckets = vec![Extended::IDENTITY; 1 << (c - 1)];
        for (i, base) in bases.iter().enumerate() {
            let d = digits[i * windows + w];
            if d > 0 {
                buckets[(d - 1) as usize].add_niels(base);
            } else if d < 0 {
                buckets[(-d - 1) as usize].add_niels(&base.neg());
            }
        }
        // Σ k·bucket_k as running sums from the top bucket down.
        let mut running = Extended::IDENTITY;
        let mut sum = Extended::IDENTITY;
        for bucket in buckets.iter().rev() {
            running.add(bucket);
            sum.add(&running);
        }
        sum
    };
    #[cfg(feature = "parallel")]
    let sums: Vec<Extended> = {
        use rayon::prelude::*;
        (0..windows).into_par_iter().map(window_sum).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let sums: Vec<Extended> = (0..windows).map(window_sum).collect();
    let mut total = Extended::IDENTITY;
    for sum in sums.iter().rev() {
        for _ in 0..c {
            total.double();
        }
        total.add(sum);
    }
    total
}

fn bit_length(s: &Limbs) -> usize {
    s.iter()
        .rposition(|&limb| limb != 0)
        .map_or(0, |i| 64 * i + 64 - s[i].leading_zeros() as usize)
}

/// The window width minimising `windows · (points + buckets·2)`: each window adds every point
/// once into a bucket, then pays two additions per bucket for the running sums.
fn window_bits(points: usize, bits: usize) -> usize {
    (2..=16)
        .min_by_key(|&c: &usize| (bits.div_ceil(c) + 1) * (points + (1 << c)))
        .unwrap_or(2)
}

/// `s = Σ d_w·2^(c·w)` with every `d_w` in `[-2^(c-1), 2^(c-1))`, `windows` digits.
fn signed_digits(s: &Limbs, c: usize, windows: usize) -> impl Iterator<Item = i32> + '_ {
    let half = 1i64 << (c - 1);
    let mut carry = 0i64;
    (0..windows).map(move |w| {
        let raw = window(s, w * c, c) as i64 + carry;
        let (digit, next) = if raw >= half {
            (raw - (1 << c), 1)
        } else {
            (raw, 0)
        };
        carry = next;
        digit as i32
    })
}

/// Bits `start..start + c` of `s` (zero past the top).
fn window(s: &Limbs, start: usize, c: usize) -> u64 {
    let (limb, shift) = (start / 64, start % 64);
    if limb >= 4 {
        return 0;
    }
    let mut bits = s[limb] >> shift;
    if shift + c > 64 && limb + 1 < 4 {
        bits |= s[limb + 1] << (64 - shift);
    }
    bits & ((1u64 << c) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::babyjubjub::{Point, SubgroupScalar};
    use crate::field::Fr;
    use ark_ec::{CurveGroup, VariableBaseMSM};
    use ark_ed_on_bn254::{EdwardsAffine, EdwardsProjective};
    use ark_ff::{BigInteger, PrimeField};
    use rand::RngCore;

    fn limbs_of(v: &SubgroupScalar) -> Limbs {
        v.into_bigint().0
    }

    /// arkworks' MSM, which also takes the integers as they are.
    fn reference(bases: &[Point], scalars: &[Limbs]) -> Point {
        let ark: Vec<EdwardsAffine> = bases.iter().map(Point::to_ark).collect();
        let bigints: Vec<ark_ff::BigInt<4>> = scalars.iter().map(|s| ark_ff::BigInt(*s)).collect();
        Point::from_ark(&EdwardsProjective::msm_bigint(&ark, &bigints).into_affine())
    }

    fn ours(bases: &[Point], scalars: &[Limbs]) -> Point {
        let niels: Vec<Niels> = bases.iter().map(Niels::new).collect();
        msm(&niels, scalars).to_point()
    }

    fn points(n: usize, seed: u64) -> Vec<Point> {
        let g = Point::base8();
        (0..n as u64)
            .map(|i| g.mul(&SubgroupScalar::from(seed * 1000 + i + 1)))
            .collect()
    }

    #[test]
    fn signed_digits_recompose_the_scalar() {
        let mut rng = rand::rng();
        for c in 2..=16 {
            for _ in 0..20 {
                let s = [
                    rng.next_u64(),
                    rng.next_u64(),
                    rng.next_u64(),
                    rng.next_u64() >> 3,
                ];
                let windows = 253usize.div_ceil(c) + 1;
                let mut back = ark_ff::BigInt::<5>::zero();
                let mut negative = ark_ff::BigInt::<5>::zero();
                for (w, d) in signed_digits(&s, c, windows).enumerate() {
                    assert!(-(1 << (c - 1)) <= d && d < (1 << (c - 1)), "c = {c}");
                    let mut term = ark_ff::BigInt::<5>::from(d.unsigned_abs() as u64);
                    term <<= (w * c) as u32;
                    if d >= 0 {
                        back.add_with_carry(&term);
                    } else {
                        negative.add_with_carry(&term);
                    }
                }
                back.sub_with_borrow(&negative);
                assert_eq!(back.0[..4], s, "c = {c}");
                assert_eq!(back.0[4], 0);
            }
        }
    }

    #[test]
    fn equals_arkworks_for_mixed_lengths_edges_and_sizes() {
        let mut rng = rand::rng();
        let minus_one = limbs_of(&-SubgroupScalar::from(1u64));
        for n in [0usize, 1, 2, 3, 17, 64, 200] {
            let bases = points(n, n as u64);
            let scalars: Vec<Limbs> = (0..n)
                .map(|i| match i % 6 {
                    // 128-bit weights, as on R8.
                    0 => [rng.next_u64(), rng.next_u64(), 0, 0],
                    1 => limbs_of(&SubgroupScalar::from(rng.next_u64())),
                    2 => [0; 4],
                    3 => minus_one,
                    4 => [u64::MAX, u64::MAX, 0, 0],
                    _ => [
                        rng.next_u64(),
                        rng.next_u64(),
                        rng.next_u64(),
                        rng.next_u64() >> 4,
                    ],
                })
                .collect();
            assert_eq!(
                ours(&bases, &scalars),
                reference(&bases, &scalars),
                "n = {n}"
            );
        }
    }

    #[test]
    fn exact_on_points_outside_the_subgroup_and_on_repeats() {
        // (0, -1) has order 2: an even weight cancels it, an odd one keeps it.
        let two_torsion = Point {
            x: Fr::from(0u64),
            y: -Fr::from(1u64),
        };
        let g = points(1, 7)[0];
        let bases = vec![two_torsion, g, g, two_torsion, g.add(&two_torsion)];
        let scalars = vec![
            [3, 0, 0, 0],
            [5, 1, 0, 0],
            [u64::MAX, 0, 0, 0],
            [1 << 63, 9, 0, 0],
            [7, 7, 7, 7],
        ];
        assert_eq!(ours(&bases, &scalars), reference(&bases, &scalars));
        assert!(msm(&[Niels::new(&two_torsion)], &[[2, 0, 0, 0]]).is_identity());
        assert!(!msm(&[Niels::new(&two_torsion)], &[[3, 0, 0, 0]]).is_identity());
    }
}
