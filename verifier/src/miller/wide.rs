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
//! Every intermediate stays below `8p² < 2^511` (`p < 2^254`), so 512 bits never overflow.

use ark_bn254::{Fq, Fq2, FqConfig};
use ark_ff::{BigInt, MontConfig, PrimeField};

const P: [u64; 4] = Fq::MODULUS.0;
/// `−p⁻¹ mod 2^64`.
const P_INV: u64 = <FqConfig as MontConfig<4>>::INV;

type Wide = [u64; 8];

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
    let mut real = plus;
    add_wide(&mut real, &[0, 0, 0, 0, P[0], P[1], P[2], P[3]]);
    sub_wide(&mut real, &minus);
    Fq2::new(reduce(real), reduce(cross))
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
    let mut real = plus;
    add_wide(&mut real, &[0, 0, 0, 0, P[0], P[1], P[2], P[3]]);
    sub_wide(&mut real, &minus);
    Fq2::new(reduce(real), reduce(cross))
}

#[inline(always)]
fn limbs(x: &Fq) -> [u64; 4] {
    (x.0).0
}

/// `a + b` for `a, b < p`: below `2p < 2^255`, no carry out.
#[inline(always)]
fn sum(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let mut out = [0u64; 4];
    let mut carry = false;
    for i in 0..4 {
        (out[i], carry) = add_carry(a[i], b[i], carry);
    }
    out
}

#[inline(always)]
fn product(a: &[u64; 4], b: &[u64; 4]) -> Wide {
    let mut out = [0u64; 8];
    for i in 0..4 {
        let mut carry = 0u64;
        for j in 0..4 {
            let t =
                u128::from(a[i]) * u128::from(b[j]) + u128::from(out[i + j]) + u128::from(carry);
            out[i + j] = t as u64;
            carry = (t >> 64) as u64;
        }
        out[i + 4] = carry;
    }
    out
}

#[inline(always)]
fn add_wide(a: &mut Wide, b: &Wide) {
    let mut carry = false;
    for i in 0..8 {
        (a[i], carry) = add_carry(a[i], b[i], carry);
    }
}

/// `a − b` for `a ≥ b`.
#[inline(always)]
fn sub_wide(a: &mut Wide, b: &Wide) {
    let mut borrow = false;
    for i in 0..8 {
        (a[i], borrow) = sub_borrow(a[i], b[i], borrow);
    }
}

/// Montgomery reduction of `t < 2p·R`, then subtractions of `p` down to `[0, p)`.
#[inline(always)]
fn reduce(mut t: Wide) -> Fq {
    for i in 0..4 {
        let m = t[i].wrapping_mul(P_INV);
        let mut carry = 0u64;
        for j in 0..4 {
            let s = u128::from(m) * u128::from(P[j]) + u128::from(t[i + j]) + u128::from(carry);
            t[i + j] = s as u64;
            carry = (s >> 64) as u64;
        }
        // T + m·p·2^(64i) < 3p·R < 2^512: the carry dies out inside the eight limbs.
        for limb in t.iter_mut().skip(i + 4) {
            let (s, overflow) = limb.overflowing_add(carry);
            *limb = s;
            carry = u64::from(overflow);
            if carry == 0 {
                break;
            }
        }
    }
    let mut out = [t[4], t[5], t[6], t[7]];
    while !below_p(&out) {
        let mut borrow = false;
        for i in 0..4 {
            (out[i], borrow) = sub_borrow(out[i], P[i], borrow);
        }
    }
    Fq::new_unchecked(BigInt(out))
}

#[inline(always)]
fn add_carry(a: u64, b: u64, carry: bool) -> (u64, bool) {
    let (s, c1) = a.overflowing_add(b);
    let (s, c2) = s.overflowing_add(u64::from(carry));
    (s, c1 | c2)
}

#[inline(always)]
fn sub_borrow(a: u64, b: u64, borrow: bool) -> (u64, bool) {
    let (d, b1) = a.overflowing_sub(b);
    let (d, b2) = d.overflowing_sub(u64::from(borrow));
    (d, b1 | b2)
}

#[inline(always)]
fn below_p(x: &[u64; 4]) -> bool {
    for i in (0..4).rev() {
        if x[i] != P[i] {
            return x[i] < P[i];
        }
    }
    false
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
