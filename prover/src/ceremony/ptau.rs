//! snarkjs' powers of tau (`.ptau`), read lazily from disk: a ceremony's file for 2^20
//! constraints is over a gigabyte and only the blocks a circuit needs are read.
//!
//! With `N = 2^power`: section 1 the header (u32 `n8`, the base field's modulus, u32 power, u32
//! ceremony power); 2 `τ^i·G1` for `i < 2N − 1`; 3 `τ^i·G2`, 4 `α·τ^i·G1`, 5 `β·τ^i·G1`, `N`
//! each; 6 `β·G2`; 7 the contributions. `snarkjs powersoftau prepare phase2` adds 12–15: the
//! points of 2–5 in the Lagrange basis of every domain `2^k`, `k = 0..=power` (section 12 also
//! `k = power + 1`), concatenated, domain `n` starting at point `n − 1`: block `n` of section
//! 12 holds `L_i(τ)·G1` for the `n`-th roots of unity.

use super::CeremonyError;
use crate::zkey::binfile::{self, G1_BYTES, G2_BYTES, N8};
use ark_bn254::{Fq, G1Affine, G2Affine};
use ark_ff::{BigInteger, PrimeField};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// τ^i·G1, `2N − 1` points.
pub const TAU_G1: u32 = 2;
/// τ^i·G2, `N` points.
pub const TAU_G2: u32 = 3;
/// α·τ^i·G1, `N` points.
pub const ALPHA_TAU_G1: u32 = 4;
/// β·τ^i·G1, `N` points.
pub const BETA_TAU_G1: u32 = 5;
/// β·G2.
pub const BETA_G2: u32 = 6;
/// [`TAU_G1`] in the Lagrange bases.
pub const LAGRANGE_G1: u32 = 12;
/// [`TAU_G2`] in the Lagrange bases.
pub const LAGRANGE_G2: u32 = 13;
/// [`ALPHA_TAU_G1`] in the Lagrange bases.
pub const LAGRANGE_ALPHA_G1: u32 = 14;
/// [`BETA_TAU_G1`] in the Lagrange bases.
pub const LAGRANGE_BETA_G1: u32 = 15;

/// An open `.ptau` file: its header and where each section lies.
#[derive(Debug)]
pub struct Ptau {
    file: File,
    path: PathBuf,
    power: u32,
    /// (type, offset of the body, size).
    sections: Vec<(u32, u64, u64)>,
}

impl Ptau {
    /// Opens `path`, checks its framing and header (BN254, a power up to 28), and indexes its
    /// sections. Points are checked as they are read.
    pub fn open(path: &Path) -> Result<Self, CeremonyError> {
        let io = |source| CeremonyError::Io {
            path: path.to_owned(),
            source,
        };
        let mut file = File::open(path).map_err(io)?;
        let length = file.metadata().map_err(io)?.len();
        let mut head = [0u8; 12];
        read_exact_or(&mut file, &mut head, path, "the file header")?;
        if &head[..4] != b"ptau" {
            return Err(CeremonyError::NotAPtau(head[..4].try_into().expect("4")));
        }
        let version = u32::from_le_bytes(head[4..8].try_into().expect("4"));
        if version != 1 {
            return Err(CeremonyError::PtauVersion(version));
        }
        let count = u32::from_le_bytes(head[8..12].try_into().expect("4"));
        let mut sections = Vec::new();
        let mut at = 12u64;
        for _ in 0..count {
            let mut frame = [0u8; 12];
            file.seek(SeekFrom::Start(at)).map_err(io)?;
            read_exact_or(&mut file, &mut frame, path, "a section header")?;
            let kind = u32::from_le_bytes(frame[..4].try_into().expect("4"));
            let size = u64::from_le_bytes(frame[4..].try_into().expect("8"));
            let body = at + 12;
            let end = body.checked_add(size).filter(|&end| end <= length);
            let end = end.ok_or(CeremonyError::PtauTruncated("a section"))?;
            if sections.iter().any(|&(k, _, _)| k == kind) {
                return Err(CeremonyError::PtauDuplicateSection(kind));
            }
            sections.push((kind, body, size));
            at = end;
        }
        let mut ptau = Ptau {
            file,
            path: path.to_owned(),
            power: 0,
            sections,
        };
        let header = ptau.section_bytes(1, 0, 4 + N8 + 8)?;
        let n8 = u32::from_le_bytes(header[..4].try_into().expect("4")) as usize;
        if n8 != N8 || header[4..4 + N8] != Fq::MODULUS.to_bytes_le()[..] {
            return Err(CeremonyError::PtauOtherCurve);
        }
        let power = u32::from_le_bytes(header[4 + N8..8 + N8].try_into().expect("4"));
        if !(1..=28).contains(&power) {
            return Err(CeremonyError::PtauHeader(
                "the power is not between 1 and 28",
            ));
        }
        ptau.power = power;
        let n = 1u64 << power;
        for (kind, points, each) in [
            (TAU_G1, 2 * n - 1, G1_BYTES),
            (TAU_G2, n, G2_BYTES),
            (ALPHA_TAU_G1, n, G1_BYTES),
            (BETA_TAU_G1, n, G1_BYTES),
            (BETA_G2, 1, G2_BYTES),
        ] {
            ptau.expect_size(kind, points * each as u64)?;
        }
        Ok(ptau)
    }

    /// The file's power: it holds powers for circuits of up to `2^power` rows.
    pub fn power(&self) -> u32 {
        self.power
    }

    /// Whether `snarkjs powersoftau prepare phase2` has added the Lagrange sections, and they
    /// have their sizes.
    pub fn check_prepared(&self) -> Result<(), CeremonyError> {
        let n = 1u64 << self.power;
        for (kind, points, each) in [
            (LAGRANGE_G1, 4 * n - 1, G1_BYTES),
            (LAGRANGE_G2, 2 * n - 1, G2_BYTES),
            (LAGRANGE_ALPHA_G1, 2 * n - 1, G1_BYTES),
            (LAGRANGE_BETA_G1, 2 * n - 1, G1_BYTES),
        ] {
            if self.find(kind).is_none() {
                return Err(CeremonyError::PtauNotPrepared(self.path.clone()));
            }
            self.expect_size(kind, points * each as u64)?;
        }
        Ok(())
    }

    fn find(&self, kind: u32) -> Option<(u64, u64)> {
        self.sections
            .iter()
            .find(|&&(k, _, _)| k == kind)
            .map(|&(_, offset, size)| (offset, size))
    }

    fn expect_size(&self, kind: u32, expected: u64) -> Result<(), CeremonyError> {
        let (_, found) = self
            .find(kind)
            .ok_or(CeremonyError::PtauMissingSection(kind))?;
        if found != expected {
            return Err(CeremonyError::PtauSectionSize {
                section: kind,
                expected,
                found,
            });
        }
        Ok(())
    }

    /// `len` bytes of section `kind` from byte `start` of its body.
    fn section_bytes(
        &mut self,
        kind: u32,
        start: u64,
        len: usize,
    ) -> Result<Vec<u8>, CeremonyError> {
        let (offset, size) = self
            .find(kind)
            .ok_or(CeremonyError::PtauMissingSection(kind))?;
        if start + len as u64 > size {
            return Err(CeremonyError::PtauTruncated("a section"));
        }
        self.bytes_at(offset + start, len)
    }

    /// `len` bytes at `offset` in the file.
    fn bytes_at(&mut self, offset: u64, len: usize) -> Result<Vec<u8>, CeremonyError> {
        let mut out = vec![0u8; len];
        self.file
            .seek(SeekFrom::Start(offset))
            .map_err(|source| CeremonyError::Io {
                path: self.path.clone(),
                source,
            })?;
        let path = self.path.clone();
        read_exact_or(&mut self.file, &mut out, &path, "a section")?;
        Ok(out)
    }

    /// Stored bytes of `count` G1 points of section `kind` from point `first`, unchecked (the
    /// ceremony's hash copies some of them as they are).
    pub(crate) fn g1_bytes(
        &mut self,
        kind: u32,
        first: usize,
        count: usize,
    ) -> Result<Vec<u8>, CeremonyError> {
        self.section_bytes(kind, (first * G1_BYTES) as u64, count * G1_BYTES)
    }

    /// `count` G1 points of section `kind` from point `first`, each checked.
    pub fn g1(
        &mut self,
        kind: u32,
        first: usize,
        count: usize,
    ) -> Result<Vec<G1Affine>, CeremonyError> {
        let bytes = self.g1_bytes(kind, first, count)?;
        Ok(binfile::g1_points(&bytes, kind, first)?)
    }

    /// `count` G2 points of section `kind` from point `first`, each checked.
    pub fn g2(
        &mut self,
        kind: u32,
        first: usize,
        count: usize,
    ) -> Result<Vec<G2Affine>, CeremonyError> {
        let bytes = self.section_bytes(kind, (first * G2_BYTES) as u64, count * G2_BYTES)?;
        Ok(binfile::g2_points(&bytes, kind, first)?)
    }

    /// The Lagrange block of the domain of `n` points (a power of two) in section `kind` (12
    /// to 15): `L_i(τ)` times that section's base, `i < n`.
    pub fn lagrange_g1(&mut self, kind: u32, n: usize) -> Result<Vec<G1Affine>, CeremonyError> {
        self.g1(kind, n - 1, n)
    }

    /// [`Self::lagrange_g1`] in G2 (section 13).
    pub fn lagrange_g2(&mut self, n: usize) -> Result<Vec<G2Affine>, CeremonyError> {
        self.g2(LAGRANGE_G2, n - 1, n)
    }
}

fn read_exact_or(
    file: &mut File,
    out: &mut [u8],
    path: &Path,
    what: &'static str,
) -> Result<(), CeremonyError> {
    file.read_exact(out).map_err(|source| {
        if source.kind() == std::io::ErrorKind::UnexpectedEof {
            CeremonyError::PtauTruncated(what)
        } else {
            CeremonyError::Io {
                path: path.to_owned(),
                source,
            }
        }
    })
}
