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
//! plus the rows binding the public inputs ([`Zkey::check_circuit`]).
//!
//! γ₂ stays the generator in snarkjs' setups (the inputs are bound through `IC` without a
//! division by γ), which arkworks' verifier and zksettle's contracts take as they are.

pub(crate) mod binfile;
mod write;

pub use write::{CONTRIBUTION_ORDER, SETUP_ORDER};

use crate::parallel::prelude::*;
use crate::qap::Reduction;
use crate::ShapeConstraints;
use ark_bn254::{Bn254, Fq, Fr, G1Affine, G2Affine};
use ark_ff::{BigInteger, Field, One, PrimeField};
use ark_groth16::{ProvingKey, VerifyingKey};
use binfile::{
    g1_at, g2_at, limbs, FramingError, PointError, PointFault, Reader, Sections, Truncated,
    G1_BYTES, G2_BYTES, N8,
};

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
    /// A contribution's record in section 10 is malformed.
    #[error("contribution {index}: {what}")]
    Contribution {
        /// Its index, from 0.
        index: usize,
        /// What is wrong.
        what: &'static str,
    },
    /// A coefficient's value is not below the scalar field's modulus.
    #[error("coefficient {0}: the value is not below the scalar field's modulus")]
    CoefficientOutOfRange(usize),
    /// The header's counts contradict each other.
    #[error("the header is inconsistent: {0}")]
    Header(&'static str),
}

/// How a well-formed `.zkey` differs from the circuit it is offered for: a key of another
/// circuit (or of this one, changed) would make proofs the contract refuses, or proofs of
/// another statement.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum CircuitMismatch {
    /// The wire counts differ.
    #[error("the key has {key} wires, the circuit {circuit}")]
    Wires {
        /// In the key.
        key: usize,
        /// In the circuit.
        circuit: usize,
    },
    /// The public input counts differ.
    #[error("the key has {key} public inputs, the circuit {circuit}")]
    PublicInputs {
        /// In the key.
        key: usize,
        /// In the circuit.
        circuit: usize,
    },
    /// The evaluation domains differ.
    #[error("the key's domain has {key} points, the circuit's {circuit}")]
    Domain {
        /// In the key.
        key: usize,
        /// The circuit's: its constraints plus one row per public input and the constant,
        /// rounded up to a power of two.
        circuit: usize,
    },
    /// The numbers of stored coefficients differ.
    #[error("the key holds {key} A and B coefficients, the circuit has {circuit}")]
    CoefficientCount {
        /// In the key.
        key: usize,
        /// The circuit's, with the public-input rows.
        circuit: usize,
    },
    /// A coefficient differs: the first in (matrix, row, wire) order.
    #[error("the key's coefficient {}[{constraint}][{wire}] is not the circuit's", ["A", "B"][*matrix as usize])]
    Coefficient {
        /// 0 for `A`, 1 for `B`.
        matrix: u32,
        /// The row.
        constraint: u32,
        /// The wire.
        wire: u32,
    },
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

/// Section 10: what a phase-2 ceremony records in its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ceremony {
    /// Blake2b-512 of the initial key (snarkjs' "circuit hash"): every contribution's
    /// transcript starts from it.
    pub cs_hash: [u8; 64],
    /// The contributions, oldest first.
    pub contributions: Vec<Contribution>,
}

/// One phase-2 contribution: δ multiplied by a secret `x`, with a proof of knowledge of `x`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contribution {
    /// δ₁ after this contribution.
    pub delta_after: G1Affine,
    /// A random `s·G1` ...
    pub g1_s: G1Affine,
    /// ... and `x·s·G1`.
    pub g1_sx: G1Affine,
    /// `x` times the G2 point hashed from the transcript.
    pub g2_spx: G2Affine,
    /// Blake2b-512 of the circuit hash, the earlier contributions and `g1_s`, `g1_sx`.
    pub transcript: [u8; 64],
    /// Who contributed (at most 64 characters), if they said.
    pub name: Option<String>,
    /// For the final beacon: the iteration exponent and the beacon's bytes (`x` is derived
    /// from them, so anyone can check it).
    pub beacon: Option<Beacon>,
}

/// A random beacon's public parameters: `x` comes from SHA-256 iterated `2^exponent` times on
/// `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Beacon {
    /// The iteration exponent (10 to 63).
    pub exponent: u8,
    /// The beacon's value (1 to 255 bytes).
    pub hash: Vec<u8>,
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
    /// Section 10: the phase-2 ceremony's record (absent from keys not made by a ceremony).
    pub ceremony: Option<Ceremony>,
}

impl Zkey {
    /// The reduction a proof with this key needs.
    pub const REDUCTION: Reduction = Reduction::Circom;

    /// Reads and checks a `.zkey`'s bytes.
    pub fn read(bytes: &[u8]) -> Result<Self, ZkeyError> {
        let sections = Sections::index(bytes, b"zkey")?;
        let protocol = Reader::new(section(&sections, 1)?, "section 1").u32()?;
        if protocol != 1 {
            return Err(ZkeyError::NotGroth16(protocol));
        }

        let mut header = Reader::new(section(&sections, 2)?, "section 2");
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

        let ic = g1_section(section(&sections, 3)?, 3, n_public + 1)?;
        let coefficients = read_coefficients(section(&sections, 4)?)?;
        let a_query = g1_section(section(&sections, 5)?, 5, n_vars)?;
        let b_g1_query = g1_section(section(&sections, 6)?, 6, n_vars)?;
        let b_g2_query = g2_section(section(&sections, 7)?, 7, n_vars)?;
        let l_query = g1_section(section(&sections, 8)?, 8, n_vars - n_public - 1)?;
        let h_query = g1_section(section(&sections, 9)?, 9, domain_size)?;
        let ceremony = sections.find(10).map(read_ceremony).transpose()?;
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

impl Zkey {
    /// Checks that this key is `circuit`'s: the same wires, public inputs and domain, and as
    /// coefficients exactly the circuit's `A` and `B` terms plus the rows snarkjs adds to bind
    /// the public inputs (`A[n + s][s] = 1` for the constant and each public input `s`, `n`
    /// the circuit's constraints), compared as sets (a writer may order them otherwise).
    ///
    /// This is what the prover relies on (it evaluates `A·z` and `B·z` itself). The `C` terms
    /// are not in a `.zkey`: they are folded into its `L` query, which only a ceremony's
    /// verification against the powers of tau checks; a key whose `L` is wrong makes proofs
    /// that do not verify, which the prover's check of every proof catches.
    pub fn check_circuit(&self, circuit: &ShapeConstraints) -> Result<(), CircuitMismatch> {
        let instance = circuit.instance_variables();
        let wires = instance + circuit.witness_variables();
        if self.n_vars != wires {
            return Err(CircuitMismatch::Wires {
                key: self.n_vars,
                circuit: wires,
            });
        }
        if self.n_public + 1 != instance {
            return Err(CircuitMismatch::PublicInputs {
                key: self.n_public,
                circuit: instance - 1,
            });
        }
        let rows = circuit.constraints();
        let domain = (rows + instance).next_power_of_two();
        if self.domain_size != domain {
            return Err(CircuitMismatch::Domain {
                key: self.domain_size,
                circuit: domain,
            });
        }
        let mut expected: Vec<Coefficient> = circuit.matrices()[..2]
            .iter()
            .zip(0u32..)
            .flat_map(|(matrix, m)| {
                matrix.iter().zip(0u32..).flat_map(move |(terms, row)| {
                    terms.iter().map(move |&(value, wire)| Coefficient {
                        matrix: m,
                        constraint: row,
                        wire: wire as u32,
                        value,
                    })
                })
            })
            .chain((0..instance as u32).map(|s| Coefficient {
                matrix: 0,
                constraint: rows as u32 + s,
                wire: s,
                value: Fr::one(),
            }))
            .collect();
        if self.coefficients.len() != expected.len() {
            return Err(CircuitMismatch::CoefficientCount {
                key: self.coefficients.len(),
                circuit: expected.len(),
            });
        }
        let mut stored = self.coefficients.clone();
        let order = |c: &Coefficient| (c.matrix, c.constraint, c.wire, c.value);
        stored.sort_unstable_by_key(order);
        expected.sort_unstable_by_key(order);
        match stored.iter().zip(&expected).find(|(s, e)| s != e) {
            None => Ok(()),
            Some((s, e)) => {
                let first = order(s).min(order(e));
                Err(CircuitMismatch::Coefficient {
                    matrix: first.0,
                    constraint: first.1,
                    wire: first.2,
                })
            }
        }
    }
}

impl From<Truncated> for ZkeyError {
    fn from(e: Truncated) -> Self {
        ZkeyError::Truncated(e.0)
    }
}

impl From<PointError> for ZkeyError {
    fn from(e: PointError) -> Self {
        let (section, index) = (e.section, e.index);
        match e.fault {
            PointFault::CoordinateOutOfRange => ZkeyError::CoordinateOutOfRange { section, index },
            PointFault::NotOnCurve => ZkeyError::NotOnCurve { section, index },
            PointFault::NotInSubgroup => ZkeyError::NotInSubgroup { section, index },
        }
    }
}

impl From<FramingError> for ZkeyError {
    fn from(e: FramingError) -> Self {
        match e {
            FramingError::Magic(magic) => ZkeyError::NotAZkey(magic),
            FramingError::Version(v) => ZkeyError::Version(v),
            FramingError::Truncated(what) => what.into(),
            FramingError::Duplicate(kind) => ZkeyError::DuplicateSection(kind),
        }
    }
}

/// Section `kind`, which every Groth16 key has.
fn section<'a>(sections: &Sections<'a>, kind: u32) -> Result<&'a [u8], ZkeyError> {
    sections.find(kind).ok_or(ZkeyError::MissingSection(kind))
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
fn g1_section(bytes: &[u8], section: u32, count: usize) -> Result<Vec<G1Affine>, ZkeyError> {
    sized(bytes, section, count, G1_BYTES)?;
    Ok(binfile::g1_points(bytes, section, 0)?)
}

/// `count` G2 points, checked in parallel (the subgroup check dominates a key's reading).
fn g2_section(bytes: &[u8], section: u32, count: usize) -> Result<Vec<G2Affine>, ZkeyError> {
    sized(bytes, section, count, G2_BYTES)?;
    Ok(binfile::g2_points(bytes, section, 0)?)
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

/// Section 10: the circuit hash and the contributions (each its points, transcript, type and
/// TLV parameters: 1 the name, 2 a beacon's exponent, 3 its hash).
fn read_ceremony(bytes: &[u8]) -> Result<Ceremony, ZkeyError> {
    let mut r = Reader::new(bytes, "section 10");
    let cs_hash: [u8; 64] = r.bytes(64)?.try_into().expect("64 bytes");
    let count = r.u32()? as usize;
    let mut contributions = Vec::with_capacity(count.min(1024));
    for index in 0..count {
        let delta_after = g1_at(r.bytes(G1_BYTES)?, 10, 4 * index)?;
        let g1_s = g1_at(r.bytes(G1_BYTES)?, 10, 4 * index + 1)?;
        let g1_sx = g1_at(r.bytes(G1_BYTES)?, 10, 4 * index + 2)?;
        let g2_spx = g2_at(r.bytes(G2_BYTES)?, 10, 4 * index + 3)?;
        let transcript: [u8; 64] = r.bytes(64)?.try_into().expect("64 bytes");
        let kind = r.u32()?;
        let length = r.u32()? as usize;
        let mut params = Reader::new(r.bytes(length)?, "a contribution's parameters");
        let bad = |what| ZkeyError::Contribution { index, what };
        let (mut name, mut exponent, mut hash) = (None, None, None);
        while !params.rest().is_empty() {
            match params.u8()? {
                1 => {
                    let n = params.u8()? as usize;
                    let text = std::str::from_utf8(params.bytes(n)?)
                        .map_err(|_| bad("the name is not UTF-8"))?;
                    name = Some(text.to_owned());
                }
                2 => exponent = Some(params.u8()?),
                3 => {
                    let n = params.u8()? as usize;
                    hash = Some(params.bytes(n)?.to_vec());
                }
                _ => return Err(bad("an unknown parameter")),
            }
        }
        let beacon = match (kind, exponent, hash) {
            (0, None, None) => None,
            (1, Some(exponent), Some(hash)) => Some(Beacon { exponent, hash }),
            (0 | 1, _, _) => return Err(bad("beacon parameters do not match its type")),
            _ => return Err(bad("an unknown type")),
        };
        contributions.push(Contribution {
            delta_after,
            g1_s,
            g1_sx,
            g2_spx,
            transcript,
            name,
            beacon,
        });
    }
    Ok(Ceremony {
        cs_hash,
        contributions,
    })
}
