//! Batch verification: many signatures checked with one multi-scalar multiplication.
//!
//! Each signature `i` must satisfy `S_i·B8 = R8_i + (8·hm_i)·A_i`. With independent uniform
//! 128-bit `z_i` from a CSPRNG, the batch checks the random linear combination
//!
//! ```text
//! (Σ z_i·S_i)·B8 + Σ z_i·(−R8_i) + Σ (8·z_i·hm_i)·(−A_i) = O
//! ```
//!
//! as one MSM, keys that repeat (one sender, many transactions) folded into one term. Scalars
//! are reduced mod `l` only where the point is known to lie in the order-`l` subgroup (`B8`,
//! the keys); `z_i < 2^128 < l` multiplies `−R8_i` unreduced, so a small-order component of
//! `R8_i` is not silently scaled away.
//!
//! What the check proves, for points on the curve and keys in the subgroup:
//! - every signature valid: the sum is `O`, always;
//! - some signature fails the subgroup part of its equation: the sum is `O` with probability
//!   at most `2^-128` (for fixed other terms at most one `z_j mod l` cancels it);
//! - the only failures are small-order components of `R8` (which only the key's owner can
//!   produce from a valid signature): caught with probability at least 1/2, as the group's
//!   8-torsion is cyclic and `z_j mod 8` is uniform. The state transition's strict check
//!   (which [`super::PublicKey::verify`] is) refuses such a transaction at sealing in any case.
//!
//! A chunk whose sum is not `O` is checked again one signature at a time, which names the bad
//! ones with their exact errors; so the result equals [`super::PublicKey::verify`] on each
//! item, except as said for small-order `R8`.

use super::extended::Niels;
use super::msm::{msm, Limbs};
use super::{challenge, PublicKey, Signature, SignatureError};
use crate::babyjubjub::{Point, PointError, SubgroupScalar};
use crate::field::Fr;
use ark_ff::{AdditiveGroup, PrimeField};
use rand::RngCore;
use std::collections::HashMap;

/// Most signatures per MSM: larger chunks are cheaper per signature, but a bad signature
/// sends its whole chunk through the one-by-one check.
const MAX_CHUNK: usize = 512;

/// One signature to check: `signature` over `message` by `key`.
///
/// The key must be a point of the prime-order subgroup (see [`PublicKey::is_valid`]), as every
/// key in the account tree is: the batch checks only that it is on the curve and not the
/// identity. A key from elsewhere must pass [`PublicKey::is_valid`] first.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    /// The signer's key.
    pub key: &'a PublicKey,
    /// The signed field element.
    pub message: Fr,
    /// The signature.
    pub signature: &'a Signature,
}

/// Checks every item; the result for item `i` is at index `i`. The hashing and the MSM run in
/// parallel with the `parallel` feature. A small-order component of `R8` is caught with probability ≥ 1/2 (see
/// the module docs); use [`verify_batch_strict`] where that must be exact.
pub fn verify_batch(items: &[BatchItem<'_>]) -> Vec<Result<(), SignatureError>> {
    verify_batch_with(items, false)
}

/// [`verify_batch`] with `R8`'s subgroup membership checked on every item, so the result equals
/// [`PublicKey::verify`] on each item exactly (up to the batch's `2^-128`). This is what the
/// state transition uses: the circuit's equation refuses such an `R8`, so must the STF.
pub fn verify_batch_strict(items: &[BatchItem<'_>]) -> Vec<Result<(), SignatureError>> {
    verify_batch_with(items, true)
}

fn verify_batch_with(items: &[BatchItem<'_>], strict: bool) -> Vec<Result<(), SignatureError>> {
    // Chunks one after another: each one's hashing and MSM already spread over the threads.
    items
        .chunks(MAX_CHUNK)
        .flat_map(|c| verify_chunk(c, strict))
        .collect()
}

/// `f` on every item, on rayon's threads with the `parallel` feature.
fn map_items<T: Send>(
    items: &[BatchItem<'_>],
    f: impl Fn(&BatchItem<'_>) -> T + Sync + Send,
) -> Vec<T> {
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        items.par_iter().map(f).collect()
    }
    #[cfg(not(feature = "parallel"))]
    items.iter().map(f).collect()
}

/// Cheap per-item checks that the MSM relies on.
fn precheck(item: &BatchItem<'_>, strict: bool) -> Result<(), SignatureError> {
    if item.key.0 == Point::IDENTITY || !item.key.0.is_on_curve() {
        return Err(SignatureError::InvalidPublicKey);
    }
    if !item.signature.r8.is_on_curve() {
        return Err(SignatureError::BadR8(PointError::NotOnCurve));
    }
    if strict && !item.signature.r8.is_in_prime_subgroup() {
        return Err(SignatureError::R8NotInSubgroup);
    }
    Ok(())
}

fn verify_chunk(items: &[BatchItem<'_>], strict: bool) -> Vec<Result<(), SignatureError>> {
    // Each item's prechecks and challenge hash, which is most of the work.
    let checked: Vec<Result<SubgroupScalar, SignatureError>> = map_items(items, |item| {
        precheck(item, strict)?;
        Ok(challenge(&item.signature.r8, &item.key.0, item.message))
    });
    let mut rng = rand::rng();
    let eight = SubgroupScalar::from(8u64);
    let mut base_scalar = SubgroupScalar::ZERO;
    let mut bases: Vec<Niels> = Vec::with_capacity(2 * items.len() + 1);
    let mut scalars: Vec<Limbs> = Vec::with_capacity(2 * items.len() + 1);
    let mut key_terms: HashMap<Point, SubgroupScalar> = HashMap::new();
    for (item, hm) in items.iter().zip(&checked) {
        let Ok(hm) = hm else { continue };
        let (low, high) = (rng.next_u64(), rng.next_u64());
        // `z` multiplies −R8 as the integer it is (no reduction mod l, see the module docs).
        bases.push(Niels::new(&item.signature.r8).neg());
        scalars.push([low, high, 0, 0]);
        let z = SubgroupScalar::from(u128::from(high) << 64 | u128::from(low));
        base_scalar += z * item.signature.s;
        *key_terms.entry(item.key.0).or_insert(SubgroupScalar::ZERO) += eight * z * *hm;
    }
    for (key, scalar) in key_terms {
        bases.push(Niels::new(&key).neg());
        scalars.push(scalar.into_bigint().0);
    }
    bases.push(Niels::new(&Point::base8()));
    scalars.push(base_scalar.into_bigint().0);
    let mut results: Vec<Result<(), SignatureError>> =
        checked.into_iter().map(|c| c.map(|_| ())).collect();
    if msm(&bases, &scalars).is_identity() {
        return results;
    }
    // Some signature is bad: name it (and keep the precheck errors, which are exact).
    let single = map_items(items, |item| item.key.verify(item.message, item.signature));
    for (result, single) in results.iter_mut().zip(single) {
        if result.is_ok() {
            *result = single;
        }
    }
    results
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eddsa::PrivateKey;

    fn signed(n: usize) -> Vec<(PublicKey, Fr, Signature)> {
        (0..n)
            .map(|i| {
                // A few keys signing many messages, as a busy pool looks.
                let key = PrivateKey::from_bytes([(i % 5) as u8 + 1; 32]);
                let message = Fr::from(i as u64 * 7 + 3);
                (key.public_key(), message, key.sign(message))
            })
            .collect()
    }

    fn items(v: &[(PublicKey, Fr, Signature)]) -> Vec<BatchItem<'_>> {
        v.iter()
            .map(|(key, message, signature)| BatchItem {
                key,
                message: *message,
                signature,
            })
            .collect()
    }

    #[test]
    fn valid_signatures_pass_at_every_size() {
        for n in [0, 1, 3, 4, 5, 64, 130] {
            let v = signed(n);
            let results = verify_batch(&items(&v));
            assert_eq!(results.len(), n);
            assert!(results.iter().all(Result::is_ok), "n = {n}");
        }
    }

    #[test]
    fn one_bad_signature_among_many_is_named_with_its_error() {
        let mut v = signed(100);
        v[37].1 += Fr::from(1u64); // the message it claims to sign
        let s = v[80].2.s + SubgroupScalar::from(1u64);
        v[80].2.s = s;
        let results = verify_batch(&items(&v));
        for (i, r) in results.iter().enumerate() {
            match i {
                37 | 80 => assert_eq!(*r, Err(SignatureError::Mismatch), "item {i}"),
                _ => assert_eq!(*r, Ok(()), "item {i}"),
            }
        }
    }

    #[test]
    fn results_equal_single_verification_for_each_kind_of_fault() {
        let mut v = signed(40);
        let two_torsion = Point {
            x: Fr::from(0u64),
            y: -Fr::from(1u64),
        };
        v[3].0 = PublicKey(Point::IDENTITY);
        v[9].2.r8 = Point {
            x: v[9].2.r8.x + Fr::from(1u64),
            y: v[9].2.r8.y,
        };
        v[21].0 = PrivateKey::from_bytes([99; 32]).public_key(); // another key
        let batch = verify_batch(&items(&v));
        let single: Vec<_> = v.iter().map(|(k, m, s)| k.verify(*m, s)).collect();
        assert_eq!(batch, single);
        assert_eq!(batch[3], Err(SignatureError::InvalidPublicKey));
        assert_eq!(batch[9], Err(SignatureError::BadR8(PointError::NotOnCurve)));
        assert_eq!(batch[21], Err(SignatureError::Mismatch));
        // A small-order component on R8 alone: the batch catches it at least half the time
        // and the fallback then names it exactly; 40 tries all missing it has odds 2^-40.
        let mut caught = false;
        for _ in 0..40 {
            let mut w = signed(8);
            w[2].2.r8 = w[2].2.r8.add(&two_torsion);
            let r = verify_batch(&items(&w));
            assert!(r.iter().enumerate().all(|(i, x)| i == 2 || x.is_ok()));
            if r[2] == Err(SignatureError::R8NotInSubgroup) {
                caught = true;
            } else {
                assert_eq!(r[2], Ok(()));
            }
        }
        assert!(caught);
        let mut w = signed(8);
        w[2].2.r8 = w[2].2.r8.add(&two_torsion);
        let strict = verify_batch_strict(&items(&w));
        assert_eq!(strict[2], Err(SignatureError::R8NotInSubgroup));
        assert!(strict.iter().enumerate().all(|(i, x)| i == 2 || x.is_ok()));
    }
}
