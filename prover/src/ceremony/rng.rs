//! snarkjs' randomness, reproduced exactly: a contribution made here must be checkable by
//! snarkjs, and a beacon (whose randomness is public) must give the same key in both tools.
//!
//! - The stream is ChaCha20 (20 rounds, a 64-bit block counter, a zero nonce) keyed with eight
//!   32-bit words, each read **big-endian** from the seed's bytes; words come out in keystream
//!   order, a 64-bit draw is `first·2^32 + second`, a bit is a word's lowest bit.
//! - A field element is four 64-bit draws, least significant first, masked to 254 bits and
//!   drawn again while not below the modulus; the integer is taken as the element's
//!   **Montgomery form** (the element is `v·R⁻¹`, `R = 2^256`), as snarkjs' WebAssembly stores
//!   it.
//! - A G1 point: draw `x`, then a bit, until `x³ + 3` is a square; `y` is the square root
//!   whose sign (`y > (q − 1)/2`) is the bit. A G2 point likewise with `x = c0 + c1·u` and the
//!   sign of `c1` (of `c0` when `c1 = 0`), then times the G2 cofactor (as an integer) to land
//!   in the prime-order subgroup.

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::short_weierstrass::SWCurveConfig;
use ark_ec::CurveConfig;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInt, Field, PrimeField, Zero};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// snarkjs' random stream.
pub(crate) struct SnarkjsRng(ChaCha20Rng);

impl SnarkjsRng {
    /// The stream keyed by the first 32 bytes of `seed`, as eight big-endian words.
    pub(crate) fn from_seed_bytes(seed: &[u8]) -> Self {
        let mut key = [0u8; 32];
        for (word, out) in seed[..32].chunks_exact(4).zip(key.chunks_exact_mut(4)) {
            // rand_chacha keys with little-endian words; snarkjs reads its words big-endian.
            let value = u32::from_be_bytes(word.try_into().expect("4"));
            out.copy_from_slice(&value.to_le_bytes());
        }
        SnarkjsRng(ChaCha20Rng::from_seed(key))
    }

    fn u64(&mut self) -> u64 {
        let high = u64::from(self.0.next_u32());
        (high << 32) | u64::from(self.0.next_u32())
    }

    fn bit(&mut self) -> bool {
        self.0.next_u32() & 1 == 1
    }

    /// A uniform 254-bit integer below `modulus`, as four limbs.
    fn below(&mut self, modulus: BigInt<4>) -> BigInt<4> {
        loop {
            let mut v = BigInt([self.u64(), self.u64(), self.u64(), self.u64()]);
            v.0[3] &= (1 << 62) - 1;
            if v < modulus {
                return v;
            }
        }
    }

    /// A scalar, the drawn integer as its Montgomery form.
    pub(crate) fn scalar(&mut self) -> Fr {
        Fr::new_unchecked(self.below(Fr::MODULUS))
    }

    fn base(&mut self) -> Fq {
        Fq::new_unchecked(self.below(Fq::MODULUS))
    }

    /// A G1 point.
    pub(crate) fn g1(&mut self) -> G1Affine {
        loop {
            let x = self.base();
            let negative = self.bit();
            let rhs = x.square() * x + ark_bn254::g1::Config::COEFF_B;
            if let Some(y) = rhs.sqrt() {
                let y = if is_negative(&y) == negative { y } else { -y };
                return G1Affine::new_unchecked(x, y);
            }
        }
    }

    /// A G2 point in the prime-order subgroup.
    pub(crate) fn g2(&mut self) -> G2Affine {
        loop {
            let x = Fq2::new(self.base(), self.base());
            let negative = self.bit();
            let rhs = x.square() * x + ark_bn254::g2::Config::COEFF_B;
            if let Some(y) = rhs.sqrt() {
                let sign = if y.c1.is_zero() { &y.c0 } else { &y.c1 };
                let y = if is_negative(sign) == negative { y } else { -y };
                let point = G2Affine::new_unchecked(x, y);
                return point
                    .mul_bigint(ark_bn254::g2::Config::COFACTOR)
                    .into_affine();
            }
        }
    }
}

/// snarkjs' sign of a base-field element: above `(q − 1)/2`.
fn is_negative(x: &Fq) -> bool {
    x.into_bigint() > Fq::MODULUS_MINUS_ONE_DIV_TWO
}

/// snarkjs' `hashToG2`: the G2 point drawn from the stream keyed by `transcript`.
pub(crate) fn hash_to_g2(transcript: &[u8; 64]) -> G2Affine {
    SnarkjsRng::from_seed_bytes(transcript).g2()
}
