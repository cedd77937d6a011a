//! The base-field operations of bucket accumulation, forced inline.
//!
//! An affine bucket addition is six multiplications and a few additions; called through
//! `ark-ff`'s operator traits each of them is a function call that returns through memory,
//! which on this hot path cost as much as the arithmetic. [`BucketField`] reaches the
//! `#[inline(always)]` Montgomery routines of `ark-ff`'s [`MontConfig`] directly, and builds
//! `F_{p²}` (BN254's G2) on them with Karatsuba's three multiplications.

use ark_ff::fields::{Fp2, Fp2Config, Fp2ConfigWrapper, QuadExtConfig};
use ark_ff::{Field, Fp, MontBackend, MontConfig, QuadExtField};

/// A field whose arithmetic the bucket code calls inline.
pub trait BucketField: Field {
    /// `self + other`.
    fn add_fast(&self, other: &Self) -> Self;
    /// `self − other`.
    fn sub_fast(&self, other: &Self) -> Self;
    /// `self · other`.
    fn mul_fast(&self, other: &Self) -> Self;
    /// `self²`.
    fn square_fast(&self) -> Self;
    /// `−self`.
    fn neg_fast(&self) -> Self;
}

impl<T: MontConfig<4>> BucketField for Fp<MontBackend<T, 4>, 4> {
    #[inline(always)]
    fn add_fast(&self, other: &Self) -> Self {
        let mut a = *self;
        T::add_assign(&mut a, other);
        a
    }

    #[inline(always)]
    fn sub_fast(&self, other: &Self) -> Self {
        let mut a = *self;
        T::sub_assign(&mut a, other);
        a
    }

    #[inline(always)]
    fn mul_fast(&self, other: &Self) -> Self {
        let mut a = *self;
        T::mul_assign(&mut a, other);
        a
    }

    #[inline(always)]
    fn square_fast(&self) -> Self {
        let mut a = *self;
        T::square_in_place(&mut a);
        a
    }

    #[inline(always)]
    fn neg_fast(&self) -> Self {
        let mut a = *self;
        T::neg_in_place(&mut a);
        a
    }
}

impl<C> BucketField for Fp2<C>
where
    C: Fp2Config,
    C::Fp: BucketField,
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
    fn mul_fast(&self, other: &Self) -> Self {
        let v0 = self.c0.mul_fast(&other.c0);
        let v1 = self.c1.mul_fast(&other.c1);
        let cross = self
            .c0
            .add_fast(&self.c1)
            .mul_fast(&other.c0.add_fast(&other.c1));
        let c1 = cross.sub_fast(&v0).sub_fast(&v1);
        let mut c0 = v1;
        <Fp2ConfigWrapper<C> as QuadExtConfig>::mul_base_field_by_nonresidue_and_add(&mut c0, &v0);
        QuadExtField::new(c0, c1)
    }

    /// `(a₀ + a₁u)² = (a₀ + a₁)(a₀ + β·a₁) − (1 + β)·a₀a₁ + 2a₀a₁·u`.
    #[inline(always)]
    fn square_fast(&self) -> Self {
        let v0 = self.c0.mul_fast(&self.c1);
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
            .mul_fast(&beta_a1)
            .sub_fast(&v0)
            .sub_fast(&beta_v0);
        QuadExtField::new(c0, v0.add_fast(&v0))
    }

    #[inline(always)]
    fn neg_fast(&self) -> Self {
        QuadExtField::new(self.c0.neg_fast(), self.c1.neg_fast())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Fq, Fq2};
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    fn agrees<F: BucketField>(rng: &mut StdRng) {
        for _ in 0..200 {
            let (a, b) = (F::rand(rng), F::rand(rng));
            assert_eq!(a.add_fast(&b), a + b);
            assert_eq!(a.sub_fast(&b), a - b);
            assert_eq!(a.mul_fast(&b), a * b);
            assert_eq!(a.square_fast(), a.square());
            assert_eq!(a.neg_fast(), -a);
        }
        let (zero, one) = (F::ZERO, F::ONE);
        assert_eq!(one.sub_fast(&one), zero);
        assert_eq!(zero.neg_fast(), zero);
        assert_eq!(one.neg_fast().square_fast(), one);
    }

    #[test]
    fn inline_arithmetic_agrees_with_ark_ff() {
        let mut rng = StdRng::seed_from_u64(5);
        agrees::<Fq>(&mut rng);
        agrees::<Fq2>(&mut rng);
    }
}
