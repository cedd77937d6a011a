//! The platform where the prover's assembly and vector paths do not exist: another
//! architecture, or the `asm` feature off. The same names as [`super`]'s x86-64 module, as
//! types that cannot be built (`detect` finds nothing), so that every caller compiles
//! unchanged and takes the portable path; nothing here can run.

/// A [`crate::field::Multiplier`] that cannot be built (`detect` finds nothing), so that code
/// naming it compiles and never runs.
macro_rules! absent_multiplier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy)]
        pub enum $name {}

        impl $name {
            /// Never finds the instructions.
            pub fn detect() -> Option<Self> {
                None
            }
        }

        impl crate::field::Multiplier for $name {
            fn mul<T: ark_ff::MontConfig<4>>(
                self,
                _: &ark_ff::Fp<ark_ff::MontBackend<T, 4>, 4>,
                _: &ark_ff::Fp<ark_ff::MontBackend<T, 4>, 4>,
            ) -> ark_ff::Fp<ark_ff::MontBackend<T, 4>, 4> {
                match self {}
            }

            fn square<T: ark_ff::MontConfig<4>>(
                self,
                _: &ark_ff::Fp<ark_ff::MontBackend<T, 4>, 4>,
            ) -> ark_ff::Fp<ark_ff::MontBackend<T, 4>, 4> {
                match self {}
            }
        }
    };
}

/// `MULX`/`ADX` products: absent here.
pub mod adx {
    absent_multiplier!(
        /// Cannot be built: this platform has no assembly products.
        Adx
    );
}

/// AVX-512 IFMA lanes: absent here.
pub mod ifma {
    absent_multiplier!(
        /// Cannot be built: this platform has no IFMA lanes.
        Ifma
    );
}

/// G1 bucket additions on IFMA lanes: absent here (every entry point takes an [`ifma::Ifma`],
/// which cannot exist).
pub(crate) mod lanes {
    use super::ifma::Ifma;
    use crate::msm::buckets::Pending;
    use ark_bn254::Fq;

    /// Nothing to keep.
    #[derive(Debug, Default)]
    pub(crate) struct LaneScratch;

    /// Unreachable: no [`Ifma`] exists.
    pub(crate) fn complete(ifma: Ifma, _: &[Pending<Fq>], _: &mut [(Fq, Fq)], _: &mut LaneScratch) {
        match ifma {}
    }

    /// Unreachable: no [`Ifma`] exists.
    pub(crate) fn add_with_slopes(
        ifma: Ifma,
        _: [&[Fq]; 5],
        _: &mut LaneScratch,
        _: impl FnMut(usize, Fq, Fq),
    ) {
        match ifma {}
    }
}

/// A cache hint: none here.
#[inline(always)]
pub(crate) fn prefetch<T>(_: &T) {}
