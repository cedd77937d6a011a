//! Phase-2 contributions as snarkjs makes them (`zkey contribute`, `zkey beacon`), so that
//! contributors with either tool follow one another in one ceremony.
//!
//! A contribution draws a secret `x` and `s·G1` from [`SnarkjsRng`], multiplies δ₁ and δ₂ by
//! `x` and the `L` and `H` queries by `x⁻¹` (every other section stays as it is), and appends
//! its record: δ₁ after, `g1_s = s·G1`, `g1_sx = x·s·G1` and `g2_spx = x·hash_to_g2(T)` with
//! the transcript
//!
//! `T = Blake2b-512(csHash ‖ record(c₁) ‖ … ‖ record(c_k) ‖ g1_s ‖ g1_sx)`,
//!
//! `record(c) = δ₁-after ‖ g1_s ‖ g1_sx ‖ g2_spx ‖ T_c` (points in the hashing encoding). The
//! pairings `e(g1_s, g2_spx) = e(g1_sx, hash_to_g2(T))` and `e(δ_before, g2_spx) =
//! e(δ_after, hash_to_g2(T))` prove that the contributor knew `x` and applied exactly it; the
//! contribution's hash, `Blake2b-512(record)`, is what a contributor publishes.
//!
//! A contribution's randomness is Blake2b-512 of 64 bytes from the operating system and the
//! contributor's own entropy; a beacon's is SHA-256 iterated `2^exponent` times on a public
//! value, so anyone can recompute it (and snarkjs makes the same bytes).

use super::rng::{hash_to_g2, SnarkjsRng};
use super::CeremonyError;
use crate::parallel::prelude::*;
use crate::zkey::binfile::{g1_hashed, g2_hashed};
use crate::zkey::{Beacon, Contribution, Zkey};
use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{Field, PrimeField};
use blake2::{Blake2b512, Digest};
use sha2::Sha256;

/// A contribution's secret: `x` and `s·G1`, drawn in snarkjs' order.
struct Secret {
    x: Fr,
    g1_s: G1Affine,
}

impl Secret {
    fn draw(rng: &mut SnarkjsRng) -> Self {
        let x = rng.scalar();
        let g1_s = rng.g1();
        Secret { x, g1_s }
    }
}

/// A beacon's randomness: SHA-256 iterated `2^exponent` times on `value`.
pub(crate) fn beacon_seed(beacon: &Beacon) -> [u8; 32] {
    let mut digest: [u8; 32] = Sha256::digest(&beacon.hash).into();
    for _ in 1..(1u64 << beacon.exponent) {
        digest = Sha256::digest(digest).into();
    }
    digest
}

/// `record(c)`, the bytes a contribution adds to later transcripts and hashes to its own hash.
pub(crate) fn record(c: &Contribution) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * 3 + 128 + 64);
    out.extend(g1_hashed(&c.delta_after));
    out.extend(g1_hashed(&c.g1_s));
    out.extend(g1_hashed(&c.g1_sx));
    out.extend(g2_hashed(&c.g2_spx));
    out.extend(c.transcript);
    out
}

/// The hash a contributor publishes: Blake2b-512 of its record.
pub fn contribution_hash(c: &Contribution) -> [u8; 64] {
    Blake2b512::digest(record(c)).into()
}

/// The transcript of a contribution following `earlier` with `g1_s`, `g1_sx`.
pub(crate) fn transcript(
    cs_hash: &[u8; 64],
    earlier: &[Contribution],
    g1_s: &G1Affine,
    g1_sx: &G1Affine,
) -> [u8; 64] {
    let mut h = Blake2b512::new();
    h.update(cs_hash);
    for c in earlier {
        h.update(record(c));
    }
    h.update(g1_hashed(g1_s));
    h.update(g1_hashed(g1_sx));
    h.finalize().into()
}

/// A contribution to `key` with randomness from the operating system and `entropy` (the
/// contributor's own: typed text, dice, anything; it is hashed, never stored): the new key and
/// the contribution's hash to publish.
pub fn contribute(
    key: &Zkey,
    entropy: &[u8],
    name: Option<&str>,
) -> Result<(Zkey, [u8; 64]), CeremonyError> {
    let mut system = [0u8; 64];
    getrandom::fill(&mut system).map_err(CeremonyError::Entropy)?;
    let seed = Blake2b512::new()
        .chain_update(system)
        .chain_update(entropy)
        .finalize();
    let mut rng = SnarkjsRng::from_seed_bytes(&seed);
    apply(key, &Secret::draw(&mut rng), name, None)
}

/// The final contribution from a public random beacon (a future block hash, a drand round):
/// anyone can recompute it, so it ends the ceremony with randomness no contributor chose.
pub fn beacon(
    key: &Zkey,
    value: &[u8],
    exponent: u8,
    name: Option<&str>,
) -> Result<(Zkey, [u8; 64]), CeremonyError> {
    if !(10..=63).contains(&exponent) {
        return Err(CeremonyError::BeaconExponent(exponent));
    }
    if value.is_empty() || value.len() > 255 {
        return Err(CeremonyError::BeaconValue(value.len()));
    }
    let beacon = Beacon {
        exponent,
        hash: value.to_vec(),
    };
    let mut rng = SnarkjsRng::from_seed_bytes(&beacon_seed(&beacon));
    apply(key, &Secret::draw(&mut rng), name, Some(beacon))
}

/// The secret's contribution to `key`.
fn apply(
    key: &Zkey,
    secret: &Secret,
    name: Option<&str>,
    beacon: Option<Beacon>,
) -> Result<(Zkey, [u8; 64]), CeremonyError> {
    let ceremony = key.ceremony.as_ref().ok_or(CeremonyError::NoCeremony)?;
    let x = secret.x;
    let inverse = x.inverse().ok_or(CeremonyError::ZeroSecret)?;
    let g1_sx = secret.g1_s.mul_bigint(x.into_bigint()).into_affine();
    let transcript = transcript(
        &ceremony.cs_hash,
        &ceremony.contributions,
        &secret.g1_s,
        &g1_sx,
    );
    let g2_spx = hash_to_g2(&transcript)
        .mul_bigint(x.into_bigint())
        .into_affine();

    let mut next = key.clone();
    let pk = &mut next.proving_key;
    pk.delta_g1 = pk.delta_g1.mul_bigint(x.into_bigint()).into_affine();
    pk.vk.delta_g2 = pk.vk.delta_g2.mul_bigint(x.into_bigint()).into_affine();
    pk.l_query = scaled(&pk.l_query, inverse);
    pk.h_query = scaled(&pk.h_query, inverse);
    let contribution = Contribution {
        delta_after: pk.delta_g1,
        g1_s: secret.g1_s,
        g1_sx,
        g2_spx,
        transcript,
        name: name.map(|n| n.chars().take(64).collect()),
        beacon,
    };
    let hash = contribution_hash(&contribution);
    next.ceremony
        .as_mut()
        .expect("cloned with its ceremony")
        .contributions
        .push(contribution);
    Ok((next, hash))
}

/// Every point times `k`.
fn scaled(points: &[G1Affine], k: Fr) -> Vec<G1Affine> {
    let k = k.into_bigint();
    // From the projective form: G1's projective multiplication uses the GLV endomorphism.
    let products: Vec<G1Projective> = points
        .par_iter()
        .map(|p| p.into_group().mul_bigint(k))
        .collect();
    G1Projective::normalize_batch(&products)
}
