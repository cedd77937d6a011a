//! Field operations for the prover's hot loops (bucket accumulation, FFTs), forced inline.
//!
//! An affine bucket addition is six multiplications and a few additions; called through
//! `ark-ff`'s operator traits each of them is a function call that returns through memory,
//! which on this hot path cost as much as the arithmetic. [`FastField`] reaches the
//! `#[inline(always)]` Montgomery routines of `ark-ff`'s [`MontConfig`] directly, and builds
//! `F_{p²}` (BN254's G2) on them with Karatsuba's three multiplications.
//!
//! Multiplications go through a [`Multiplier`], chosen once per MSM or FFT: [`Portable`] is
//! `ark-ff`'s, and on x86-64 CPUs with BMI2 and ADX [`adx::Adx`] is a faster one in assembly (with
//! the `asm` feature, on by default; without it, or on another architecture, the fast types
//! cannot be built and every path is portable).
//! The hot loops are generic over it, so the choice costs nothing per product.

// The one place the platform is chosen. Everything else names `adx::Adx`, `ifma::Ifma`,
// `lanes` and `prefetch`, which exist on every target: where the instructions do not (another
// architecture, or the `asm` feature off) the types cannot be built and `detect` finds nothing.
#[cfg(all(target_arch = "x86_64", feature = "asm"))]
#[path = "x86_64/mod.rs"]
mod platform;
#[cfg(not(all(target_arch = "x86_64", feature = "asm")))]
#[path = "absent.rs"]
mod platform;

pub use platform::{adx, ifma};
pub(crate) use platform::{lanes, prefetch};

use ark_ff::fields::{Fp2, Fp2Config, Fp2ConfigWrapper, QuadExtConfig};
use ark_ff::{BigInt, Field, Fp, MontBackend, MontConfig, QuadExtField};

/// Montgomery multiplication in 4-limb prime fields (both of BN254's), the seam between the
/// hot loops and the instructions they run on.
pub trait Multiplier: Copy + Send + Sync + std::fmt::Debug {
    /// `a·b`.
    fn mul<T: MontConfig<4>>(
        self,
        a: &Fp<MontBackend<T, 4>, 4>,
        b: &Fp<MontBackend<T, 4>, 4>,
    ) -> Fp<MontBackend<T, 4>, 4>;

    /// `a²`.
    fn square<T: MontConfig<4>>(self, a: &Fp<MontBackend<T, 4>, 4>) -> Fp<MontBackend<T, 4>, 4>;

    /// Eight-lane AVX-512 IFMA arithmetic, if this multiplier comes with it: loops with eight
    /// independent BN254 base-field products at a time ([`crate::msm`]'s G1 bucket additions)
    /// then run on it.
    #[inline(always)]
    fn ifma(self) -> Option<ifma::Ifma> {
        None
    }
}

/// `ark-ff`'s multiplication, on every target.
#[derive(Debug, Clone, Copy, Default)]
pub struct Portable;

impl Multiplier for Portable {
    #[inline(always)]
    fn mul<T: MontConfig<4>>(
        self,
        a: &Fp<MontBackend<T, 4>, 4>,
        b: &Fp<MontBackend<T, 4>, 4>,
    ) -> Fp<MontBackend<T, 4>, 4> {
        let mut product = *a;
        T::mul_assign(&mut product, b);
        product
    }

    #[inline(always)]
    fn square<T: MontConfig<4>>(self, a: &Fp<MontBackend<T, 4>, 4>) -> Fp<MontBackend<T, 4>, 4> {
        let mut square = *a;
        T::square_in_place(&mut square);
        square
    }
}

/// A field whose arithmetic the hot loops call inline.
pub trait FastField: Field {
    /// `self + other`.
    fn add_fast(&self, other: &Self) -> Self;
    /// `self − other`.
    fn sub_fast(&self, other: &Self) -> Self;
    /// `self · other`, multiplied by `m`.
    fn mul_fast<M: Multiplier>(&self, other: &Self, m: M) -> Self;
    /// `self²`, multiplied by `m`.
    fn square_fast<M: Multiplier>(&self, m: M) -> Self;
    /// `−self`.
    fn neg_fast(&self) -> Self;

    /// The field batch inversions run in: the prime field itself, or for `F_{p²}` its base
    /// field, through the norm.
    type Norm: FastField;

    /// `N(self)`, non-zero exactly when `self` is, with `self⁻¹ = self.adjugate(N(self)⁻¹)`.
    fn norm<M: Multiplier>(&self, m: M) -> Self::Norm;

    /// `self⁻¹` from `N(self)⁻¹`.
    fn adjugate<M: Multiplier>(&self, norm_inverse: &Self::Norm, m: M) -> Self;
}

/// `a + b + carry` and its carry out.
#[inline(always)]
fn add_carrying(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let sum = a as u128 + b as u128 + carry as u128;
    (sum as u64, (sum >> 64) as u64)
}

/// `a − b − borrow` and its borrow out.
#[inline(always)]
fn sub_borrowing(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let difference = (a as u128).wrapping_sub(b as u128 + borrow as u128);
    (difference as u64, (difference >> 127) as u64)
}

/// The four limbs of `a − b` and the final borrow.
#[inline(always)]
fn sub_limbs(a: &[u64; 4], b: &[u64; 4]) -> ([u64; 4], u64) {
    let mut out = [0; 4];
    let mut borrow = 0;
    for i in 0..4 {
        (out[i], borrow) = sub_borrowing(a[i], b[i], borrow);
    }
    (out, borrow)
}

/// `a + b mod p` for `a, b < p < 2^255`, without branches: `ark-ff`'s compares limb by limb
/// and branches, which random field elements mispredict half the time.
#[inline(always)]
fn add_mod(a: &[u64; 4], b: &[u64; 4], p: &[u64; 4]) -> [u64; 4] {
    let mut sum = [0; 4];
    let mut carry = 0;
    for i in 0..4 {
        (sum[i], carry) = add_carrying(a[i], b[i], carry);
    }
    // `a + b < 2p < 2^256`: no carry out. Keep the sum where subtracting `p` borrows.
    let (reduced, borrow) = sub_limbs(&sum, p);
    let keep = borrow.wrapping_neg();
    std::array::from_fn(|i| reduced[i] ^ ((reduced[i] ^ sum[i]) & keep))
}

/// `a − b mod p` for `a, b < p`, without branches: `p` is added back under a mask when the
/// subtraction borrows.
#[inline(always)]
fn sub_mod(a: &[u64; 4], b: &[u64; 4], p: &[u64; 4]) -> [u64; 4] {
    let (difference, borrow) = sub_limbs(a, b);
    let mask = borrow.wrapping_neg();
    let mut out = [0; 4];
    let mut carry = 0;
    for i in 0..4 {
        (out[i], carry) = add_carrying(difference[i], p[i] & mask, carry);
    }
    out
}

impl<T: MontConfig<4>> FastField for Fp<MontBackend<T, 4>, 4> {
    #[inline(always)]
    fn add_fast(&self, other: &Self) -> Self {
        if T::MODULUS.0[3] >> 63 == 0 {
            return Fp::new_unchecked(BigInt(add_mod(&(self.0).0, &(other.0).0, &T::MODULUS.0)));
        }
        let mut a = *self;
        T::add_assign(&mut a, other);
        a
    }

    #[inline(always)]
    fn sub_fast(&self, other: &Self) -> Self {
        Fp::new_unchecked(BigInt(sub_mod(&(self.0).0, &(other.0).0, &T::MODULUS.0)))
    }

    #[inline(always)]
    fn mul_fast<M: Multiplier>(&self, other: &Self, m: M) -> Self {
        m.mul(self, other)
    }

    #[inline(always)]
    fn square_fast<M: Multiplier>(&self, m: M) -> Self {
        m.square(self)
    }

    #[inline(always)]
    fn neg_fast(&self) -> Self {
        let mut a = *self;
        T::neg_in_place(&mut a);
        a
    }

    type Norm = Self;

    #[inline(always)]
    fn norm<M: Multiplier>(&self, _: M) -> Self {
        *self
    }

    #[inline(always)]
    fn adjugate<M: Multiplier>(&self, norm_inverse: &Self, _: M) -> Self {
        *norm_inverse
    }
}

impl<C> FastField for Fp2<C>
where
    C: Fp2Config,
    C::Fp: FastField,
{
    #[inline(always)]
    fn add_fast(&self, other: &Self) -> Self {
        QuadExtField::new(self.c0.add_fast(&other.c0), self.c1.add_fast(&other.c1))
    }

    #[inline(always)]
    fn sub_fast(&self, other: &Self) -> Self {
        QuadExtField::new(self.c0.sub_fast(&other.c0), self.c1.sub_fast(&other.c1))
    }

    /// `(a₀ + a₁u)(b₀ + b₁u) = a₀b₀ + β·a₁b₁ + ((a₀ + a₁)(b₀ + b₁) − a₀b₀ − a₁b₁)·u`, `u² = β`.
    #[inline(always)]
    fn mul_fast<M: Multiplier>(&self, other: &Self, m: M) -> Self {
        let v0 = self.c0.mul_fast(&other.c0, m);
        let v1 = self.c1.mul_fast(&other.c1, m);
        let cross = self
            .c0
            .add_fast(&self.c1)
            .mul_fast(&other.c0.add_fast(&other.c1), m);
        let c1 = cross.sub_fast(&v0).sub_fast(&v1);
        let mut c0 = v1;
        <Fp2ConfigWrapper<C> as QuadExtConfig>::mul_base_field_by_nonresidue_and_add(&mut c0, &v0);
        QuadExtField::new(c0, c1)
    }

    /// `(a₀ + a₁u)² = (a₀ + a₁)(a₀ + β·a₁) − (1 + β)·a₀a₁ + 2a₀a₁·u`.
    #[inline(always)]
    fn square_fast<M: Multiplier>(&self, m: M) -> Self {
        let v0 = self.c0.mul_fast(&self.c1, m);
        let mut beta_a1 = self.c1;
        <Fp2ConfigWrapper<C> as QuadExtConfig>::mul_base_field_by_nonresidue_and_add(
            &mut beta_a1,
            &self.c0,
        );
        let mut beta_v0 = v0;
        <Fp2ConfigWrapper<C> as QuadExtConfig>::mul_base_field_by_nonresidue_in_place(&mut beta_v0);
        let c0 = self
            .c0
            .add_fast(&self.c1)
            .mul_fast(&beta_a1, m)
            .sub_fast(&v0)
            .sub_fast(&beta_v0);
        QuadExtField::new(c0, v0.add_fast(&v0))
    }

    #[inline(always)]
    fn neg_fast(&self) -> Self {
        QuadExtField::new(self.c0.neg_fast(), self.c1.neg_fast())
    }

    type Norm = C::Fp;

    /// `N(a₀ + a₁u) = a₀² − β·a₁²`: inverting `F_{p²}` elements in a batch through their norms
    /// costs seven base-field multiplications each, against nine for the products in `F_{p²}`.
    #[inline(always)]
    fn norm<M: Multiplier>(&self, m: M) -> C::Fp {
        let mut beta_a1_squared = self.c1.square_fast(m);
        <Fp2ConfigWrapper<C> as QuadExtConfig>::mul_base_field_by_nonresidue_in_place(
            &mut beta_a1_squared,
        );
        self.c0.square_fast(m).sub_fast(&beta_a1_squared)
    }

    /// `(a₀ + a₁u)⁻¹ = (a₀ − a₁u)·N⁻¹`.
    #[inline(always)]
    fn adjugate<M: Multiplier>(&self, norm_inverse: &C::Fp, m: M) -> Self {
        QuadExtField::new(
            self.c0.mul_fast(norm_inverse, m),
            self.c1.mul_fast(norm_inverse, m).neg_fast(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fq, Fq2};
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    fn agrees<F: FastField, M: Multiplier>(rng: &mut StdRng, m: M) {
        for _ in 0..200 {
            let (a, b) = (F::rand(rng), F::rand(rng));
            assert_eq!(a.add_fast(&b), a + b);
            assert_eq!(a.sub_fast(&b), a - b);
            assert_eq!(a.mul_fast(&b, m), a * b);
            assert_eq!(a.square_fast(m), a.square());
            assert_eq!(a.neg_fast(), -a);
        }
        let (zero, one) = (F::ZERO, F::ONE);
        // The extremes, where a carry, a borrow or the final reduction decides the result.
        let extremes = [zero, one, -one, -one - one, one.double(), F::rand(rng)];
        for a in extremes {
            for b in extremes {
                assert_eq!(a.add_fast(&b), a + b, "{a} + {b}");
                assert_eq!(a.sub_fast(&b), a - b, "{a} − {b}");
                assert_eq!(a.mul_fast(&b, m), a * b, "{a} · {b}");
            }
        }
        assert_eq!(one.sub_fast(&one), zero);
        assert_eq!(zero.neg_fast(), zero);
        assert_eq!(one.neg_fast().square_fast(m), one);
        for _ in 0..50 {
            let a = F::rand(rng);
            let inverse = a.norm(m).inverse().expect("a random element is not zero");
            assert_eq!(Some(a.adjugate(&inverse, m)), a.inverse());
        }
    }

    #[test]
    fn inline_arithmetic_agrees_with_ark_ff() {
        let mut rng = StdRng::seed_from_u64(5);
        agrees::<Fq, _>(&mut rng, Portable);
        agrees::<Fq2, _>(&mut rng, Portable);
        if let Some(adx) = super::adx::Adx::detect() {
            agrees::<Fq, _>(&mut rng, adx);
            agrees::<Fq2, _>(&mut rng, adx);
        }
    }
}
