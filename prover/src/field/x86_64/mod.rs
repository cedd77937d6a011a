//! The x86-64 platform (with the `asm` feature): `MULX`/`ADX` assembly products, AVX-512 IFMA
//! lanes and the G1 bucket additions on them, and a cache prefetch. Each fast path is a type
//! that only detection builds ([`adx::Adx::detect`], [`ifma::Ifma::detect`]), so a CPU
//! without the instructions takes the portable path at run time.

pub mod adx;
pub mod ifma;
pub(crate) mod lanes;

/// Hints the CPU to bring `item`'s cache line in (SSE's `prefetcht0`).
#[inline(always)]
pub(crate) fn prefetch<T>(item: &T) {
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    // SAFETY: SSE is part of x86-64, and a prefetch only hints the cache: it reads nothing the
    // program sees and cannot fault.
    unsafe { _mm_prefetch::<_MM_HINT_T0>((item as *const T).cast()) };
}
