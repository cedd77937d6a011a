//! BN254 Groth16 verifying keys and proofs as EVM words (EIP-196/197 encoding): what the
//! Solidity verifier is deployed with and called with, and what the verifying-key hash is
//! computed over.
//!
//! A leaf crate (arkworks types and SHA-256 only), so that the prover (which records the hash in
//! its key files), the L1 crate (which deploys and calls the verifier) and the offline verifier
//! (which checks the hash a contract reports) share one encoding without depending on each
//! other.
//!
//! Words are 32-byte big-endian base-field elements. A G1 point is `(x, y)`; a G2 point is
//! `(x.c1, x.c0, y.c1, y.c0)`, imaginary part first, as EIP-197 orders it; the point at
//! infinity is all zeros.

use ark_bn254::{Bn254, Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::{Proof, VerifyingKey};
use sha2::{Digest, Sha256};

/// One EVM word.
pub type Word = [u8; 32];

fn fq(x: &Fq) -> Word {
    let bytes = x.into_bigint().to_bytes_be();
    let mut word = [0u8; 32];
    word[32 - bytes.len()..].copy_from_slice(&bytes);
    word
}

fn fq2(x: &Fq2, out: &mut Vec<Word>) {
    out.push(fq(&x.c1));
    out.push(fq(&x.c0));
}

/// `(x, y)`, or two zero words for the point at infinity.
pub fn g1_words(p: &G1Affine, out: &mut Vec<Word>) {
    match p.xy() {
        Some((x, y)) => {
            out.push(fq(&x));
            out.push(fq(&y));
        }
        None => out.extend([[0u8; 32]; 2]),
    }
}

/// `(x.c1, x.c0, y.c1, y.c0)`, or four zero words for the point at infinity.
pub fn g2_words(p: &G2Affine, out: &mut Vec<Word>) {
    match p.xy() {
        Some((x, y)) => {
            fq2(&x, out);
            fq2(&y, out);
        }
        None => out.extend([[0u8; 32]; 4]),
    }
}

/// α, β, γ, δ, then `IC_0 … IC_n`: 18 words for a key with one public input.
pub fn vk_words(vk: &VerifyingKey<Bn254>) -> Vec<Word> {
    let mut out = Vec::with_capacity(14 + 2 * vk.gamma_abc_g1.len());
    g1_words(&vk.alpha_g1, &mut out);
    g2_words(&vk.beta_g2, &mut out);
    g2_words(&vk.gamma_g2, &mut out);
    g2_words(&vk.delta_g2, &mut out);
    for ic in &vk.gamma_abc_g1 {
        g1_words(ic, &mut out);
    }
    out
}

/// The verifying-key hash that ties proofs, key files, contracts and verifiers together:
/// SHA-256 of [`vk_words`]. The Solidity verifier computes the same over its constructor words.
pub fn vk_hash(vk: &VerifyingKey<Bn254>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for word in vk_words(vk) {
        hasher.update(word);
    }
    hasher.finalize().into()
}

/// A proof as the verifier takes it: A, B, C (8 words).
pub fn proof_words(proof: &Proof<Bn254>) -> [Word; 8] {
    let mut out = Vec::with_capacity(8);
    g1_words(&proof.a, &mut out);
    g2_words(&proof.b, &mut out);
    g1_words(&proof.c, &mut out);
    let mut words = [[0u8; 32]; 8];
    words.copy_from_slice(&out);
    words
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;
    use ark_std::UniformRand;

    #[test]
    fn words_are_big_endian_coordinates_in_eip197_order() {
        let mut rng = ark_std::test_rng();
        let g1 = (ark_bn254::G1Projective::rand(&mut rng)).into_affine();
        let g2 = (ark_bn254::G2Projective::rand(&mut rng)).into_affine();
        let mut w = Vec::new();
        g1_words(&g1, &mut w);
        g2_words(&g2, &mut w);
        assert_eq!(Fq::from_be_bytes_mod_order(&w[0]), g1.x);
        assert_eq!(Fq::from_be_bytes_mod_order(&w[1]), g1.y);
        assert_eq!(Fq::from_be_bytes_mod_order(&w[2]), g2.x.c1);
        assert_eq!(Fq::from_be_bytes_mod_order(&w[3]), g2.x.c0);
        assert_eq!(Fq::from_be_bytes_mod_order(&w[4]), g2.y.c1);
        assert_eq!(Fq::from_be_bytes_mod_order(&w[5]), g2.y.c0);
        let mut zero = Vec::new();
        g1_words(&G1Affine::zero(), &mut zero);
        assert_eq!(zero, vec![[0u8; 32]; 2]);
    }
}
