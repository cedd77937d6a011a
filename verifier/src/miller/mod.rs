//! The BN254 optimal-ate multi-Miller loop over many pairs at once, with the G2 side in affine
//! coordinates and one shared inversion per loop step.
//!
//! For pairs `(P_j, Q_j)` this computes `f = Π_j f_{6x+2,Q_j}(P_j) · l_{T_j,π(Q_j)}(P_j) ·
//! l_{T_j',−π²(Q_j)}(P_j)`, the value arkworks' `Bn254::multi_miller_loop` computes, up to
//! factors in `F_{p^2}`, which the final exponentiation `(p^12 − 1)/r` maps to 1 (`r` does not
//! divide `p^2 − 1`, so `p^2 − 1` divides the exponent). So `final_exponentiation` of either
//! value is the same pairing product.
//!
//! Why it is faster than arkworks' generic loop for a large batch of fresh G2 points:
//! - Every line is written with its constant coefficient 1. A step at `T` with slope `λ` has the
//!   line `y_P − λ·x_P + (λ·x_T − y_T)` (in the sparse positions arkworks' `mul_by_034` uses);
//!   dividing by `y_P`, which lies in `F_p`, gives `1 + (λ·x̂_P)·w + (μ·ŷ_P)·v·w` with
//!   `x̂_P = −x_P/y_P`, `ŷ_P = 1/y_P` and `μ = λ·x_T − y_T`. Multiplying `f` by it is six sums
//!   of two `F_{p^2}` products, each reduced once from 512 bits ([`wide`]), where arkworks'
//!   `mul_by_034` pays three sparse `F_{p^6}` products reduced product by product.
//! - The slopes of all pairs at one step need one inversion each; Montgomery's trick shares a
//!   single field inversion between all of them, so affine doubling and addition cost a handful
//!   of multiplications and no projective bookkeeping.
//! - Each thread runs the whole loop over its own share of the pairs with one accumulator, so
//!   the 64 squarings of `f` are paid once per thread, not once per four pairs.
//!
//! A zero denominator cannot happen for points of the prime-order groups (it would need
//! `[k]Q = ±Q` for a partial loop count `1 < k < 2^66`, a point of order 2, or in the two
//! final steps `6x + 2 ≡ ±p` or `6x + 2 + p ≡ ±p² (mod r)`, none of which holds); if it does
//! anyway the loop reports it and the caller falls back to arkworks.

use ark_bn254::{Config as Bn254Config, Fq, Fq12, Fq2, Fq6Config, G1Affine, G2Affine};
use ark_ec::bn::BnConfig;
use ark_ec::AffineRepr;
use ark_ff::{AdditiveGroup, Field, Fp6Config, One, Zero};
use rayon::prelude::*;

mod wide;

/// Fewer pairs than this per thread are not worth a thread of their own.
const MIN_PAIRS_PER_THREAD: usize = 16;

/// The Miller loop value of all `pairs` (a pair with either point at infinity contributes 1),
/// or `None` if a denominator was zero, which points of the prime-order groups never give.
pub(crate) fn multi_miller_loop(pairs: &[(G1Affine, G2Affine)]) -> Option<Fq12> {
    let pairs: Vec<&(G1Affine, G2Affine)> = pairs
        .iter()
        .filter(|(p, q)| !p.is_zero() && !q.is_zero())
        .collect();
    if pairs.is_empty() {
        return Some(Fq12::one());
    }
    let threads = rayon::current_num_threads().max(1);
    let share = pairs
        .len()
        .div_ceil(threads)
        .max(MIN_PAIRS_PER_THREAD.min(pairs.len()));
    let parts: Vec<Option<Fq12>> = pairs.par_chunks(share).map(loop_over).collect();
    parts
        .into_iter()
        .try_fold(Fq12::one(), |acc, part| part.map(|f| acc * f))
}

/// One pair's running state: the G1 point folded into the two line scalars, the G2 point and
/// the running multiple `T` of it.
struct Lane {
    /// `−x_P / y_P`.
    x_hat: Fq,
    /// `1 / y_P`.
    y_hat: Fq,
    q: G2Affine,
    tx: Fq2,
    ty: Fq2,
}

fn loop_over(pairs: &[&(G1Affine, G2Affine)]) -> Option<Fq12> {
    let mut y_inverses: Vec<Fq> = pairs.iter().map(|(p, _)| p.y).collect();
    invert_all(&mut y_inverses)?;
    let mut lanes: Vec<Lane> = pairs
        .iter()
        .zip(y_inverses)
        .map(|((p, q), y_hat)| Lane {
            x_hat: -(p.x * y_hat),
            y_hat,
            q: *q,
            tx: q.x,
            ty: q.y,
        })
        .collect();
    let mut scratch = vec![Fq2::zero(); lanes.len()];
    let mut f = Fq12::one();
    let loop_count = <Bn254Config as BnConfig>::ATE_LOOP_COUNT;
    for (step, digit) in loop_count.iter().rev().skip(1).enumerate() {
        if step > 0 {
            f.square_in_place();
        }
        double_all(&mut f, &mut lanes, &mut scratch)?;
        match digit {
            1 => add_all(&mut f, &mut lanes, &mut scratch, |q| *q, true)?,
            -1 => add_all(&mut f, &mut lanes, &mut scratch, |q| -*q, true)?,
            _ => {}
        }
    }
    // BN254's x is positive, so no conjugation of f and T here (arkworks: X_IS_NEGATIVE).
    const _: () = assert!(!<Bn254Config as BnConfig>::X_IS_NEGATIVE);
    add_all(&mut f, &mut lanes, &mut scratch, frobenius, true)?;
    add_all(
        &mut f,
        &mut lanes,
        &mut scratch,
        |q| -frobenius(&frobenius(q)),
        false,
    )?;
    Some(f)
}

/// `T ← 2T` for every lane, multiplying `f` by each tangent line.
fn double_all(f: &mut Fq12, lanes: &mut [Lane], scratch: &mut [Fq2]) -> Option<()> {
    for (d, lane) in scratch.iter_mut().zip(lanes.iter()) {
        *d = lane.ty.double();
    }
    invert_all(scratch)?;
    for (inverse, lane) in scratch.iter().zip(lanes.iter_mut()) {
        let x_squared = lane.tx.square();
        let lambda = wide::product_of(&(x_squared.double() + x_squared), inverse);
        let mu = wide::product_of(&lambda, &lane.tx) - lane.ty;
        let x3 = lambda.square() - lane.tx.double();
        // y₃ = λ(x − x₃) − y = μ − λ·x₃.
        lane.ty = mu - wide::product_of(&lambda, &x3);
        lane.tx = x3;
        multiply_by_line(f, lane, lambda, mu);
    }
    Some(())
}

/// `T ← T + R` for every lane with `R = point(Q)`, multiplying `f` by each chord; the last
/// step of the loop needs only the line (`update: false`).
fn add_all(
    f: &mut Fq12,
    lanes: &mut [Lane],
    scratch: &mut [Fq2],
    point: impl Fn(&G2Affine) -> G2Affine,
    update: bool,
) -> Option<()> {
    let added: Vec<G2Affine> = lanes.iter().map(|lane| point(&lane.q)).collect();
    for ((d, lane), r) in scratch.iter_mut().zip(lanes.iter()).zip(&added) {
        *d = lane.tx - r.x;
    }
    invert_all(scratch)?;
    for ((inverse, lane), r) in scratch.iter().zip(lanes.iter_mut()).zip(&added) {
        let lambda = wide::product_of(&(lane.ty - r.y), inverse);
        let mu = wide::product_of(&lambda, &lane.tx) - lane.ty;
        if update {
            let x3 = lambda.square() - lane.tx - r.x;
            lane.ty = mu - wide::product_of(&lambda, &x3);
            lane.tx = x3;
        }
        multiply_by_line(f, lane, lambda, mu);
    }
    Some(())
}

/// `f ← f · (1 + L·w)` with `L = c₃ + c₄·v`, `c₃ = λ·x̂_P`, `c₄ = μ·ŷ_P`. With `w² = v` and
/// `v³ = ξ`, `(f₀ + f₁·w)(1 + L·w) = (f₀ + v·f₁·L) + (f₁ + f₀·L)·w`, and for
/// `a = a₀ + a₁v + a₂v²`: `a·L = (a₀c₃ + a₂·ξc₄) + (a₀c₄ + a₁c₃)·v + (a₁c₄ + a₂c₃)·v²`,
/// `v·a·L = (a₁·ξc₄ + a₂·ξc₃) + (a₀c₃ + a₂·ξc₄)·v + (a₀c₄ + a₁c₃)·v²`.
///
/// Each of the six `F_{p^2}` coordinates of the result is its old value plus a sum of two
/// products, computed double-width and reduced once ([`wide`]).
fn multiply_by_line(f: &mut Fq12, lane: &Lane, lambda: Fq2, mu: Fq2) {
    let mut c3 = lambda;
    c3.mul_assign_by_fp(&lane.x_hat);
    let mut c4 = mu;
    c4.mul_assign_by_fp(&lane.y_hat);
    let xi_c3 = <Fq6Config as Fp6Config>::mul_fp2_by_nonresidue(c3);
    let xi_c4 = <Fq6Config as Fp6Config>::mul_fp2_by_nonresidue(c4);
    let f0 = f.c0;
    let f1 = f.c1;
    // f₁ += f₀·L
    add_two_products(&mut f.c1.c0, &f0.c0, &c3, &f0.c2, &xi_c4);
    add_two_products(&mut f.c1.c1, &f0.c0, &c4, &f0.c1, &c3);
    add_two_products(&mut f.c1.c2, &f0.c1, &c4, &f0.c2, &c3);
    // f₀ += v·f₁·L
    add_two_products(&mut f.c0.c0, &f1.c1, &xi_c4, &f1.c2, &xi_c3);
    add_two_products(&mut f.c0.c1, &f1.c0, &c3, &f1.c2, &xi_c4);
    add_two_products(&mut f.c0.c2, &f1.c0, &c4, &f1.c1, &c3);
}

/// `out += a·b + c·d` in `F_{p^2}`.
#[inline(always)]
fn add_two_products(out: &mut Fq2, a: &Fq2, b: &Fq2, c: &Fq2, d: &Fq2) {
    *out += wide::two_products(a, b, c, d);
}

/// The twisted Frobenius `π(Q)` on the twist (arkworks' `mul_by_char`).
fn frobenius(q: &G2Affine) -> G2Affine {
    let mut x = q.x;
    x.frobenius_map_in_place(1);
    x *= <Bn254Config as BnConfig>::TWIST_MUL_BY_Q_X;
    let mut y = q.y;
    y.frobenius_map_in_place(1);
    y *= <Bn254Config as BnConfig>::TWIST_MUL_BY_Q_Y;
    G2Affine::new_unchecked(x, y)
}

/// Inverts every element in place with one field inversion (Montgomery's trick), or returns
/// `None`, leaving `values` unspecified, if one of them is zero.
pub(crate) fn invert_all<F: Field>(values: &mut [F]) -> Option<()> {
    let mut prefix = Vec::with_capacity(values.len());
    let mut running = F::one();
    for v in values.iter() {
        if v.is_zero() {
            return None;
        }
        prefix.push(running);
        running *= v;
    }
    let mut inverse = running.inverse()?;
    for (v, before) in values.iter_mut().zip(prefix).rev() {
        let value = *v;
        *v = inverse * before;
        inverse *= value;
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Bn254, Fr, G1Projective, G2Projective};
    use ark_ec::pairing::Pairing;
    use ark_ec::{CurveGroup, PrimeGroup};
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_std::UniformRand;

    fn random_pairs(n: usize, rng: &mut StdRng) -> Vec<(G1Affine, G2Affine)> {
        (0..n)
            .map(|_| {
                (
                    (G1Projective::generator() * Fr::rand(rng)).into_affine(),
                    (G2Projective::generator() * Fr::rand(rng)).into_affine(),
                )
            })
            .collect()
    }

    fn ark_pairing(pairs: &[(G1Affine, G2Affine)]) -> ark_ec::pairing::PairingOutput<Bn254> {
        Bn254::multi_pairing(pairs.iter().map(|p| p.0), pairs.iter().map(|p| p.1))
    }

    fn our_pairing(pairs: &[(G1Affine, G2Affine)]) -> ark_ec::pairing::PairingOutput<Bn254> {
        let f = multi_miller_loop(pairs).expect("prime-order points");
        Bn254::final_exponentiation(ark_ec::pairing::MillerLoopOutput(f)).expect("nonzero")
    }

    #[test]
    fn agrees_with_arkworks_after_the_final_exponentiation() {
        let mut rng = StdRng::seed_from_u64(7);
        for n in [1, 2, 3, 17, 40] {
            let pairs = random_pairs(n, &mut rng);
            assert_eq!(our_pairing(&pairs), ark_pairing(&pairs), "n = {n}");
        }
    }

    #[test]
    fn is_bilinear_and_skips_points_at_infinity() {
        let mut rng = StdRng::seed_from_u64(8);
        let (a, b) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let g1 = G1Projective::generator();
        let g2 = G2Projective::generator();
        // e(a·G1, b·G2) · e(−ab·G1, G2) = 1.
        let pairs = vec![
            ((g1 * a).into_affine(), (g2 * b).into_affine()),
            ((g1 * (-a * b)).into_affine(), g2.into_affine()),
            (G1Affine::zero(), g2.into_affine()),
            (g1.into_affine(), G2Affine::zero()),
        ];
        assert!(our_pairing(&pairs).0.is_one());
        // One factor off and the product is not 1.
        let mut off = pairs.clone();
        off[0].0 = (g1 * (a + Fr::one())).into_affine();
        assert!(!our_pairing(&off).0.is_one());
        assert!(our_pairing(&[]).0.is_one());
    }

    #[test]
    fn the_same_g2_point_in_many_pairs_and_its_negation() {
        let mut rng = StdRng::seed_from_u64(9);
        let q = (G2Projective::generator() * Fr::rand(&mut rng)).into_affine();
        let p = (G1Projective::generator() * Fr::rand(&mut rng)).into_affine();
        let pairs = vec![(p, q), (p, -q), (-p, q), (p, q)];
        assert_eq!(our_pairing(&pairs), ark_pairing(&pairs));
    }

    #[test]
    fn montgomery_inversion_inverts_and_refuses_zero() {
        let mut rng = StdRng::seed_from_u64(10);
        let values: Vec<Fq2> = (0..9).map(|_| Fq2::rand(&mut rng)).collect();
        let mut inverted = values.clone();
        invert_all(&mut inverted).expect("no zero");
        for (v, i) in values.iter().zip(&inverted) {
            assert!((*v * i).is_one());
        }
        let mut with_zero = values;
        with_zero[4] = Fq2::zero();
        assert_eq!(invert_all(&mut with_zero), None);
        assert_eq!(invert_all::<Fq2>(&mut []), Some(()));
    }
}
