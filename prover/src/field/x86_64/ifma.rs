//! Eight BN254 base-field products at once, with AVX-512 IFMA (`VPMADD52LUQ`/`VPMADD52HUQ`:
//! Intel since Ice Lake, AMD since Zen 4).
//!
//! A `Lanes` value holds eight elements of `F_p` in radix `2^52`, five limbs each, one element
//! per 64-bit lane of five `zmm` registers. Its products are Montgomery products for
//! `R' = 2^260`: element `e` is represented by any integer `E ≡ e·2^260 (mod p)` below
//! `2^260`, and `Lanes::mul` computes `A·B·2^{−260} mod p` by operand scanning with
//! interleaved reduction, five times
//!
//! ```text
//! T ← T + a_i·B                 (ten 52×52-bit products, low and high halves)
//! m ← T_i·p' mod 2^52           (p' = −p⁻¹ mod 2^52)
//! T ← T + m·p·2^{52i}           (ten more; limb i of T becomes 0 mod 2^52)
//! ```
//!
//! The result is below `A·B/2^260 + p`. BN254's `p` is about `2^260/84.6`, so a product's
//! inputs may be far above `p` and its output still small: inputs below `16p` give an output
//! below `4.1p`. No product reduces its output below `p`; the bounds each caller keeps are
//! written beside it ([`crate::msm`]'s lane additions). Leaving values unreduced is what makes
//! this fast: a product is 105 multiply-adds on eight lanes, about 14 per element, against 36
//! `MULX` for one element in [`super::adx`].
//!
//! Elements enter from `ark-ff`'s Montgomery form (`x·2^256`, below `p`) shifted left four bits,
//! which is `x·2^260` below `16p`, and leave through a product with `2^256 mod p` and one
//! conditional subtraction, back in `ark-ff`'s canonical form.

use super::adx::Adx;
use crate::field::Multiplier;
use ark_bn254::{Fq, FqConfig};
use ark_ff::{BigInt, Fp, MontBackend, MontConfig};
use std::arch::x86_64::{
    __m512i, _mm512_add_epi64, _mm512_and_si512, _mm512_cmplt_epi64_mask, _mm512_loadu_si512,
    _mm512_madd52hi_epu64, _mm512_madd52lo_epu64, _mm512_mask_blend_epi64, _mm512_or_si512,
    _mm512_set1_epi64, _mm512_setzero_si512, _mm512_slli_epi64, _mm512_srai_epi64,
    _mm512_srli_epi64, _mm512_storeu_si512, _mm512_sub_epi64,
};

/// Proof that this CPU executes AVX-512 IFMA (and BMI2 and ADX, for the scalar products beside
/// the lanes): the only way to get one is [`Ifma::detect`].
#[derive(Debug, Clone, Copy)]
pub struct Ifma {
    adx: Adx,
}

impl Ifma {
    /// An [`Ifma`] if this CPU has AVX-512 F and IFMA, BMI2 and ADX.
    pub fn detect() -> Option<Self> {
        let lanes = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512ifma");
        let adx = Adx::detect()?;
        lanes.then_some(Ifma { adx })
    }
}

/// Scalar products are [`Adx`]'s; what an [`Ifma`] adds is [`Multiplier::ifma`].
impl Multiplier for Ifma {
    #[inline(always)]
    fn mul<T: MontConfig<4>>(
        self,
        a: &Fp<MontBackend<T, 4>, 4>,
        b: &Fp<MontBackend<T, 4>, 4>,
    ) -> Fp<MontBackend<T, 4>, 4> {
        self.adx.mul(a, b)
    }

    #[inline(always)]
    fn square<T: MontConfig<4>>(self, a: &Fp<MontBackend<T, 4>, 4>) -> Fp<MontBackend<T, 4>, 4> {
        self.adx.square(a)
    }

    #[inline(always)]
    fn ifma(self) -> Option<Ifma> {
        Some(self)
    }
}

/// How many elements a [`Lanes`] holds.
pub(crate) const LANES: usize = 8;

const LIMBS: usize = 5;
const MASK: u64 = (1 << 52) - 1;
const MODULUS: [u64; 4] = FqConfig::MODULUS.0;

/// `k·p` in radix `2^52` (normalised limbs), for `k·p < 2^260`.
const fn multiple_of_modulus(k: u64) -> [u64; LIMBS] {
    let mut words = [0u64; 5];
    let mut carry = 0u128;
    let mut i = 0;
    while i < 4 {
        let product = MODULUS[i] as u128 * k as u128 + carry;
        words[i] = product as u64;
        carry = product >> 64;
        i += 1;
    }
    words[4] = carry as u64;
    radix_52(words)
}

/// A number below `2^260`, given in 64-bit words, in radix `2^52`.
const fn radix_52(w: [u64; 5]) -> [u64; LIMBS] {
    [
        w[0] & MASK,
        ((w[0] >> 52) | (w[1] << 12)) & MASK,
        ((w[1] >> 40) | (w[2] << 24)) & MASK,
        ((w[2] >> 28) | (w[3] << 36)) & MASK,
        ((w[3] >> 16) | (w[4] << 48)) & MASK,
    ]
}

/// `−p⁻¹ mod 2^52` (`ark-ff`'s `INV` is `−p⁻¹ mod 2^64`).
const MODULUS_INVERSE: u64 = FqConfig::INV & MASK;
/// `2^256 mod p`: a product with it takes `x·2^260` to `x·2^256`.
const TO_ARK: [u64; LIMBS] = {
    let r = FqConfig::R.0;
    radix_52([r[0], r[1], r[2], r[3], 0])
};

/// Eight field elements, one per lane; see the module's documentation for the representation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lanes([__m512i; LIMBS]);

/// One `u64` per lane.
#[target_feature(enable = "avx512f")]
#[inline]
fn splat(x: u64) -> __m512i {
    _mm512_set1_epi64(x as i64)
}

/// The same limbs on every lane.
#[target_feature(enable = "avx512f")]
#[inline]
fn splat_limbs(limbs: &[u64; LIMBS]) -> [__m512i; LIMBS] {
    let mut out = [_mm512_setzero_si512(); LIMBS];
    for (out, &limb) in out.iter_mut().zip(limbs) {
        *out = splat(limb);
    }
    out
}

/// Carries every limb's bits above 52 into the next; the top limb keeps its own. `SIGNED`
/// limbs may be negative (two's complement) and carry by arithmetic shifts.
#[target_feature(enable = "avx512f")]
#[inline]
fn carry<const SIGNED: bool>(mut r: [__m512i; LIMBS]) -> Lanes {
    let mask = splat(MASK);
    for k in 0..LIMBS - 1 {
        let high = if SIGNED {
            _mm512_srai_epi64::<52>(r[k])
        } else {
            _mm512_srli_epi64::<52>(r[k])
        };
        r[k + 1] = _mm512_add_epi64(r[k + 1], high);
        r[k] = _mm512_and_si512(r[k], mask);
    }
    Lanes(r)
}

impl Lanes {
    /// `k·p` on every lane, `k·p < 2^260`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(crate) fn modulus_times(k: u64) -> Lanes {
        debug_assert!(k <= 84, "k·p must stay below 2^260");
        Lanes(splat_limbs(&multiple_of_modulus(k)))
    }

    /// `A·B·2^{−260} mod p`, below `A·B/2^260 + p` (not reduced further).
    #[target_feature(enable = "avx512f,avx512ifma")]
    #[inline]
    pub(crate) fn mul(&self, b: &Lanes) -> Lanes {
        let zero = _mm512_setzero_si512();
        let p = splat_limbs(&multiple_of_modulus(1));
        let p_inverse = splat(MODULUS_INVERSE);
        let (a, b) = (&self.0, &b.0);
        let mut t = [zero; 2 * LIMBS];
        for i in 0..LIMBS {
            for j in 0..LIMBS {
                t[i + j] = _mm512_madd52lo_epu64(t[i + j], a[i], b[j]);
                t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], a[i], b[j]);
            }
            let m = _mm512_madd52lo_epu64(zero, t[i], p_inverse);
            for j in 0..LIMBS {
                t[i + j] = _mm512_madd52lo_epu64(t[i + j], m, p[j]);
                t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], m, p[j]);
            }
            t[i + 1] = _mm512_add_epi64(t[i + 1], _mm512_srli_epi64::<52>(t[i]));
        }
        carry::<false>([t[5], t[6], t[7], t[8], t[9]])
    }

    /// `A + B` (the caller keeps it below `2^260`).
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(crate) fn add(&self, b: &Lanes) -> Lanes {
        let mut r = self.0;
        for (r, b) in r.iter_mut().zip(&b.0) {
            *r = _mm512_add_epi64(*r, *b);
        }
        carry::<false>(r)
    }

    /// `A − B + k·p` for `multiple = k·p` ([`Lanes::modulus_times`]) with `B ≤ k·p`, so the
    /// result is non-negative (the caller keeps it below `2^260`).
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(crate) fn sub(&self, b: &Lanes, multiple: &Lanes) -> Lanes {
        let mut r = self.0;
        for ((r, b), multiple) in r.iter_mut().zip(&b.0).zip(&multiple.0) {
            *r = _mm512_sub_epi64(_mm512_add_epi64(*r, *multiple), *b);
        }
        carry::<true>(r)
    }

    /// The elements of eight `ark-ff` elements given limb by limb (`words[k][lane]`, canonical
    /// Montgomery form `x·2^256 < p`): `x·2^256·16`, below `16p`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    pub(crate) fn from_words(words: &[[u64; LANES]; 4]) -> Lanes {
        let mut w = [_mm512_setzero_si512(); 4];
        for (w, words) in w.iter_mut().zip(words) {
            // SAFETY: each `[u64; 8]` is 64 readable bytes; the load is unaligned.
            *w = unsafe { _mm512_loadu_si512(words.as_ptr().cast()) };
        }
        let mask = splat(MASK);
        Lanes([
            _mm512_and_si512(_mm512_slli_epi64::<4>(w[0]), mask),
            _mm512_and_si512(
                _mm512_or_si512(_mm512_srli_epi64::<48>(w[0]), _mm512_slli_epi64::<16>(w[1])),
                mask,
            ),
            _mm512_and_si512(
                _mm512_or_si512(_mm512_srli_epi64::<36>(w[1]), _mm512_slli_epi64::<28>(w[2])),
                mask,
            ),
            _mm512_and_si512(
                _mm512_or_si512(_mm512_srli_epi64::<24>(w[2]), _mm512_slli_epi64::<40>(w[3])),
                mask,
            ),
            _mm512_srli_epi64::<12>(w[3]),
        ])
    }

    /// The eight elements in `ark-ff`'s canonical Montgomery form, limb by limb
    /// (`words[k][lane]`).
    #[target_feature(enable = "avx512f,avx512ifma")]
    #[inline]
    pub(crate) fn write_words(&self, words: &mut [[u64; LANES]; 4]) {
        // Below A·(2^256 mod p)/2^260 + p < 2p: one subtraction of p makes it canonical.
        let r = self.mul(&Lanes(splat_limbs(&TO_ARK))).0;
        let p = splat_limbs(&multiple_of_modulus(1));
        let mut less = [_mm512_setzero_si512(); LIMBS];
        for k in 0..LIMBS {
            less[k] = _mm512_sub_epi64(r[k], p[k]);
        }
        let less = carry::<true>(less).0;
        // Where r − p is negative, r is already canonical.
        let keep = _mm512_cmplt_epi64_mask(less[4], _mm512_setzero_si512());
        let mut c = r;
        for (c, less) in c.iter_mut().zip(less) {
            *c = _mm512_mask_blend_epi64(keep, less, *c);
        }
        let w = [
            _mm512_or_si512(c[0], _mm512_slli_epi64::<52>(c[1])),
            _mm512_or_si512(_mm512_srli_epi64::<12>(c[1]), _mm512_slli_epi64::<40>(c[2])),
            _mm512_or_si512(_mm512_srli_epi64::<24>(c[2]), _mm512_slli_epi64::<28>(c[3])),
            _mm512_or_si512(_mm512_srli_epi64::<36>(c[3]), _mm512_slli_epi64::<16>(c[4])),
        ];
        for (out, w) in words.iter_mut().zip(w) {
            // SAFETY: each `[u64; 8]` is 64 writable bytes; the store is unaligned.
            unsafe { _mm512_storeu_si512(out.as_mut_ptr().cast(), w) };
        }
    }
}

/// Eight `ark-ff` elements into the limb-by-limb layout of [`Lanes::from_words`].
pub(crate) fn words_of(elements: &[Fq; LANES]) -> [[u64; LANES]; 4] {
    std::array::from_fn(|k| std::array::from_fn(|lane| (elements[lane].0).0[k]))
}

/// The elements of [`Lanes::write_words`]'s layout.
pub(crate) fn elements_of(words: &[[u64; LANES]; 4]) -> [Fq; LANES] {
    std::array::from_fn(|lane| Fp::new_unchecked(BigInt(std::array::from_fn(|k| words[k][lane]))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{Field, UniformRand, Zero};
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    fn round_trip(ifma: Ifma, lanes: &Lanes) -> [Fq; LANES] {
        let _ = ifma;
        let mut words = [[0u64; LANES]; 4];
        // SAFETY: an `Ifma` exists only where `detect` found AVX-512 F and IFMA.
        unsafe { lanes.write_words(&mut words) };
        elements_of(&words)
    }

    fn load(elements: &[Fq; LANES]) -> Lanes {
        // SAFETY: only called after `Ifma::detect`.
        unsafe { Lanes::from_words(&words_of(elements)) }
    }

    /// Edge values and random ones, eight at a time.
    fn samples(rng: &mut StdRng) -> Vec<[Fq; LANES]> {
        let minus_one = -Fq::ONE;
        let mut out = vec![
            [Fq::zero(); LANES],
            [minus_one; LANES],
            [
                Fq::ONE,
                minus_one,
                Fq::zero(),
                minus_one,
                Fq::ONE,
                Fq::from(2u64),
                -Fq::from(2u64),
                minus_one,
            ],
        ];
        out.extend((0..200).map(|_| std::array::from_fn(|_| Fq::rand(rng))));
        out
    }

    #[test]
    fn lane_arithmetic_agrees_with_ark_ff() {
        let Some(ifma) = Ifma::detect() else {
            eprintln!("this CPU has no AVX-512 IFMA: lane arithmetic not tested here");
            return;
        };
        let mut rng = StdRng::seed_from_u64(52);
        let samples = samples(&mut rng);
        for a in &samples {
            assert_eq!(&round_trip(ifma, &load(a)), a, "round trip");
            for b in samples.iter().take(20) {
                let (la, lb) = (load(a), load(b));
                // SAFETY: `ifma` proves the features.
                let (product, sum, difference, chained) = unsafe {
                    let product = la.mul(&lb);
                    let sum = la.add(&lb);
                    let difference = la.sub(&lb, &Lanes::modulus_times(16));
                    // Unreduced inputs far above p: (a − b + 16p)·(a + b) squared.
                    let chained = difference.mul(&sum);
                    (product, sum, difference, chained.mul(&chained))
                };
                let expect = |f: &dyn Fn(Fq, Fq) -> Fq| -> [Fq; LANES] {
                    std::array::from_fn(|l| f(a[l], b[l]))
                };
                assert_eq!(round_trip(ifma, &product), expect(&|x, y| x * y), "product");
                assert_eq!(round_trip(ifma, &sum), expect(&|x, y| x + y), "sum");
                assert_eq!(
                    round_trip(ifma, &difference),
                    expect(&|x, y| x - y),
                    "difference"
                );
                assert_eq!(
                    round_trip(ifma, &chained),
                    expect(&|x, y| ((x - y) * (x + y)).square()),
                    "chained"
                );
            }
        }
    }
}
