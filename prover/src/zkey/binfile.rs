//! iden3's binary container (`binfileutils`: the `.zkey`, `.ptau`, `.r1cs` and `.wtns`
//! files) and the two encodings of BN254 points snarkjs uses, shared by the `.zkey` reader and
//! the ceremony ([`crate::ceremony`]):
//!
//! - **stored** (in files): affine, each coordinate's 32 bytes little-endian in Montgomery form
//!   (the limbs of `ark-bn254`'s own representation), G2 as `x.c0‖x.c1‖y.c0‖y.c1`, the point at
//!   infinity all zeros;
//! - **hashed** (csHash, transcripts, contribution hashes; snarkjs' "uncompressed"): each
//!   coordinate out of Montgomery form, big-endian, G2 as `x.c1‖x.c0‖y.c1‖y.c0`, the point at
//!   infinity all zeros.

use crate::parallel::prelude::*;
use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, BigInteger, PrimeField};

/// Bytes of a field element.
pub(crate) const N8: usize = 32;
/// Bytes of an affine G1 point.
pub(crate) const G1_BYTES: usize = 2 * N8;
/// Bytes of an affine G2 point.
pub(crate) const G2_BYTES: usize = 4 * N8;

/// What is wrong with one stored point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PointFault {
    /// A coordinate is not below the base field's modulus.
    CoordinateOutOfRange,
    /// Not on the curve.
    NotOnCurve,
    /// On the curve, not in the prime-order subgroup.
    NotInSubgroup,
}

/// A refused point: which fault, in which section, at which index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PointError {
    pub(crate) fault: PointFault,
    pub(crate) section: u32,
    pub(crate) index: usize,
}

/// The bytes ended inside what is named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Truncated(pub(crate) &'static str);

/// A container's sections by type, over bytes in memory.
pub(crate) struct Sections<'a> {
    found: Vec<(u32, &'a [u8])>,
}

/// Why a container's framing was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FramingError {
    /// Another magic.
    Magic([u8; 4]),
    /// Another version.
    Version(u32),
    /// The bytes end inside the header or a section.
    Truncated(Truncated),
    /// A section type appears twice.
    Duplicate(u32),
}

impl<'a> Sections<'a> {
    /// Indexes a container with `magic` and version 1.
    pub(crate) fn index(bytes: &'a [u8], magic: &[u8; 4]) -> Result<Self, FramingError> {
        let mut r = Reader::new(bytes, "the file header");
        let found_magic: [u8; 4] = r
            .bytes(4)
            .map_err(FramingError::Truncated)?
            .try_into()
            .expect("four bytes");
        if &found_magic != magic {
            return Err(FramingError::Magic(found_magic));
        }
        let version = r.u32().map_err(FramingError::Truncated)?;
        if version != 1 {
            return Err(FramingError::Version(version));
        }
        let count = r.u32().map_err(FramingError::Truncated)?;
        let mut found: Vec<(u32, &[u8])> = Vec::new();
        for _ in 0..count {
            let kind = r.u32().map_err(FramingError::Truncated)?;
            let size = r.u64().map_err(FramingError::Truncated)?;
            let size = usize::try_from(size)
                .map_err(|_| FramingError::Truncated(Truncated("a section")))?;
            let body = r
                .bytes(size)
                .map_err(|_| FramingError::Truncated(Truncated("a section")))?;
            if found.iter().any(|(k, _)| *k == kind) {
                return Err(FramingError::Duplicate(kind));
            }
            found.push((kind, body));
        }
        Ok(Sections { found })
    }

    /// Section `kind`'s body, if present.
    pub(crate) fn find(&self, kind: u32) -> Option<&'a [u8]> {
        self.found.iter().find(|(k, _)| *k == kind).map(|(_, b)| *b)
    }
}

/// A cursor over little-endian bytes; errors name what was being read.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Reader { bytes, at: 0, what }
    }

    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], Truncated> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or(Truncated(self.what))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, Truncated> {
        Ok(u32::from_le_bytes(self.bytes(4)?.try_into().expect("4")))
    }

    pub(crate) fn u8(&mut self) -> Result<u8, Truncated> {
        Ok(self.bytes(1)?[0])
    }

    pub(crate) fn u64(&mut self) -> Result<u64, Truncated> {
        Ok(u64::from_le_bytes(self.bytes(8)?.try_into().expect("8")))
    }

    pub(crate) fn rest(&self) -> &'a [u8] {
        &self.bytes[self.at.min(self.bytes.len())..]
    }
}

/// 32 little-endian bytes as a 256-bit integer.
pub(crate) fn limbs(bytes: &[u8]) -> BigInt<4> {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        *limb = u64::from_le_bytes(chunk.try_into().expect("8"));
    }
    BigInt(limbs)
}

/// A base-field element from its Montgomery form, if below the modulus.
fn fq(bytes: &[u8]) -> Option<Fq> {
    let montgomery = limbs(bytes);
    // `Fq`'s limbs are its Montgomery form, so these bytes are the element's own
    // representation once they are known to be reduced.
    (montgomery < Fq::MODULUS).then(|| Fq::new_unchecked(montgomery))
}

/// A stored G1 point, checked (G1 of BN254 has cofactor 1: on the curve is in the group).
pub(crate) fn g1_at(bytes: &[u8], section: u32, index: usize) -> Result<G1Affine, PointError> {
    let fail = |fault| PointError {
        fault,
        section,
        index,
    };
    if bytes.iter().all(|&b| b == 0) {
        return Ok(G1Affine::zero());
    }
    let x = fq(&bytes[..N8]).ok_or(fail(PointFault::CoordinateOutOfRange))?;
    let y = fq(&bytes[N8..]).ok_or(fail(PointFault::CoordinateOutOfRange))?;
    let point = G1Affine::new_unchecked(x, y);
    if !point.is_on_curve() {
        return Err(fail(PointFault::NotOnCurve));
    }
    Ok(point)
}

/// A stored G2 point, checked to be on the twist and in the prime-order subgroup.
pub(crate) fn g2_at(bytes: &[u8], section: u32, index: usize) -> Result<G2Affine, PointError> {
    let fail = |fault| PointError {
        fault,
        section,
        index,
    };
    if bytes.iter().all(|&b| b == 0) {
        return Ok(G2Affine::zero());
    }
    let coordinate = |i: usize| fq(&bytes[i * N8..(i + 1) * N8]);
    let range = fail(PointFault::CoordinateOutOfRange);
    let x = Fq2::new(coordinate(0).ok_or(range)?, coordinate(1).ok_or(range)?);
    let y = Fq2::new(coordinate(2).ok_or(range)?, coordinate(3).ok_or(range)?);
    let point = G2Affine::new_unchecked(x, y);
    if !point.is_on_curve() {
        return Err(fail(PointFault::NotOnCurve));
    }
    if !point.is_in_correct_subgroup_assuming_on_curve() {
        return Err(fail(PointFault::NotInSubgroup));
    }
    Ok(point)
}

/// Every G1 point of `bytes` (a whole number of them), checked in parallel; `first` is the
/// index of the first, for errors.
pub(crate) fn g1_points(
    bytes: &[u8],
    section: u32,
    first: usize,
) -> Result<Vec<G1Affine>, PointError> {
    bytes
        .par_chunks(G1_BYTES)
        .enumerate()
        .map(|(i, point)| g1_at(point, section, first + i))
        .collect()
}

/// Every G2 point of `bytes`, checked in parallel (the subgroup check dominates).
pub(crate) fn g2_points(
    bytes: &[u8],
    section: u32,
    first: usize,
) -> Result<Vec<G2Affine>, PointError> {
    bytes
        .par_chunks(G2_BYTES)
        .enumerate()
        .map(|(i, point)| g2_at(point, section, first + i))
        .collect()
}

/// A G1 point as stored.
pub(crate) fn g1_stored(p: &G1Affine) -> [u8; G1_BYTES] {
    let mut out = [0u8; G1_BYTES];
    if let Some((x, y)) = p.xy() {
        out[..N8].copy_from_slice(&x.0.to_bytes_le());
        out[N8..].copy_from_slice(&y.0.to_bytes_le());
    }
    out
}

/// A G2 point as stored.
pub(crate) fn g2_stored(p: &G2Affine) -> [u8; G2_BYTES] {
    let mut out = [0u8; G2_BYTES];
    if let Some((x, y)) = p.xy() {
        for (i, c) in [x.c0, x.c1, y.c0, y.c1].iter().enumerate() {
            out[i * N8..(i + 1) * N8].copy_from_slice(&c.0.to_bytes_le());
        }
    }
    out
}

/// A G1 point as hashed.
pub(crate) fn g1_hashed(p: &G1Affine) -> [u8; G1_BYTES] {
    let mut out = [0u8; G1_BYTES];
    if let Some((x, y)) = p.xy() {
        out[..N8].copy_from_slice(&x.into_bigint().to_bytes_be());
        out[N8..].copy_from_slice(&y.into_bigint().to_bytes_be());
    }
    out
}

/// A G2 point as hashed.
pub(crate) fn g2_hashed(p: &G2Affine) -> [u8; G2_BYTES] {
    let mut out = [0u8; G2_BYTES];
    if let Some((x, y)) = p.xy() {
        for (i, c) in [x.c1, x.c0, y.c1, y.c0].iter().enumerate() {
            out[i * N8..(i + 1) * N8].copy_from_slice(&c.into_bigint().to_bytes_be());
        }
    }
    out
}
