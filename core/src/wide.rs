//! Double-width (512-bit) arithmetic for the two BN254 fields, so that a sum of products is
//! reduced once instead of product by product: the inner operation of Poseidon's linear layers
//! and of the verifier's Miller loop.
//!
//! Elements are in Montgomery form `x̄ = x·R mod p`, `R = 2^256`. For a double-width `T`,
//! Montgomery reduction gives `REDC(T) ≡ T·R⁻¹ (mod p)` with `REDC(T) < T/R + p`, so
//! `REDC(Σ āᵢ·b̄ᵢ)` is the Montgomery form of `Σ aᵢ·bᵢ`. Both moduli are below `2^254`, which
//! bounds everything here:
//! - a product of two reduced elements is below `p² < 2^508`, a sum of eight below
//!   `8p² < 2^511`;
//! - reducing `T < 8p²` adds less than `p·R < 2^510`, so no carry leaves the eight limbs, and
//!   the result is below `8p²/R + p < 3p < 2^256` (since `p < R/4`): at most two subtractions
//!   of `p` bring it into `[0, p)`.

use ark_ff::{BigInt, Fp256, MontBackend, MontConfig};

/// A 512-bit unsigned integer, least significant limb first.
pub type Wide = [u64; 8];

/// A field element of one of the BN254 fields (or any 4-limb Montgomery field below `2^254`).
pub type Field<C> = Fp256<MontBackend<C, 4>>;

/// Most products one reduction takes (see the module docs).
pub const MAX_TERMS: usize = 8;

const fn below_2_254<C: MontConfig<4>>() -> bool {
    C::MODULUS.0[3] < 1 << 62
}

/// `Σ aᵢ·bᵢ`, equal to the field's own `a[0] * b[0] + a[1] * b[1] + …`, with one reduction per
/// eight products.
///
/// # Panics
/// If the slices differ in length.
#[inline]
pub fn dot<C: MontConfig<4>>(a: &[Field<C>], b: &[Field<C>]) -> Field<C> {
    const { assert!(below_2_254::<C>(), "the bounds need a modulus below 2^254") };
    assert_eq!(a.len(), b.len(), "dot product of unequal lengths");
    let mut out = Field::<C>::from(0u64);
    for (a, b) in a.chunks(MAX_TERMS).zip(b.chunks(MAX_TERMS)) {
        let mut acc = [0u64; 8];
        for (x, y) in a.iter().zip(b) {
            add_wide(&mut acc, &product(&limbs(x), &limbs(y)));
        }
        out += reduce::<C>(acc);
    }
    out
}

/// The Montgomery-form limbs of `x`.
#[inline(always)]
pub fn limbs<C: MontConfig<4>>(x: &Field<C>) -> [u64; 4] {
    (x.0).0
}

/// `a + b`, for `a + b < 2^256` (two reduced elements always are).
#[inline(always)]
pub fn sum(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    let mut out = [0u64; 4];
    let mut carry = false;
    for i in 0..4 {
        (out[i], carry) = add_carry(a[i], b[i], carry);
    }
    out
}

/// `a·b` in full.
#[inline(always)]
pub fn product(a: &[u64; 4], b: &[u64; 4]) -> Wide {
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

/// `a += b`, for a sum below `2^512`.
#[inline(always)]
pub fn add_wide(a: &mut Wide, b: &Wide) {
    let mut carry = false;
    for i in 0..8 {
        (a[i], carry) = add_carry(a[i], b[i], carry);
    }
}

/// `a −= b`, for `a ≥ b`.
#[inline(always)]
pub fn sub_wide(a: &mut Wide, b: &Wide) {
    let mut borrow = false;
    for i in 0..8 {
        (a[i], borrow) = sub_borrow(a[i], b[i], borrow);
    }
}

/// `p·R`, which a difference of sums can borrow to stay non-negative.
#[inline(always)]
pub fn modulus_shifted<C: MontConfig<4>>() -> Wide {
    let p = C::MODULUS.0;
    [0, 0, 0, 0, p[0], p[1], p[2], p[3]]
}

/// The element whose Montgomery form is `REDC(t)`, for `t < 8p² + p·R` (see the module docs).
#[inline(always)]
pub fn reduce<C: MontConfig<4>>(mut t: Wide) -> Field<C> {
    let p = C::MODULUS.0;
    for i in 0..4 {
        let m = t[i].wrapping_mul(C::INV);
        let mut carry = 0u64;
        for j in 0..4 {
            let s = u128::from(m) * u128::from(p[j]) + u128::from(t[i + j]) + u128::from(carry);
            t[i + j] = s as u64;
            carry = (s >> 64) as u64;
        }
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
    while !below(&out, &p) {
        let mut borrow = false;
        for i in 0..4 {
            (out[i], borrow) = sub_borrow(out[i], p[i], borrow);
        }
    }
    Field::<C>::new_unchecked(BigInt(out))
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
fn below(x: &[u64; 4], p: &[u64; 4]) -> bool {
    for i in (0..4).rev() {
        if x[i] != p[i] {
            return x[i] < p[i];
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{Field as _, One, UniformRand, Zero};
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    type Fr = ark_bn254::Fr;
    type Fq = ark_bn254::Fq;

    fn check<F>(a: &[F], b: &[F], dot: impl Fn(&[F], &[F]) -> F)
    where
        F: ark_ff::Field,
    {
        let expected: F = a.iter().zip(b).map(|(x, y)| *x * y).sum();
        assert_eq!(dot(a, b), expected, "length {}", a.len());
    }

    #[test]
    fn dot_products_match_the_field_at_every_length_and_at_the_edges() {
        let mut rng = StdRng::seed_from_u64(3);
        for len in 0..=20 {
            for _ in 0..200 {
                let a: Vec<Fr> = (0..len).map(|_| Fr::rand(&mut rng)).collect();
                let b: Vec<Fr> = (0..len).map(|_| Fr::rand(&mut rng)).collect();
                check(&a, &b, dot);
                let a: Vec<Fq> = (0..len).map(|_| Fq::rand(&mut rng)).collect();
                let b: Vec<Fq> = (0..len).map(|_| Fq::rand(&mut rng)).collect();
                check(&a, &b, dot);
            }
            // The largest products there are, as many as a reduction takes and more.
            let max = vec![-Fr::one(); len];
            check(&max, &max, dot);
            let max = vec![-Fq::one(); len];
            check(&max, &max, dot);
            let mixed: Vec<Fr> = (0..len)
                .map(|i| match i % 3 {
                    0 => Fr::zero(),
                    1 => -Fr::one(),
                    _ => Fr::from(2u64).inverse().expect("nonzero"),
                })
                .collect();
            check(
                &mixed,
                &max.iter().map(|_| -Fr::one()).collect::<Vec<_>>(),
                dot,
            );
        }
    }
}
