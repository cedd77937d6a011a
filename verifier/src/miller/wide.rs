//! `a·b + c·d` and `a·b` in `F_{p^2}` with the products kept double-width and reduced once per
//! coordinate: the inner operations of the Miller loop's line steps.
//!
//! Elements are in Montgomery form `x̄ = x·R mod p`, `R = 2^256`. For double-width `T` with
//! `T < p·R`, Montgomery reduction gives `REDC(T) ≡ T·R⁻¹ (mod p)` and `REDC(T) < T/R + p`, so a
//! sum of Montgomery products reduces to the Montgomery form of the sum.
//!
//! With Karatsuba in `F_p[u]/(u² + 1)`, `a·b + c·d` takes six 256×256-bit products, not eight:
//! - real part `(a₀b₀ + c₀d₀) − (a₁b₁ + c₁d₁) + p·R`, in `(p·R − 2p², p·R + 2p²) ⊂ (0, 2p·R)`
//!   because `2p < R`; reduced it is below `3p`;
//! - imaginary part `(a₀+a₁)(b₀+b₁) + (c₀+c₁)(d₀+d₁) − Σ of the four plain products`, exactly
//!   `a₀b₁ + a₁b₀ + c₀d₁ + c₁d₀ < 4p² < p·R`; reduced it is below `2p`.
//!
//! Every intermediate stays below `8p² < 2^511` (`p < 2^254`), so 512 bits never overflow; the
//! limb arithmetic is the core's ([`zksettle_core::wide`]).

use ark_bn254::{Fq, Fq2, FqConfig};
use zksettle_core::wide::{add_wide, limbs, modulus_shifted, product, reduce, sub_wide, sum};

/// `a·b + c·d`, equal to arkworks' `a * b + c * d`.
#[inline]
pub(super) fn two_products(a: &Fq2, b: &Fq2, c: &Fq2, d: &Fq2) -> Fq2 {
    let (a0, a1, b0, b1) = (limbs(&a.c0), limbs(&a.c1), limbs(&b.c0), limbs(&b.c1));
    let (c0, c1, d0, d1) = (limbs(&c.c0), limbs(&c.c1), limbs(&d.c0), limbs(&d.c1));
    let mut plus = product(&a0, &b0);
    add_wide(&mut plus, &product(&c0, &d0));
    let mut minus = product(&a1, &b1);
    add_wide(&mut minus, &product(&c1, &d1));
    let mut cross = product(&sum(&a0, &a1), &sum(&b0, &b1));
    add_wide(&mut cross, &product(&sum(&c0, &c1), &sum(&d0, &d1)));
    sub_wide(&mut cross, &plus);
    sub_wide(&mut cross, &minus);
    Fq2::new(reduce_fq(real_part(plus, &minus)), reduce_fq(cross))
}

/// `a·b`, equal to arkworks' `a * b`, by the same Karatsuba split: three products, two
/// reductions (real part `a₀b₀ − a₁b₁ + p·R < 2p·R`, imaginary part `a₀b₁ + a₁b₀ < 2p²`).
#[inline]
pub(super) fn product_of(a: &Fq2, b: &Fq2) -> Fq2 {
    let (a0, a1, b0, b1) = (limbs(&a.c0), limbs(&a.c1), limbs(&b.c0), limbs(&b.c1));
    let plus = product(&a0, &b0);
    let minus = product(&a1, &b1);
    let mut cross = product(&sum(&a0, &a1), &sum(&b0, &b1));
    sub_wide(&mut cross, &plus);
    sub_wide(&mut cross, &minus);
    Fq2::new(reduce_fq(real_part(plus, &minus)), reduce_fq(cross))
}

/// `plus − minus + p·R`, non-negative since `minus < 2p² < p·R`.
#[inline(always)]
fn real_part(mut plus: [u64; 8], minus: &[u64; 8]) -> [u64; 8] {
    add_wide(&mut plus, &modulus_shifted::<FqConfig>());
    sub_wide(&mut plus, minus);
    plus
}

#[inline(always)]
fn reduce_fq(t: [u64; 8]) -> Fq {
    reduce::<FqConfig>(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{Field, One, Zero};
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_std::UniformRand;

    fn reference(a: &Fq2, b: &Fq2, c: &Fq2, d: &Fq2) -> Fq2 {
        *a * b + *c * d
    }

    #[test]
    fn matches_arkworks_on_random_elements() {
        let mut rng = StdRng::seed_from_u64(11);
        for _ in 0..20_000 {
            let [a, b, c, d] = [(); 4].map(|_| Fq2::rand(&mut rng));
            assert_eq!(two_products(&a, &b, &c, &d), reference(&a, &b, &c, &d));
        }
    }

    #[test]
    fn one_product_matches_arkworks() {
        let mut rng = StdRng::seed_from_u64(12);
        for _ in 0..20_000 {
            let [a, b] = [(); 2].map(|_| Fq2::rand(&mut rng));
            assert_eq!(product_of(&a, &b), a * b);
        }
    }

    #[test]
    fn matches_arkworks_at_the_edges() {
        let max = -Fq::one();
        let edges = [
            Fq2::zero(),
            Fq2::one(),
            Fq2::new(max, max),
            Fq2::new(max, Fq::zero()),
            Fq2::new(Fq::zero(), max),
            Fq2::new(Fq::one(), max),
            Fq2::new(max, Fq::one()),
            Fq2::new(Fq::from(2u64).inverse().unwrap(), max),
        ];
        for a in &edges {
            for b in &edges {
                for c in &edges {
                    for d in &edges {
                        assert_eq!(two_products(a, b, c, d), reference(a, b, c, d));
                        assert_eq!(product_of(a, b), *a * b);
                    }
                }
            }
        }
    }
}
