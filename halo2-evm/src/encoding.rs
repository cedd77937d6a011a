//! An [`EvmKey`] as the bytes `Halo2Verifier.sol` reads, and those bytes as key contracts.
//!
//! The key is 32-byte big-endian words, a header then sections, programs padded to whole words:
//!
//! ```text
//! header (33 words)
//!   0 k              1 ω              2 ω⁻¹            3 n⁻¹            4 transcript repr
//!   5 instances      6 advice cols    7 lookups        8 perm. sets     9 chunk length
//!  10 quotient pcs  11 blinding rows 12 advice queries 13 fixed queries 14 fixed commitments
//!  15 perm. columns 16 points        17 openings      18 constants     19 gate program bytes
//!  20 lookup section bytes           21 δ             22–23 G1         24–27 G2   28–31 τ·G2
//!  32 registers
//! sections
//!   fixed commitments     (x, y) each
//!   sigma commitments     (x, y) each, one per permutation column
//!   permutation columns   the evaluation index of each, or 2^256 − 1 for the instance column
//!   point factors         ω^rotation of each opening point
//!   blinding factors      ω⁻¹, ω⁻², …, ω^−(blinding + 1)
//!   openings              point << 48 | commitment kind << 40 | commitment index << 24
//!                         | evaluation kind << 16 | evaluation index
//!   constants
//!   gate program          padded
//!   lookup programs       per lookup: a word (input bytes << 16 | table bytes), then the
//!                         input and table programs, padded together
//! ```
//!
//! G2 points are `(x.c1, x.c0, y.c1, y.c0)`, the EIP-197 order. Commitment kinds: 0 a proof
//! point, 1 fixed, 2 sigma, 3 the quotient; evaluation kinds: 0 the proof's, 1 the quotient's.
//!
//! A contract's code is at most 24,576 bytes (EIP-170), so the key is cut into parts, each the
//! code of a contract that starts with `STOP` (calling it does nothing) and then holds up to
//! 24,575 key bytes. The verifier concatenates its parts and pins `keccak256` of the key.

use crate::key::{ColumnEvaluation, Commitment, Evaluation, EvmKey};
use crate::Fr;
use halo2_proofs::halo2curves::bn256::{G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::PrimeField as _;
use halo2_proofs::halo2curves::CurveAffine as _;
use zksettle_halo2_circuit::halo2_proofs;
use zksettle_halo2_circuit::transcript::{encode_point, encode_scalar};

/// Header words.
pub const HEADER_WORDS: usize = 33;
/// Key bytes per key contract: the code limit less the leading `STOP`.
pub const PART_BYTES: usize = 24_575;
/// The most key contracts a verifier takes.
pub const MAX_PARTS: usize = 4;

/// A base-field element (a G2 coordinate half) as a word.
fn fq(x: &halo2_proofs::halo2curves::bn256::Fq) -> [u8; 32] {
    let mut word = [0u8; 32];
    for (i, byte) in x.to_repr().as_ref().iter().rev().enumerate() {
        word[i] = *byte;
    }
    word
}

fn usize_word(value: usize) -> [u8; 32] {
    let mut word = [0u8; 32];
    word[24..].copy_from_slice(&(value as u64).to_be_bytes());
    word
}

fn g2_words(point: &G2Affine, out: &mut Vec<u8>) {
    let coordinates: halo2_proofs::halo2curves::Coordinates<G2Affine> =
        Option::from(point.coordinates()).expect("the SRS's G2 points are not the identity");
    for half in [
        &coordinates.x().c1,
        &coordinates.x().c0,
        &coordinates.y().c1,
        &coordinates.y().c0,
    ] {
        out.extend_from_slice(&fq(half));
    }
}

fn g1_words(point: &G1Affine, out: &mut Vec<u8>) {
    out.extend_from_slice(&encode_point(point));
}

/// Appends `program` padded to whole words.
fn padded(program: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(program);
    out.resize(out.len().div_ceil(32) * 32, 0);
}

impl EvmKey {
    /// The key's bytes (module docs).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut lookup_section = Vec::new();
        for lookup in &self.lookups {
            let lengths = (lookup.input.len() << 16) | lookup.table.len();
            lookup_section.extend_from_slice(&usize_word(lengths));
            let mut programs = lookup.input.clone();
            programs.extend_from_slice(&lookup.table);
            padded(&programs, &mut lookup_section);
        }
        let n_inverse = Option::<Fr>::from(self.n().invert()).expect("n is not zero");
        let mut out = Vec::new();
        let scalars = [
            self.omega,
            self.omega_to(-1),
            n_inverse,
            self.transcript_repr,
        ];
        out.extend_from_slice(&usize_word(self.k as usize));
        for scalar in scalars {
            out.extend_from_slice(&encode_scalar(&scalar));
        }
        for count in [
            self.num_instances,
            self.num_advice,
            self.num_lookups,
            self.permutation_sets,
            self.chunk_len,
            self.quotient_pieces,
            self.blinding_factors,
            self.num_advice_queries,
            self.num_fixed_queries,
            self.fixed_commitments.len(),
            self.permutation_columns.len(),
            self.point_rotations.len(),
            self.openings.len(),
            self.constants.len(),
            self.gates.len(),
            lookup_section.len(),
        ] {
            out.extend_from_slice(&usize_word(count));
        }
        out.extend_from_slice(&encode_scalar(&Self::delta()));
        g1_words(&self.g1, &mut out);
        g2_words(&self.g2, &mut out);
        g2_words(&self.s_g2, &mut out);
        out.extend_from_slice(&usize_word(self.registers));
        debug_assert_eq!(out.len(), 32 * HEADER_WORDS);

        for point in self.fixed_commitments.iter().chain(&self.sigma_commitments) {
            g1_words(point, &mut out);
        }
        for column in &self.permutation_columns {
            out.extend_from_slice(&match column {
                ColumnEvaluation::Proof(i) => usize_word(*i),
                ColumnEvaluation::Instance => [0xff; 32],
            });
        }
        for rotation in &self.point_rotations {
            out.extend_from_slice(&encode_scalar(&self.omega_to(*rotation)));
        }
        for i in 1..=self.blinding_factors + 1 {
            out.extend_from_slice(&encode_scalar(&self.omega_to(-(i as i32))));
        }
        for opening in &self.openings {
            let (kind, index) = match opening.commitment {
                Commitment::Proof(i) => (0, i),
                Commitment::Fixed(i) => (1, i),
                Commitment::Sigma(i) => (2, i),
                Commitment::Quotient => (3, 0),
            };
            let (eval_kind, eval_index) = match opening.evaluation {
                Evaluation::Proof(i) => (0, i),
                Evaluation::Quotient => (1, 0),
            };
            let packed = (opening.point << 48)
                | (kind << 40)
                | (index << 24)
                | (eval_kind << 16)
                | eval_index;
            out.extend_from_slice(&usize_word(packed));
        }
        for constant in &self.constants {
            out.extend_from_slice(&encode_scalar(constant));
        }
        padded(&self.gates, &mut out);
        out.extend_from_slice(&lookup_section);
        out
    }
}

/// Why a key does not fit the verifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PartsError {
    /// More than [`MAX_PARTS`] key contracts' worth.
    #[error("a {0}-byte key needs more than {MAX_PARTS} key contracts")]
    TooLarge(usize),
}

/// The init code of each key contract holding `key` (deploy them, then the verifier with their
/// addresses in order).
pub fn key_contracts(key: &[u8]) -> Result<Vec<Vec<u8>>, PartsError> {
    key_contracts_of(key, PART_BYTES)
}

/// [`key_contracts`] with parts of at most `part_bytes` (1 to [`PART_BYTES`]): smaller parts
/// only to test a key spread over several contracts.
pub fn key_contracts_of(key: &[u8], part_bytes: usize) -> Result<Vec<Vec<u8>>, PartsError> {
    let parts: Vec<&[u8]> = key.chunks(part_bytes.clamp(1, PART_BYTES)).collect();
    if parts.len() > MAX_PARTS {
        return Err(PartsError::TooLarge(key.len()));
    }
    Ok(parts
        .into_iter()
        .map(|part| {
            let runtime_len = part.len() + 1;
            let len = u16::try_from(runtime_len).expect("a part is below 2^16 bytes");
            // PUSH2 len; DUP1; PUSH1 12; PUSH1 0; CODECOPY; PUSH1 0; RETURN — then the code:
            // STOP and the key bytes.
            let mut init = vec![0x61];
            init.extend_from_slice(&len.to_be_bytes());
            init.extend_from_slice(&[0x80, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3, 0x00]);
            init.extend_from_slice(part);
            init
        })
        .collect())
}
