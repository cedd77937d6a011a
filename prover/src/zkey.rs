//! snarkjs' Groth16 proving key (`.zkey`, version 1), read into arkworks' [`ProvingKey`], so
//! that the keys of a ceremony run with snarkjs (or with any tool writing its format) prove
//! zksettle's batches. The format is in `docs/snarkjs-formats.md`; in short, iden3's section
//! container (`zkey` magic, u32 version, u32 section count, then per section a u32 type, a u64
//! size and the bytes) with:
//!
//! | section | holds |
//! |---|---|
//! | 1 | the protocol, 1 = Groth16 |
//! | 2 | the base and scalar field moduli, `nVars`, `nPublic`, the domain size `m`, α₁, β₁, β₂, γ₂, δ₁, δ₂ |
//! | 3 | `IC`, the verifying key's `nPublic + 1` input points |
//! | 4 | the `A` and `B` coefficients (matrix, constraint, wire, value `c·R²` mod `r`) |
//! | 5, 6, 7 | the `A`, `B₁` and `B₂` queries, `nVars` points each |
//! | 8 | the `C` query (arkworks' `L`): the `nVars − nPublic − 1` private wires |
//! | 9 | the `H` query, `m` points in the odd-coset Lagrange basis ([`Reduction::Circom`]) |
//! | 10 | the ceremony: its circuit hash and contributions |
//!
//! Points are affine, each coordinate 32 bytes little-endian in Montgomery form (the limbs of
//! `ark-bn254`'s own representation), G2 as `x.c0‖x.c1‖y.c0‖y.c1`, the point at infinity all
//! zeros. Every coordinate is checked to be below the base field's modulus and every point to
//! be on the curve and in the prime-order subgroup (`G2` has a cofactor): a key is data from
//! outside, and a point off the subgroup would make proofs that no verifier accepts, or worse.
//! Nothing in the file is trusted beyond that: before its key proves a circuit, the stored
//! coefficients ([`Zkey::coefficients`]) must be exactly that circuit's `A` and `B` matrices
//! plus the rows binding the public inputs (the test compares them).
//!
//! γ₂ stays the generator in snarkjs' setups (the inputs are bound through `IC` without a
//! division by γ), which arkworks' verifier and zksettle's contracts take as they are.

use crate::parallel::prelude::*;
use crate::qap::Reduction;
use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, BigInteger, Field, PrimeField};
use ark_groth16::{ProvingKey, VerifyingKey};

/// Bytes of a field element.
const N8: usize = 32;
/// Bytes of an affine G1 point.
const G1_BYTES: usize = 2 * N8;
/// Bytes of an affine G2 point.
const G2_BYTES: usize = 4 * N8;

/// Why a `.zkey` was refused. Every variant names what was wrong and where.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ZkeyError {
    /// The file does not start with `zkey`.
    #[error("not a .zkey file (it starts with {0:?}, not \"zkey\")")]
    NotAZkey([u8; 4]),
    /// A container version this reader does not know.
    #[error(".zkey version {0}; version 1 is read")]
    Version(u32),
    /// The bytes end inside a header or section.
    #[error("the file ends inside {0}")]
    Truncated(&'static str),
    /// A section every Groth16 key has is absent.
    #[error("section {0} is missing")]
    MissingSection(u32),
    /// A section appears twice.
    #[error("section {0} appears twice")]
    DuplicateSection(u32),
    /// The key is for another protocol (snarkjs writes PLONK and FFLONK keys too).
    #[error("protocol {0} is not Groth16 (1)")]
    NotGroth16(u32),
    /// The key is over another curve.
    #[error("the {0} field is not BN254's")]
    OtherCurve(&'static str),
    /// A section's size does not match what the header says it holds.
    #[error("section {section} holds {found} bytes; the header implies {expected}")]
    SectionSize {
        /// The section.
        section: u32,
        /// Bytes implied by the header.
        expected: u64,
        /// Bytes present.
        found: u64,
    },
    /// A coordinate is not below the base field's modulus.
    #[error(
        "section {section}, point {index}: a coordinate is not below the base field's modulus"
    )]
    CoordinateOutOfRange {
        /// The section.
        section: u32,
        /// The point's index in it.
        index: usize,
    },
    /// A point is not on the curve.
    #[error("section {section}, point {index}: not on the curve")]
    NotOnCurve {
        /// The section.
        section: u32,
        /// The point's index in it.
        index: usize,
    },
    /// A point is on the curve but not in the prime-order subgroup.
    #[error("section {section}, point {index}: not in the prime-order subgroup")]
    NotInSubgroup {
        /// The section.
        section: u32,
        /// The point's index in it.
        index: usize,
    },
    /// A coefficient names a matrix other than `A` (0) or `B` (1).
    #[error("coefficient {index} names matrix {matrix} (0 = A and 1 = B are stored)")]
    BadMatrix {
        /// The coefficient's index.
        index: usize,
        /// The matrix it names.
        matrix: u32,
    },
    /// A coefficient's value is not below the scalar field's modulus.
    #[error("coefficient {0}: the value is not below the scalar field's modulus")]
    CoefficientOutOfRange(usize),
    /// The header's counts contradict each other.
    #[error("the header is inconsistent: {0}")]
    Header(&'static str),
}

/// One stored coefficient: `matrix[constraint][wire] = value` (`matrix` 0 is `A`, 1 is `B`;
/// `C` is not stored, the prover does not need it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coefficient {
    /// 0 for `A`, 1 for `B`.
    pub matrix: u32,
    /// The row.
    pub constraint: u32,
    /// The column (iden3's wire, arkworks' variable).
    pub wire: u32,
    /// The value, in the scalar field.
    pub value: Fr,
}

/// A `.zkey` as arkworks' proving key, with what the file says of its circuit.
#[derive(Debug, Clone, PartialEq)]
pub struct Zkey {
    /// Wires, the constant one included.
    pub n_vars: usize,
    /// Public inputs (outputs and inputs), the constant one excluded.
    pub n_public: usize,
    /// The domain's size `m`.
    pub domain_size: usize,
    /// The key, its `H` query in the [`Reduction::Circom`] basis.
    pub proving_key: ProvingKey<Bn254>,
    /// Section 4: the `A` and `B` coefficients, in file order.
    pub coefficients: Vec<Coefficient>,
    /// Section 10's Blake2b-512 hash of the initial key (the circuit and the ptau), and the
    /// number of contributions.
    pub ceremony: Option<([u8; 64], u32)>,
}

impl Zkey {
    /// The reduction a proof with this key needs.
    pub const REDUCTION: Reduction = Reduction::Circom;

    /// Reads and checks a `.zkey`'s bytes.
    pub fn read(bytes: &[u8]) -> Result<Self, ZkeyError> {
        let sections = Sections::index(bytes)?;
        let protocol = Reader::new(sections.get(1)?, "section 1").u32()?;
        if protocol != 1 {
            return Err(ZkeyError::NotGroth16(protocol));
        }

        let mut header = Reader::new(sections.get(2)?, "section 2");
        if header.u32()? as usize != N8 || header.bytes(N8)? != Fq::MODULUS.to_bytes_le() {
            return Err(ZkeyError::OtherCurve("base"));
        }
        if header.u32()? as usize != N8 || header.bytes(N8)? != Fr::MODULUS.to_bytes_le() {
            return Err(ZkeyError::OtherCurve("scalar"));
        }
        let n_vars = header.u32()? as usize;
        let n_public = header.u32()? as usize;
        let domain_size = header.u32()? as usize;
        if n_public + 1 > n_vars {
            return Err(ZkeyError::Header("more public inputs than wires"));
        }
        if !domain_size.is_power_of_two() {
            return Err(ZkeyError::Header("the domain size is not a power of two"));
        }
        let alpha_g1 = g1_at(header.bytes(G1_BYTES)?, 2, 0)?;
        let beta_g1 = g1_at(header.bytes(G1_BYTES)?, 2, 1)?;
        let beta_g2 = g2_at(header.bytes(G2_BYTES)?, 2, 2)?;
        let gamma_g2 = g2_at(header.bytes(G2_BYTES)?, 2, 3)?;
        let delta_g1 = g1_at(header.bytes(G1_BYTES)?, 2, 4)?;
        let delta_g2 = g2_at(header.bytes(G2_BYTES)?, 2, 5)?;

        let ic = g1_points(sections.get(3)?, 3, n_public + 1)?;
        let coefficients = read_coefficients(sections.get(4)?)?;
        let a_query = g1_points(sections.get(5)?, 5, n_vars)?;
        let b_g1_query = g1_points(sections.get(6)?, 6, n_vars)?;
        let b_g2_query = g2_points(sections.get(7)?, 7, n_vars)?;
        let l_query = g1_points(sections.get(8)?, 8, n_vars - n_public - 1)?;
        let h_query = g1_points(sections.get(9)?, 9, domain_size)?;
        let ceremony = match sections.find(10) {
            Some(bytes) => {
                let mut r = Reader::new(bytes, "section 10");
                let hash: [u8; 64] = r.bytes(64)?.try_into().expect("64 bytes");
                Some((hash, r.u32()?))
            }
            None => None,
        };
        Ok(Zkey {
            n_vars,
            n_public,
            domain_size,
            proving_key: ProvingKey {
                vk: VerifyingKey {
                    alpha_g1,
                    beta_g2,
                    gamma_g2,
                    delta_g2,
                    gamma_abc_g1: ic,
                },
                beta_g1,
                delta_g1,
                a_query,
                b_g1_query,
                b_g2_query,
                h_query,
                l_query,
            },
            coefficients,
            ceremony,
        })
    }
}

/// The container's sections by type.
struct Sections<'a> {
    found: Vec<(u32, &'a [u8])>,
}

impl<'a> Sections<'a> {
    fn index(bytes: &'a [u8]) -> Result<Self, ZkeyError> {
        let mut r = Reader::new(bytes, "the file header");
        let magic: [u8; 4] = r.bytes(4)?.try_into().expect("four bytes");
        if &magic != b"zkey" {
            return Err(ZkeyError::NotAZkey(magic));
        }
        let version = r.u32()?;
        if version != 1 {
            return Err(ZkeyError::Version(version));
        }
        let count = r.u32()?;
        let mut found: Vec<(u32, &[u8])> = Vec::new();
        for _ in 0..count {
            let kind = r.u32()?;
            let size = r.u64()?;
            let size = usize::try_from(size).map_err(|_| ZkeyError::Truncated("a section"))?;
            let body = r
                .bytes(size)
                .map_err(|_| ZkeyError::Truncated("a section"))?;
            if found.iter().any(|(k, _)| *k == kind) {
                return Err(ZkeyError::DuplicateSection(kind));
            }
            found.push((kind, body));
        }
        Ok(Sections { found })
    }

    fn find(&self, kind: u32) -> Option<&'a [u8]> {
        self.found.iter().find(|(k, _)| *k == kind).map(|(_, b)| *b)
    }

    fn get(&self, kind: u32) -> Result<&'a [u8], ZkeyError> {
        self.find(kind).ok_or(ZkeyError::MissingSection(kind))
    }
}

/// A cursor over little-endian bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Reader { bytes, at: 0, what }
    }

    fn bytes(&mut self, n: usize) -> Result<&'a [u8], ZkeyError> {
        let end = self
            .at
            .checked_add(n)
            .filter(|&end| end <= self.bytes.len());
        let end = end.ok_or(ZkeyError::Truncated(self.what))?;
        let out = &self.bytes[self.at..end];
        self.at = end;
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, ZkeyError> {
        Ok(u32::from_le_bytes(self.bytes(4)?.try_into().expect("4")))
    }

    fn u64(&mut self) -> Result<u64, ZkeyError> {
        Ok(u64::from_le_bytes(self.bytes(8)?.try_into().expect("8")))
    }

    fn rest(&self) -> &'a [u8] {
        &self.bytes[self.at.min(self.bytes.len())..]
    }
}

/// 32 little-endian bytes as a 256-bit integer.
fn limbs(bytes: &[u8]) -> BigInt<4> {
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

fn g1_at(bytes: &[u8], section: u32, index: usize) -> Result<G1Affine, ZkeyError> {
    if bytes.iter().all(|&b| b == 0) {
        return Ok(G1Affine::zero());
    }
    let range = || ZkeyError::CoordinateOutOfRange { section, index };
    let x = fq(&bytes[..N8]).ok_or_else(range)?;
    let y = fq(&bytes[N8..]).ok_or_else(range)?;
    let point = G1Affine::new_unchecked(x, y);
    if !point.is_on_curve() {
        return Err(ZkeyError::NotOnCurve { section, index });
    }
    // G1 of BN254 has cofactor 1: a point on the curve is in the group.
    Ok(point)
}

fn g2_at(bytes: &[u8], section: u32, index: usize) -> Result<G2Affine, ZkeyError> {
    if bytes.iter().all(|&b| b == 0) {
        return Ok(G2Affine::zero());
    }
    let coordinate = |i: usize| fq(&bytes[i * N8..(i + 1) * N8]);
    let range = || ZkeyError::CoordinateOutOfRange { section, index };
    let x = Fq2::new(
        coordinate(0).ok_or_else(range)?,
        coordinate(1).ok_or_else(range)?,
    );
    let y = Fq2::new(
        coordinate(2).ok_or_else(range)?,
        coordinate(3).ok_or_else(range)?,
    );
    let point = G2Affine::new_unchecked(x, y);
    if !point.is_on_curve() {
        return Err(ZkeyError::NotOnCurve { section, index });
    }
    if !point.is_in_correct_subgroup_assuming_on_curve() {
        return Err(ZkeyError::NotInSubgroup { section, index });
    }
    Ok(point)
}

fn sized(bytes: &[u8], section: u32, count: usize, each: usize) -> Result<(), ZkeyError> {
    let expected = (count * each) as u64;
    if bytes.len() as u64 != expected {
        return Err(ZkeyError::SectionSize {
            section,
            expected,
            found: bytes.len() as u64,
        });
    }
    Ok(())
}

/// `count` G1 points, checked in parallel.
fn g1_points(bytes: &[u8], section: u32, count: usize) -> Result<Vec<G1Affine>, ZkeyError> {
    sized(bytes, section, count, G1_BYTES)?;
    bytes
        .par_chunks(G1_BYTES)
        .enumerate()
        .map(|(i, point)| g1_at(point, section, i))
        .collect()
}

/// `count` G2 points, checked in parallel (the subgroup check dominates a key's reading).
fn g2_points(bytes: &[u8], section: u32, count: usize) -> Result<Vec<G2Affine>, ZkeyError> {
    sized(bytes, section, count, G2_BYTES)?;
    bytes
        .par_chunks(G2_BYTES)
        .enumerate()
        .map(|(i, point)| g2_at(point, section, i))
        .collect()
}

/// Section 4. Values are stored as `c·R²` mod `r` (`R = 2^256`): read as an integer and
/// divided by `R²`.
fn read_coefficients(bytes: &[u8]) -> Result<Vec<Coefficient>, ZkeyError> {
    const EACH: usize = 12 + N8;
    let mut r = Reader::new(bytes, "section 4");
    let count = r.u32()? as usize;
    sized(r.rest(), 4, count, EACH)?;
    let r_squared_inverse = Fr::from(2u64)
        .pow([512u64])
        .inverse()
        .expect("2 is invertible");
    r.rest()
        .par_chunks(EACH)
        .enumerate()
        .map(|(index, item)| {
            let word = |i: usize| u32::from_le_bytes(item[4 * i..4 * i + 4].try_into().expect("4"));
            let matrix = word(0);
            if matrix > 1 {
                return Err(ZkeyError::BadMatrix { index, matrix });
            }
            let value = Fr::from_bigint(limbs(&item[12..]))
                .ok_or(ZkeyError::CoefficientOutOfRange(index))?;
            Ok(Coefficient {
                matrix,
                constraint: word(1),
                wire: word(2),
                value: value * r_squared_inverse,
            })
        })
        .collect()
}
