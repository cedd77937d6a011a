//! SHA-256 (FIPS 180-4) in R1CS over a bit string given most significant bit first per byte, as
//! the commitment's bytes are laid out (`docs/protocol.md` §10).
//!
//! Bits are field variables known to be 0 or 1; constants (IV, padding, round constants, the
//! zeros shifted in by `SHR`) cost nothing. Per 64-byte block about 26.4k constraints, against
//! about 40k for a gadget built from generic 32-bit words:
//!
//! - a three-way XOR `r = a ⊕ b ⊕ c` is `r = a + b + c − 2q` with `q` and `r` boolean
//!   (2 constraints): for `a + b + c ∈ {0..3}` exactly one boolean `q` leaves `r` boolean, and it
//!   is the majority bit, so `r` is the parity;
//! - `Ch(e, f, g) = g + e·(f − g)` (1 constraint), `Maj(a, b, c) = k + a·(b + c − 2k)` with
//!   `k = b·c` (2 constraints);
//! - `Σ`/`σ` outputs are never materialised as words: a word's value is the linear combination
//!   `Σ 2^i·bit_i`, so sums of several words are one field sum, decomposed once into 32 bits plus
//!   `⌈log₂ n⌉` carry bits (each boolean, `1 + 32 + ⌈log₂ n⌉` constraints). The sum of `n` words
//!   is below `n·2^32 ≪ r`, so the decomposition is unique and the low 32 bits are the sum mod
//!   `2^32`.

use super::FrVar;
use ark_bn254::Fr;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::GR1CSVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

/// A 32-bit word, least significant bit first; every entry is 0 or 1.
type Word = [FrVar; 32];

/// The initial hash value (FIPS 180-4 §5.3.3).
pub const IV: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// The round constants (FIPS 180-4 §4.2.2).
pub const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

/// SHA-256 of `bits` (a whole number of bytes, each byte's bits most significant first); returns
/// the 256 digest bits in the same order.
pub fn sha256_msb_first(bits: &[Boolean<Fr>]) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    let cs = bits.cs();
    let message: Vec<FrVar> = bits.iter().map(|b| FrVar::from(b.clone())).collect();
    sha256_of_bit_values(&cs, message)
}

/// [`sha256_msb_first`] over bits held as field values. The caller guarantees that every entry
/// is constrained to 0 or 1 elsewhere: the gadget relies on it and does not check it again.
pub fn sha256_of_bit_values(
    cs: &ConstraintSystemRef<Fr>,
    mut message: Vec<FrVar>,
) -> Result<Vec<Boolean<Fr>>, SynthesisError> {
    if !message.len().is_multiple_of(8) {
        return Err(SynthesisError::Unsatisfiable);
    }
    // Padding: a one bit, zeros up to 448 mod 512, the length in bits as 64-bit big-endian.
    let length = message.len() as u64;
    message.push(FrVar::one());
    while message.len() % 512 != 448 {
        message.push(FrVar::zero());
    }
    message.extend((0..64).rev().map(|i| constant_bit((length >> i) & 1 == 1)));

    let mut state: [Word; 8] = IV.map(constant_word);
    let mut digest_bits = Vec::new();
    let blocks = message.len() / 512;
    for (n, block) in message.chunks(512).enumerate() {
        let words: Vec<Word> = block.chunks(32).map(word_from_msb_first).collect();
        let last = n + 1 == blocks;
        let (next, bits) = compress(cs, &state, &words, last)?;
        state = next;
        digest_bits = bits;
    }
    Ok(digest_bits)
}

fn constant_bit(bit: bool) -> FrVar {
    if bit {
        FrVar::one()
    } else {
        FrVar::zero()
    }
}

fn constant_word(value: u32) -> Word {
    std::array::from_fn(|i| constant_bit((value >> i) & 1 == 1))
}

fn word_from_msb_first(bits: &[FrVar]) -> Word {
    std::array::from_fn(|i| bits[31 - i].clone())
}

/// The word's value, `Σ 2^i·bit_i`, as a linear combination.
fn value(word: &Word) -> FrVar {
    word.iter()
        .enumerate()
        .fold(FrVar::zero(), |acc, (i, bit)| {
            acc + bit * Fr::from(1u64 << i)
        })
}

/// Bit `i` of `ROTR^n(x)`.
fn rotr(x: &Word, n: usize, i: usize) -> FrVar {
    x[(i + n) % 32].clone()
}

/// Bit `i` of `SHR^n(x)`.
fn shr(x: &Word, n: usize, i: usize) -> FrVar {
    x.get(i + n).cloned().unwrap_or_else(FrVar::zero)
}

/// Parity of up to three bits.
fn xor(cs: &ConstraintSystemRef<Fr>, bits: [FrVar; 3]) -> Result<FrVar, SynthesisError> {
    let mut flip = false;
    let mut vars = Vec::with_capacity(3);
    for bit in bits {
        match bit {
            FrVar::Constant(c) => flip ^= c == Fr::from(1u64),
            var => vars.push(var),
        }
    }
    let parity = match vars.as_slice() {
        [] => FrVar::zero(),
        [a] => a.clone(),
        [a, b] => a + b - (a * b).double()?,
        [a, b, c] => {
            let sum = a + b + c;
            let carry = Boolean::new_witness(cs.clone(), || {
                Ok(sum.value()? == Fr::from(2u64) || sum.value()? == Fr::from(3u64))
            })?;
            let parity = &sum - FrVar::from(carry).double()?;
            parity.mul_equals(&(&parity - Fr::from(1u64)), &FrVar::zero())?;
            parity
        }
        _ => unreachable!("at most three bits"),
    };
    Ok(if flip { FrVar::one() - parity } else { parity })
}

/// The word whose bit `i` is the parity of `terms(i)`, as its value.
fn xor_word(
    cs: &ConstraintSystemRef<Fr>,
    terms: impl Fn(usize) -> [FrVar; 3],
) -> Result<FrVar, SynthesisError> {
    let bits: Vec<FrVar> = (0..32)
        .map(|i| xor(cs, terms(i)))
        .collect::<Result<_, _>>()?;
    Ok(value(&std::array::from_fn(|i| bits[i].clone())))
}

/// `Σ words mod 2^32`, decomposed into bits.
fn add_mod_2_32(
    cs: &ConstraintSystemRef<Fr>,
    terms: &[FrVar],
    constant: u32,
) -> Result<Word, SynthesisError> {
    let count = terms.len() + usize::from(constant != 0);
    let carry_bits = usize::BITS as usize - (count.max(1) - 1).leading_zeros() as usize;
    let sum = terms
        .iter()
        .fold(FrVar::constant(Fr::from(constant)), |acc, t| acc + t);
    if let FrVar::Constant(c) = &sum {
        let low = ark_ff::BigInteger::to_bits_le(&ark_ff::PrimeField::into_bigint(*c));
        return Ok(std::array::from_fn(|i| constant_bit(low[i])));
    }
    let bits: Vec<Boolean<Fr>> = (0..32 + carry_bits)
        .map(|i| {
            Boolean::new_witness(cs.clone(), || {
                let v = ark_ff::PrimeField::into_bigint(sum.value()?);
                Ok(ark_ff::BigInteger::get_bit(&v, i))
            })
        })
        .collect::<Result<_, _>>()?;
    let recomposed = bits.iter().enumerate().fold(FrVar::zero(), |acc, (i, b)| {
        acc + FrVar::from(b.clone()) * Fr::from(1u64 << i)
    });
    recomposed.enforce_equal(&sum)?;
    Ok(std::array::from_fn(|i| FrVar::from(bits[i].clone())))
}

/// One compression: the next chaining state, and for the last block the digest as booleans.
fn compress(
    cs: &ConstraintSystemRef<Fr>,
    state: &[Word; 8],
    block: &[Word],
    last: bool,
) -> Result<([Word; 8], Vec<Boolean<Fr>>), SynthesisError> {
    let mut w: Vec<Word> = block.to_vec();
    for t in 16..64 {
        let (w2, w15) = (&w[t - 2], &w[t - 15]);
        let s1 = xor_word(cs, |i| [rotr(w2, 17, i), rotr(w2, 19, i), shr(w2, 10, i)])?;
        let s0 = xor_word(cs, |i| [rotr(w15, 7, i), rotr(w15, 18, i), shr(w15, 3, i)])?;
        let next = add_mod_2_32(cs, &[s1, value(&w[t - 7]), s0, value(&w[t - 16])], 0)?;
        w.push(next);
    }

    let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = state.clone();
    for t in 0..64 {
        let big_s1 = xor_word(cs, |i| [rotr(&e, 6, i), rotr(&e, 11, i), rotr(&e, 25, i)])?;
        let ch: Word = std::array::from_fn(|i| &g[i] + &e[i] * (&f[i] - &g[i]));
        let big_s0 = xor_word(cs, |i| [rotr(&a, 2, i), rotr(&a, 13, i), rotr(&a, 22, i)])?;
        let maj: Word = std::array::from_fn(|i| {
            let k = &b[i] * &c[i];
            &k + &a[i] * (&b[i] + &c[i] - &k - &k)
        });
        let t1 = [value(&h), big_s1, value(&ch), value(&w[t])];
        let mut e_terms = t1.to_vec();
        e_terms.push(value(&d));
        let mut a_terms = t1.to_vec();
        a_terms.extend([big_s0, value(&maj)]);
        let new_e = add_mod_2_32(cs, &e_terms, K[t])?;
        let new_a = add_mod_2_32(cs, &a_terms, K[t])?;
        (h, g, f) = (g, f, e);
        e = new_e;
        (d, c, b) = (c, b, a);
        a = new_a;
    }

    let mut next = state.clone();
    let mut digest = Vec::new();
    for (word, add) in next.iter_mut().zip([a, b, c, d, e, f, g, h]) {
        *word = add_mod_2_32(cs, &[value(word), value(&add)], 0)?;
        if last {
            for bit in word.iter().rev() {
                digest.push(boolean(cs, bit)?);
            }
        }
    }
    Ok((next, digest))
}

/// A bit that is already constrained to 0 or 1, as a [`Boolean`] (one equality constraint).
fn boolean(cs: &ConstraintSystemRef<Fr>, bit: &FrVar) -> Result<Boolean<Fr>, SynthesisError> {
    if let FrVar::Constant(c) = bit {
        return Ok(Boolean::constant(*c == Fr::from(1u64)));
    }
    let out = Boolean::new_witness(cs.clone(), || Ok(bit.value()? == Fr::from(1u64)))?;
    FrVar::from(out.clone()).enforce_equal(bit)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;
    use sha2::{Digest, Sha256};

    fn bits_of(bytes: &[u8]) -> Vec<bool> {
        bytes
            .iter()
            .flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1 == 1))
            .collect()
    }

    fn circuit_digest(data: &[u8]) -> (Vec<bool>, ConstraintSystemRef<Fr>) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let bits: Vec<Boolean<Fr>> = bits_of(data)
            .into_iter()
            .map(|b| Boolean::new_witness(cs.clone(), || Ok(b)).unwrap())
            .collect();
        let digest = sha256_msb_first(&bits).unwrap();
        let got = digest.iter().map(|b| b.value().unwrap()).collect();
        cs.finalize();
        (got, cs)
    }

    #[test]
    fn matches_sha2_across_block_boundaries() {
        for len in [0usize, 1, 55, 56, 63, 64, 119, 132] {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let (got, cs) = circuit_digest(&data);
            assert_eq!(got, bits_of(&Sha256::digest(&data)), "{len} bytes");
            assert!(cs.is_satisfied().unwrap());
        }
    }

    #[test]
    fn extreme_bytes_match_sha2() {
        for data in [vec![0xffu8; 100], vec![0u8; 100], vec![0x80; 64]] {
            let (got, cs) = circuit_digest(&data);
            assert_eq!(got, bits_of(&Sha256::digest(&data)));
            assert!(cs.is_satisfied().unwrap());
        }
    }

    #[test]
    fn a_full_block_costs_what_the_docs_say() {
        // Two blocks of witness bytes minus one: the second block's cost is the first's plus
        // the digest conversion, so the difference of 119 and 55 bytes is one full block.
        // The extra 64 input bytes' booleanity (512 constraints) is the test's, not the gadget's.
        let cost = |len: usize| circuit_digest(&vec![7u8; len]).1.num_constraints();
        let per_block = cost(119) - cost(55) - 64 * 8;
        assert!(per_block <= 26_500, "{per_block} constraints per block");
    }

    #[test]
    fn a_wrong_intermediate_bit_is_unsatisfiable() {
        let data = vec![0x5au8; 70];
        let (_, cs) = circuit_digest(&data);
        assert!(cs.is_satisfied().unwrap());
        // Flip each of a spread of witness variables (carries, sum bits, digest bits): every
        // flip must break some constraint, since SHA-256's witness is a function of the input.
        let witnesses = cs.num_witness_variables();
        let message = 70 * 8;
        for v in (message..witnesses).step_by(997) {
            let cs2 = ConstraintSystem::<Fr>::new_ref();
            let bits: Vec<Boolean<Fr>> = bits_of(&data)
                .into_iter()
                .map(|b| Boolean::new_witness(cs2.clone(), || Ok(b)).unwrap())
                .collect();
            sha256_msb_first(&bits).unwrap();
            cs2.finalize();
            let target = ark_relations::gr1cs::Variable::witness(v);
            let value = cs2.assigned_value(target).unwrap();
            {
                let mut inner = cs2.borrow_mut().unwrap();
                inner.assignments.witness_assignment[v] = value + Fr::from(1u64);
                // Linear combinations cache their values; drop the cache so they are
                // re-evaluated from the poked witness.
                inner.assignments.lc_assignment.clear();
            }
            assert!(!cs2.is_satisfied().unwrap(), "witness {v}");
        }
    }
}
