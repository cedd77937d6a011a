//! The GLV endomorphism of BN254's G1: `φ(x, y) = (β·x, y)`, with `β` a cube root of unity in
//! `F_p`, is multiplication by `λ`, a cube root of unity mod `r`. A scalar splits as
//! `k ≡ k₁ + λ·k₂ (mod r)` with `|k₁|, |k₂| < 2^127`, so an MSM over `n` points with 254-bit
//! scalars becomes one over the `2n` points `Pᵢ, φ(Pᵢ)` with 127-bit magnitudes: half the
//! windows, so half the bucket reductions and per-window costs; the bucket additions stay the
//! same in number. That pays where the reductions are a large share of the work, in small MSMs
//! ([`super::pippenger::GLV_BELOW`]); in large ones the split and the doubled bases cost more.
//!
//! The split is Babai rounding on the lattice `{(a, b) : a + λ·b ≡ 0 (mod r)}`, reduced basis
//! `(A, −B)`, `(B, C)` (`arkworks`' `SCALAR_DECOMP_COEFFS` for this curve, `C = A + B`):
//!
//! ```text
//! q₁ = ⌊k·g₁ / 2^256⌋,  q₂ = ⌊k·g₂ / 2^256⌋     (g₁ = ⌊C·2^256/r⌋, g₂ = ⌊B·2^256/r⌋)
//! k₁ = k − q₁·A − q₂·B,  k₂ = q₁·B − q₂·C
//! ```
//!
//! so `k₁ + λ·k₂ = k − q₁·(A − λB) − q₂·(B + λC) ≡ k`. Flooring instead of rounding costs at
//! most one basis vector: over 200,000 random scalars and the edge ones the magnitudes stay
//! below 2^127, and [`split`] checks each one (a scalar whose halves did not fit would make
//! it decline, and the MSM run without the endomorphism).

use crate::parallel::prelude::*;
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ec::AffineRepr;
use ark_ff::PrimeField;
use std::any::{Any, TypeId};

/// Magnitude bits of a split scalar's halves: both are below `2^127`.
pub(super) const HALF_BITS: usize = 127;

/// `β`, the cube root of unity with `φ(P) = λ·P` for arkworks' `λ` (its `ENDO_COEFFS`).
const BETA: ark_bn254::Fq = ark_ff::MontFp!(
    "21888242871839275220042445260109153167277707414472061641714758635765020556616"
);
const A: u128 = 147946756881789319000765030803803410728;
const B: u128 = 9931322734385697763;
const C: u128 = 147946756881789319010696353538189108491;
/// `⌊C·2^256/r⌋` and `⌊B·2^256/r⌋`, little-endian words.
const G1: [u64; 3] = [0x5398fd0300ff6565, 0x4ccef014a773d2d2, 0x2];
const G2: [u64; 2] = [0xd91d232ec7e0b3d7, 0x2];

/// Bases and scalars of an MSM.
pub(super) type Instance<P> = (Vec<Affine<P>>, Vec<<P as ark_ec::CurveConfig>::ScalarField>);

/// The `2n` bases `P₀ … P_{n−1}, φ(P₀) … φ(P_{n−1})` and their scalars `k₁`, `k₂` (negative
/// ones as field elements `r − |k|`, which the signed digits take back to `|k|`), if `P` is
/// BN254's G1 and every scalar splits into halves below `2^127`; `None` otherwise.
pub(super) fn split<P: SWCurveConfig>(
    bases: &[Affine<P>],
    scalars: &[P::ScalarField],
) -> Option<Instance<P>> {
    if TypeId::of::<P>() != TypeId::of::<ark_bn254::g1::Config>() {
        return None;
    }
    let beta = *(&BETA as &dyn Any).downcast_ref::<P::BaseField>()?;
    let n = bases.len();
    let mut halves = vec![P::ScalarField::default(); 2 * n];
    let (first, second) = halves.split_at_mut(n);
    let all_fit = first
        .par_iter_mut()
        .zip(second.par_iter_mut())
        .zip(scalars.par_iter())
        .all(|((k1, k2), k)| match decompose(k.into_bigint().as_ref()) {
            Some((a, b)) => {
                *k1 = signed::<P::ScalarField>(a);
                *k2 = signed::<P::ScalarField>(b);
                true
            }
            None => false,
        });
    if !all_fit {
        return None;
    }
    let mut doubled = Vec::with_capacity(2 * n);
    doubled.extend_from_slice(bases);
    doubled.par_extend(bases.par_iter().map(|base| {
        if base.is_zero() {
            *base
        } else {
            Affine::<P>::new_unchecked(base.x * beta, base.y)
        }
    }));
    Some((doubled, halves))
}

/// `|k|` as a field element, negated for a negative `k`.
fn signed<F: PrimeField>((negative, magnitude): (bool, u128)) -> F {
    let value = F::from(magnitude);
    if negative {
        -value
    } else {
        value
    }
}

/// `(k₁, k₂)` as (negative, magnitude), both magnitudes below `2^127`, for a scalar below `r`
/// given as four little-endian words; `None` if a half does not fit.
pub(super) fn decompose(k: &[u64]) -> Option<((bool, u128), (bool, u128))> {
    let k: [u64; 4] = k.try_into().ok()?;
    let q1 = high_words(&multiply(&k, &G1))?;
    let q2 = high_words(&multiply(&k, &G2))?;
    // k₁ = k − q₁·A − q₂·B and k₂ = q₁·B − q₂·C, modulo 2^256: both are small.
    let k1 = sub(&sub(&k, &product(q1, A)), &product(q2, B));
    let k2 = sub(&product(q1, B), &product(q2, C));
    Some((small(&k1)?, small(&k2)?))
}

/// Words 4 and 5 of a product (the product divided by 2^256) if the rest above is zero.
fn high_words(product: &[u64; 8]) -> Option<u128> {
    product[6..]
        .iter()
        .all(|&w| w == 0)
        .then(|| u128::from(product[4]) | u128::from(product[5]) << 64)
}

/// `a·b` for `a` of four words and `b` of at most four.
fn multiply(a: &[u64; 4], b: &[u64]) -> [u64; 8] {
    let mut out = [0u64; 8];
    for (i, &ai) in a.iter().enumerate() {
        let mut carry = 0u128;
        for (j, &bj) in b.iter().enumerate() {
            let t = u128::from(ai) * u128::from(bj) + u128::from(out[i + j]) + carry;
            out[i + j] = t as u64;
            carry = t >> 64;
        }
        out[i + b.len()] = carry as u64;
    }
    out
}

/// `a·b` for two 128-bit numbers, as four words.
fn product(a: u128, b: u128) -> [u64; 4] {
    let a = [a as u64, (a >> 64) as u64, 0, 0];
    let wide = multiply(&a, &[b as u64, (b >> 64) as u64]);
    [wide[0], wide[1], wide[2], wide[3]]
}

/// `a − b` modulo 2^256.
fn sub(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let mut out = [0u64; 4];
    let mut borrow = false;
    for i in 0..4 {
        let (d, b1) = a[i].overflowing_sub(b[i]);
        let (d, b2) = d.overflowing_sub(u64::from(borrow));
        out[i] = d;
        borrow = b1 || b2;
    }
    out
}

/// A two's-complement 256-bit number as (negative, magnitude) if the magnitude is below
/// `2^HALF_BITS`.
fn small(x: &[u64; 4]) -> Option<(bool, u128)> {
    let negative = x[3] >> 63 == 1;
    let magnitude = if negative { sub(&[0; 4], x) } else { *x };
    let value = u128::from(magnitude[0]) | u128::from(magnitude[1]) << 64;
    (magnitude[2] == 0 && magnitude[3] == 0 && value >> HALF_BITS == 0).then_some((negative, value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fr, G1Affine, G1Projective};
    use ark_ec::scalar_mul::glv::GLVConfig;
    use ark_ec::CurveGroup;
    use ark_ff::{Field, UniformRand};
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn splits_recombine_and_fit() {
        let lambda = ark_bn254::g1::Config::LAMBDA;
        let mut rng = StdRng::seed_from_u64(127);
        let edges = [
            Fr::from(0u64),
            Fr::from(1u64),
            -Fr::ONE,
            lambda,
            -lambda,
            Fr::from(2u64).inverse().unwrap(),
        ];
        for k in edges
            .into_iter()
            .chain((0..20_000).map(|_| Fr::rand(&mut rng)))
        {
            let (a, b) = decompose(k.into_bigint().as_ref()).expect("every scalar splits");
            let (k1, k2) = (signed::<Fr>(a), signed::<Fr>(b));
            assert_eq!(k1 + lambda * k2, k, "k₁ + λ·k₂ = k");
        }
    }

    #[test]
    fn the_endomorphism_is_multiplication_by_lambda() {
        let mut rng = StdRng::seed_from_u64(3);
        let point = G1Affine::rand(&mut rng);
        let lambda = ark_bn254::g1::Config::LAMBDA;
        let (bases, scalars) = split(&[point], &[Fr::ONE]).expect("G1 splits");
        assert_eq!(bases[1], (G1Projective::from(point) * lambda).into_affine());
        assert_eq!(scalars, vec![Fr::ONE, Fr::from(0u64)]);
        assert!(
            split::<ark_bn254::g2::Config>(&[], &[]).is_none(),
            "only G1 has it here"
        );
    }
}
