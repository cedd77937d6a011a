//! EdDSA-Poseidon on Baby Jubjub, bit-exact with circomlibjs `prv2pub`, `signPoseidon` and
//! `verifyPoseidon` (and so with zk-kit's `eddsa-poseidon`).
//!
//! Key derivation: `h = BLAKE-512(private key)`; the secret scalar `s` is `h[0..32]` read
//! little-endian after clamping (`h[0] &= 0xF8`, `h[31] &= 0x7F`, `h[31] |= 0x40`); the public key
//! is `A = (s >> 3)·B8`.
//!
//! Signing a field element `m`: `r = BLAKE-512(h[32..64] ‖ m as 32 LE bytes) mod l`, `R8 = r·B8`,
//! `hm = Poseidon(R8.x, R8.y, A.x, A.y, m)`, `S = (r + hm·s) mod l`.
//!
//! Verification accepts `(R8, S)` for `A` iff `S < l`, `R8` and `A` are on the curve **and in the
//! prime-order subgroup**, and `S·B8 = R8 + (8·hm)·A`. circomlibjs checks neither subgroup
//! membership nor that it was given a canonical key; we reject both, which no honest signer
//! produces, so every circomlibjs signature we accept is one circomlibjs accepts.

mod batch;
mod extended;
mod msm;

pub use batch::{verify_batch, verify_batch_strict, BatchItem};

use crate::babyjubjub::{Point, PointError, SubgroupScalar};
use crate::field::Fr;
use crate::poseidon::poseidon;
use ark_ff::{BigInteger, PrimeField};
use blake_hash::{Blake512, Digest};
use serde::{Deserialize, Serialize};

/// Why a signature does not verify or does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// `S` is not below the subgroup order `l` (a malleated signature).
    #[error("signature scalar S is not below the subgroup order")]
    NonCanonicalScalar,
    /// `R8` is not a valid point.
    #[error("signature point R8 is invalid: {0}")]
    BadR8(PointError),
    /// `R8` is on the curve but outside the prime-order subgroup.
    #[error("signature point R8 is not in the prime-order subgroup")]
    R8NotInSubgroup,
    /// The public key is not on the curve, not in the prime-order subgroup, or the identity
    /// (under which anyone could sign: `S·B8 = R8` holds for every message).
    #[error("public key is not a non-identity point of the prime-order subgroup")]
    InvalidPublicKey,
    /// The verification equation does not hold.
    #[error("signature does not verify")]
    Mismatch,
}

/// A 32-byte private key, as circomlibjs and zk-kit take it.
#[derive(Clone, PartialEq, Eq)]
pub struct PrivateKey([u8; 32]);

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// A public key: a point of the prime-order subgroup, in circomlib coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PublicKey(pub Point);

/// An EdDSA-Poseidon signature `(R8, S)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    /// The nonce point `R8 = r·B8`.
    pub r8: Point,
    /// The response scalar, always below `l`.
    #[serde(with = "serde_scalar")]
    pub s: SubgroupScalar,
}

fn blake512(parts: &[&[u8]]) -> [u8; 64] {
    let mut hasher = Blake512::new();
    for part in parts {
        Digest::update(&mut hasher, part);
    }
    let mut out = [0u8; 64];
    out.copy_from_slice(&hasher.finalize());
    out
}

fn fr_le_bytes(x: &Fr) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&x.into_bigint().to_bytes_le());
    out
}

impl PrivateKey {
    /// Wraps 32 bytes (for example from a CSPRNG or a wallet's key file).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// A **development** key derived from a public label (its SHA-256): anyone who knows the
    /// label can spend what the key holds. For devnets and benches, never for value.
    pub fn from_public_label(label: &str) -> Self {
        use sha2::Digest;
        Self(sha2::Sha256::digest(label.as_bytes()).into())
    }

    /// The raw 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// `(s, prefix)`: the clamped secret scalar as an integer mod l and the nonce prefix.
    fn expand(&self) -> (SubgroupScalar, SubgroupScalar, [u8; 32]) {
        let h = blake512(&[&self.0]);
        let mut s_bytes = [0u8; 32];
        s_bytes.copy_from_slice(&h[..32]);
        s_bytes[0] &= 0xf8;
        s_bytes[31] &= 0x7f;
        s_bytes[31] |= 0x40;
        let s = SubgroupScalar::from_le_bytes_mod_order(&s_bytes);
        let mut unshifted = ark_ff::BigInt::<4>::new([0; 4]);
        for (limb, chunk) in unshifted.0.iter_mut().zip(s_bytes.chunks_exact(8)) {
            *limb = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        }
        let shifted = unshifted >> 3u32;
        // s >> 3 lies in [2^251, 2^252), which may exceed l; B8 has order l, so reducing is exact.
        let s_shr3 = SubgroupScalar::from_le_bytes_mod_order(&shifted.to_bytes_le());
        let mut prefix = [0u8; 32];
        prefix.copy_from_slice(&h[32..]);
        (s, s_shr3, prefix)
    }

    /// circomlibjs `prv2pub`.
    pub fn public_key(&self) -> PublicKey {
        let (_, s_shr3, _) = self.expand();
        PublicKey(Point::base8().mul(&s_shr3))
    }

    /// circomlibjs `signPoseidon`: deterministic, so the same key and message give the same bytes.
    pub fn sign(&self, message: Fr) -> Signature {
        let (s, s_shr3, prefix) = self.expand();
        let a = Point::base8().mul(&s_shr3);
        let r =
            SubgroupScalar::from_le_bytes_mod_order(&blake512(&[&prefix, &fr_le_bytes(&message)]));
        let r8 = Point::base8().mul(&r);
        let hm = challenge(&r8, &a, message);
        Signature { r8, s: r + hm * s }
    }
}

/// `Poseidon(R8.x, R8.y, A.x, A.y, m)` read as an integer mod l.
fn challenge(r8: &Point, a: &Point, message: Fr) -> SubgroupScalar {
    let hm = poseidon(&[r8.x, r8.y, a.x, a.y, message]).expect("five inputs");
    SubgroupScalar::from_le_bytes_mod_order(&fr_le_bytes(&hm))
}

impl PublicKey {
    /// Whether the key is a point of the prime-order subgroup other than the identity (required
    /// to verify; circomlib's verifier likewise refuses a key with `8·A = O`).
    pub fn is_valid(&self) -> bool {
        self.0 != Point::IDENTITY && self.0.is_in_prime_subgroup()
    }

    /// circomlib's 32-byte packed form (zk-kit `packPublicKey`).
    pub fn pack(&self) -> [u8; 32] {
        self.0.pack()
    }

    /// Unpacks a key, requiring it to be in the prime-order subgroup.
    pub fn unpack(bytes: &[u8; 32]) -> Result<Self, SignatureError> {
        let p = Point::unpack(bytes).map_err(|_| SignatureError::InvalidPublicKey)?;
        let key = PublicKey(p);
        if !key.is_valid() {
            return Err(SignatureError::InvalidPublicKey);
        }
        Ok(key)
    }

    /// circomlibjs `verifyPoseidon`, with the stricter checks described on the module.
    pub fn verify(&self, message: Fr, sig: &Signature) -> Result<(), SignatureError> {
        if !self.is_valid() {
            return Err(SignatureError::InvalidPublicKey);
        }
        if !sig.r8.is_on_curve() {
            return Err(SignatureError::BadR8(PointError::NotOnCurve));
        }
        if !sig.r8.is_in_prime_subgroup() {
            return Err(SignatureError::R8NotInSubgroup);
        }
        let hm = challenge(&sig.r8, &self.0, message);
        let lhs = Point::base8().to_ark() * sig.s;
        let rhs = sig.r8.to_ark() + self.0.to_ark() * (hm * SubgroupScalar::from(8u64));
        if lhs == rhs {
            Ok(())
        } else {
            Err(SignatureError::Mismatch)
        }
    }
}

impl Signature {
    /// circomlibjs `packSignature`: packed R8 then S as 32 little-endian bytes.
    pub fn pack(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.r8.pack());
        out[32..].copy_from_slice(&self.s.into_bigint().to_bytes_le());
        out
    }

    /// Unpacks a signature, rejecting `S ≥ l` and an `R8` that is not a curve point.
    pub fn unpack(bytes: &[u8; 64]) -> Result<Self, SignatureError> {
        let r8_bytes: [u8; 32] = bytes[..32].try_into().expect("32 bytes");
        let r8 = Point::unpack(&r8_bytes).map_err(SignatureError::BadR8)?;
        let s = scalar_from_le_canonical(&bytes[32..])?;
        Ok(Signature { r8, s })
    }
}

fn scalar_from_le_canonical(bytes: &[u8]) -> Result<SubgroupScalar, SignatureError> {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        *limb = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
    }
    SubgroupScalar::from_bigint(ark_ff::BigInt::new(limbs))
        .ok_or(SignatureError::NonCanonicalScalar)
}

/// Parses a decimal `S`, rejecting values ≥ l and second spellings (a sign, a leading zero).
pub fn scalar_from_decimal(s: &str) -> Result<SubgroupScalar, SignatureError> {
    use std::str::FromStr;
    if s.len() > 78 || !crate::field::is_canonical_decimal(s) {
        return Err(SignatureError::NonCanonicalScalar);
    }
    let big = ark_ff::BigInt::<4>::from_str(s).map_err(|_| SignatureError::NonCanonicalScalar)?;
    SubgroupScalar::from_bigint(big).ok_or(SignatureError::NonCanonicalScalar)
}

mod serde_scalar {
    use super::*;
    use serde::{de::Error as _, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(x: &SubgroupScalar, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&x.into_bigint().to_string())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SubgroupScalar, D::Error> {
        let s = String::deserialize(d)?;
        scalar_from_decimal(&s).map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_scalar_has_one_decimal_spelling() {
        let s = scalar_from_decimal("5835034440608472292").unwrap();
        assert_eq!(s.into_bigint().to_string(), "5835034440608472292");
        for other in [
            "05835034440608472292",
            "+5835034440608472292",
            "",
            "00",
            " 1",
        ] {
            assert_eq!(
                scalar_from_decimal(other),
                Err(SignatureError::NonCanonicalScalar),
                "{other:?}"
            );
        }
        assert_eq!(
            scalar_from_decimal("0").unwrap(),
            SubgroupScalar::from(0u64)
        );
    }

    #[test]
    fn sign_then_verify_and_reject_tampering() {
        let key = PrivateKey::from_bytes([7u8; 32]);
        let pk = key.public_key();
        let msg = Fr::from(42u64);
        let sig = key.sign(msg);
        assert_eq!(pk.verify(msg, &sig), Ok(()));
        assert_eq!(
            pk.verify(Fr::from(43u64), &sig),
            Err(SignatureError::Mismatch)
        );
        let other = PrivateKey::from_bytes([8u8; 32]).public_key();
        assert_eq!(other.verify(msg, &sig), Err(SignatureError::Mismatch));
        assert_eq!(Signature::unpack(&sig.pack()).unwrap(), sig);
    }

    #[test]
    fn malleated_scalar_is_rejected_on_decode() {
        // S + l verifies under circomlibjs' raw equation but must be refused.
        let key = PrivateKey::from_bytes([9u8; 32]);
        let sig = key.sign(Fr::from(1u64));
        let mut s_plus_l = sig.s.into_bigint();
        s_plus_l.add_with_carry(&SubgroupScalar::MODULUS);
        let mut packed = sig.pack();
        packed[32..].copy_from_slice(&s_plus_l.to_bytes_le());
        assert_eq!(
            Signature::unpack(&packed),
            Err(SignatureError::NonCanonicalScalar)
        );
    }

    #[test]
    fn small_order_components_are_rejected() {
        let key = PrivateKey::from_bytes([3u8; 32]);
        let pk = key.public_key();
        let msg = Fr::from(5u64);
        let sig = key.sign(msg);
        // (0, -1) has order 2: adding it keeps R8 on the curve but leaves the subgroup.
        let two_torsion = Point {
            x: Fr::from(0u64),
            y: -Fr::from(1u64),
        };
        assert!(two_torsion.is_on_curve());
        let bad_r8 = Signature {
            r8: sig.r8.add(&two_torsion),
            s: sig.s,
        };
        assert_eq!(
            pk.verify(msg, &bad_r8),
            Err(SignatureError::R8NotInSubgroup)
        );
        let bad_key = PublicKey(pk.0.add(&two_torsion));
        assert_eq!(
            bad_key.verify(msg, &sig),
            Err(SignatureError::InvalidPublicKey)
        );
        let off_curve = Signature {
            r8: Point {
                x: sig.r8.x + Fr::from(1u64),
                y: sig.r8.y,
            },
            s: sig.s,
        };
        assert_eq!(
            pk.verify(msg, &off_curve),
            Err(SignatureError::BadR8(PointError::NotOnCurve))
        );
    }

    #[test]
    fn the_identity_key_is_refused_although_anyone_could_sign_for_it() {
        let identity = PublicKey(Point::IDENTITY);
        assert!(!identity.is_valid());
        // The forgery that makes it dangerous: R8 = S·B8 satisfies S·B8 = R8 + 8·h·O.
        let s = SubgroupScalar::from(12345u64);
        let forged = Signature {
            r8: Point::base8().mul(&s),
            s,
        };
        assert_eq!(
            identity.verify(Fr::from(1u64), &forged),
            Err(SignatureError::InvalidPublicKey)
        );
        assert_eq!(
            PublicKey::unpack(&Point::IDENTITY.pack()),
            Err(SignatureError::InvalidPublicKey)
        );
    }
}
