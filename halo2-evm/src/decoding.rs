//! The key bytes of [`crate::encoding`] read back into an [`EvmKey`]: what an auditor does with
//! a key read from a deployment's key contracts (trusting only that its keccak256 is the
//! rollup's `vkHash`), to check proofs with [`crate::reference::verify`] off chain.
//!
//! Every word is checked as it is read: counts fit in 64 bits, scalars are below `r`, points
//! are on their curves, the derived header words (`ω⁻¹`, `n⁻¹`, `δ`) and the blinding factors
//! are what the rest of the key implies, every opening point is `ω^rotation` for a rotation of
//! at most [`MAX_ROTATION`], and the bytes end where the sections do. A key that decodes gives
//! back the same bytes ([`EvmKey::to_bytes`]), which a test checks.

use crate::encoding::HEADER_WORDS;
use crate::key::{ColumnEvaluation, Commitment, Evaluation, EvmKey, LookupPrograms, Opening};
use crate::Fr;
use halo2_proofs::halo2curves::bn256::{Fq, Fq2, G1Affine, G2Affine};
use halo2_proofs::halo2curves::ff::{Field as _, PrimeField as _};
use halo2_proofs::halo2curves::CurveAffine as _;
use zksettle_halo2_circuit::halo2_proofs;
use zksettle_halo2_circuit::transcript::{decode_point, decode_scalar};

/// The largest `|rotation|` an opening point may have (halo2's are a few rows; the last
/// usable row's is the blinding factors plus one).
pub const MAX_ROTATION: i32 = 1 << 10;

/// Why key bytes are not a key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyDecodeError {
    /// The bytes end inside `what`.
    #[error("the key ends inside {0}")]
    Truncated(&'static str),
    /// Bytes follow the last section.
    #[error("{0} bytes after the key's last section")]
    TrailingBytes(usize),
    /// A word that must be a count or an index is not one.
    #[error("{0} is not a count below 2^32")]
    Count(&'static str),
    /// A word that must be a scalar is not below `r`.
    #[error("{0} is not a scalar below r")]
    Scalar(&'static str),
    /// A point is not on its curve (or a coordinate is not canonical).
    #[error("{0} is not a point of its curve")]
    Point(&'static str),
    /// A word the rest of the key determines disagrees with it.
    #[error("{0} is not what the rest of the key implies")]
    Inconsistent(&'static str),
    /// An opening point is not `ω^rotation` for a small rotation.
    #[error("opening point {0} is not ω to a rotation of at most 2^10")]
    Rotation(usize),
    /// An opening's commitment or evaluation kind is unknown.
    #[error("opening {0} has an unknown kind")]
    OpeningKind(usize),
}

/// A cursor over the key's words.
struct Words<'a> {
    bytes: &'a [u8],
}

impl<'a> Words<'a> {
    fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], KeyDecodeError> {
        if self.bytes.len() < len {
            return Err(KeyDecodeError::Truncated(what));
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(head)
    }

    fn word(&mut self, what: &'static str) -> Result<[u8; 32], KeyDecodeError> {
        let mut word = [0u8; 32];
        word.copy_from_slice(self.take(32, what)?);
        Ok(word)
    }

    fn count(&mut self, what: &'static str) -> Result<usize, KeyDecodeError> {
        count_of(&self.word(what)?).ok_or(KeyDecodeError::Count(what))
    }

    fn scalar(&mut self, what: &'static str) -> Result<Fr, KeyDecodeError> {
        decode_scalar(&self.word(what)?).ok_or(KeyDecodeError::Scalar(what))
    }

    fn g1(&mut self, what: &'static str) -> Result<G1Affine, KeyDecodeError> {
        let mut bytes = [0u8; 64];
        bytes.copy_from_slice(self.take(64, what)?);
        decode_point(&bytes).ok_or(KeyDecodeError::Point(what))
    }

    /// A G2 point as `(x.c1, x.c0, y.c1, y.c0)`.
    fn g2(&mut self, what: &'static str) -> Result<G2Affine, KeyDecodeError> {
        let mut half = || -> Result<Fq, KeyDecodeError> {
            let mut repr = <Fq as halo2_proofs::halo2curves::ff::PrimeField>::Repr::default();
            let word = self.word(what)?;
            for (i, byte) in word.iter().rev().enumerate() {
                repr.as_mut()[i] = *byte;
            }
            Option::from(Fq::from_repr(repr)).ok_or(KeyDecodeError::Point(what))
        };
        let (x1, x0, y1, y0) = (half()?, half()?, half()?, half()?);
        let x = Fq2 { c0: x0, c1: x1 };
        let y = Fq2 { c0: y0, c1: y1 };
        Option::from(G2Affine::from_xy(x, y)).ok_or(KeyDecodeError::Point(what))
    }

    /// `len` program bytes, padded to whole words.
    fn padded(&mut self, len: usize, what: &'static str) -> Result<Vec<u8>, KeyDecodeError> {
        let words = len.div_ceil(32) * 32;
        let bytes = self.take(words, what)?;
        if bytes[len..].iter().any(|b| *b != 0) {
            return Err(KeyDecodeError::Inconsistent(what));
        }
        Ok(bytes[..len].to_vec())
    }
}

/// A word that holds a count below 2^32.
fn count_of(word: &[u8; 32]) -> Option<usize> {
    if word[..28].iter().any(|b| *b != 0) {
        return None;
    }
    let value = u32::from_be_bytes(word[28..].try_into().ok()?);
    usize::try_from(value).ok()
}

/// A word that holds a value below 2^64 (the packed openings).
fn u64_of(word: &[u8; 32]) -> Option<u64> {
    if word[..24].iter().any(|b| *b != 0) {
        return None;
    }
    Some(u64::from_be_bytes(word[24..].try_into().ok()?))
}

impl EvmKey {
    /// The key `bytes` encode (module docs), or why they do not.
    pub fn from_bytes(bytes: &[u8]) -> Result<EvmKey, KeyDecodeError> {
        if bytes.len() < 32 * HEADER_WORDS {
            return Err(KeyDecodeError::Truncated("the header"));
        }
        let mut words = Words { bytes };
        let k = words.count("k")?;
        let k = u32::try_from(k)
            .ok()
            .filter(|k| *k <= Fr::S)
            .ok_or(KeyDecodeError::Count("k"))?;
        let omega = words.scalar("ω")?;
        let omega_inverse = words.scalar("ω⁻¹")?;
        let n_inverse = words.scalar("n⁻¹")?;
        let transcript_repr = words.scalar("the transcript representative")?;
        let mut counts = [0usize; 16];
        const COUNTS: [&str; 16] = [
            "instances",
            "advice columns",
            "lookups",
            "permutation sets",
            "the chunk length",
            "quotient pieces",
            "blinding rows",
            "advice queries",
            "fixed queries",
            "fixed commitments",
            "permutation columns",
            "opening points",
            "openings",
            "constants",
            "the gate program's bytes",
            "the lookup section's bytes",
        ];
        for (count, what) in counts.iter_mut().zip(COUNTS) {
            *count = words.count(what)?;
        }
        let [num_instances, num_advice, num_lookups, permutation_sets, chunk_len, quotient_pieces, blinding_factors, num_advice_queries, num_fixed_queries, fixed_count, permutation_count, point_count, opening_count, constant_count, gate_bytes, lookup_bytes] =
            counts;
        let delta = words.scalar("δ")?;
        let g1 = words.g1("G1")?;
        let g2 = words.g2("G2")?;
        let s_g2 = words.g2("τ·G2")?;
        let registers = words.count("registers")?;

        let mut key = EvmKey {
            k,
            omega,
            transcript_repr,
            num_instances,
            num_advice,
            num_lookups,
            permutation_sets,
            chunk_len,
            quotient_pieces,
            blinding_factors,
            num_advice_queries,
            num_fixed_queries,
            permutation_columns: Vec::new(),
            fixed_commitments: Vec::new(),
            sigma_commitments: Vec::new(),
            constants: Vec::new(),
            registers,
            gates: Vec::new(),
            lookups: Vec::new(),
            point_rotations: Vec::new(),
            openings: Vec::new(),
            g1,
            g2,
            s_g2,
        };
        // The derived words: a key whose header disagrees with itself is not a key.
        if omega.pow_vartime([1u64 << k]) != Fr::ONE || key.omega_to(-1) != omega_inverse {
            return Err(KeyDecodeError::Inconsistent("ω"));
        }
        if Option::<Fr>::from(key.n().invert()) != Some(n_inverse) {
            return Err(KeyDecodeError::Inconsistent("n⁻¹"));
        }
        if delta != EvmKey::delta() {
            return Err(KeyDecodeError::Inconsistent("δ"));
        }

        // Counts bound the allocations by the bytes that must follow them.
        let need = |count: usize, size: usize, what| {
            if count.saturating_mul(size) > words.bytes.len() {
                Err(KeyDecodeError::Truncated(what))
            } else {
                Ok(())
            }
        };
        need(fixed_count, 64, "the fixed commitments")?;
        for _ in 0..fixed_count {
            key.fixed_commitments.push(words.g1("a fixed commitment")?);
        }
        need(permutation_count, 64, "the permutation commitments")?;
        for _ in 0..permutation_count {
            key.sigma_commitments
                .push(words.g1("a permutation commitment")?);
        }
        need(permutation_count, 32, "the permutation columns")?;
        for _ in 0..permutation_count {
            let word = words.word("a permutation column")?;
            key.permutation_columns.push(if word == [0xff; 32] {
                ColumnEvaluation::Instance
            } else {
                ColumnEvaluation::Proof(
                    count_of(&word).ok_or(KeyDecodeError::Count("a permutation column"))?,
                )
            });
        }
        need(point_count, 32, "the opening points")?;
        let rotations = Rotations::new(&key);
        for i in 0..point_count {
            let factor = words.scalar("an opening point")?;
            let rotation = rotations.of(&factor).ok_or(KeyDecodeError::Rotation(i))?;
            key.point_rotations.push(rotation);
        }
        need(
            blinding_factors.saturating_add(1),
            32,
            "the blinding factors",
        )?;
        for i in 1..=blinding_factors + 1 {
            let factor = words.scalar("a blinding factor")?;
            let rotation = i32::try_from(i).map_err(|_| KeyDecodeError::Count("blinding rows"))?;
            if factor != key.omega_to(-rotation) {
                return Err(KeyDecodeError::Inconsistent("a blinding factor"));
            }
        }
        need(opening_count, 32, "the openings")?;
        for i in 0..opening_count {
            let word = words.word("an opening")?;
            let packed = u64_of(&word).ok_or(KeyDecodeError::OpeningKind(i))?;
            key.openings
                .push(opening_of(packed).ok_or(KeyDecodeError::OpeningKind(i))?);
        }
        need(constant_count, 32, "the constants")?;
        for _ in 0..constant_count {
            key.constants.push(words.scalar("a constant")?);
        }
        key.gates = words.padded(gate_bytes, "the gate program")?;
        let mut section = Words {
            bytes: words.take(lookup_bytes, "the lookup section")?,
        };
        for _ in 0..num_lookups {
            let lengths = section.count("a lookup's lengths")?;
            let (input, table) = (lengths >> 16, lengths & 0xffff);
            let programs = section.padded(input + table, "a lookup's programs")?;
            key.lookups.push(LookupPrograms {
                input: programs[..input].to_vec(),
                table: programs[input..].to_vec(),
            });
        }
        if !section.bytes.is_empty() {
            return Err(KeyDecodeError::Inconsistent("the lookup section's length"));
        }
        match words.bytes.len() {
            0 => Ok(key),
            left => Err(KeyDecodeError::TrailingBytes(left)),
        }
    }
}

/// `point << 48 | commitment kind << 40 | commitment index << 24 | evaluation kind << 16 |
/// evaluation index`, unpacked.
fn opening_of(packed: u64) -> Option<Opening> {
    let field = |shift: u32, bits: u32| ((packed >> shift) & ((1 << bits) - 1)) as usize;
    let commitment = match field(40, 8) {
        0 => Commitment::Proof(field(24, 16)),
        1 => Commitment::Fixed(field(24, 16)),
        2 => Commitment::Sigma(field(24, 16)),
        3 if field(24, 16) == 0 => Commitment::Quotient,
        _ => return None,
    };
    let evaluation = match field(16, 8) {
        0 => Evaluation::Proof(field(0, 16)),
        1 if field(0, 16) == 0 => Evaluation::Quotient,
        _ => return None,
    };
    Some(Opening {
        point: usize::try_from(packed >> 48).ok()?,
        commitment,
        evaluation,
    })
}

/// `ω^r` for `|r| ≤ MAX_ROTATION`, to find the rotation of an opening point's factor.
struct Rotations {
    /// `(ω^r, r)`, sorted by the factor's bytes.
    table: Vec<([u8; 32], i32)>,
}

impl Rotations {
    fn new(key: &EvmKey) -> Self {
        let inverse = key.omega_to(-1);
        let (mut up, mut down) = (Fr::ONE, Fr::ONE);
        let mut table = vec![(up.to_repr(), 0)];
        for r in 1..=MAX_ROTATION {
            up *= key.omega;
            down *= inverse;
            table.push((up.to_repr(), r));
            table.push((down.to_repr(), -r));
        }
        table.sort_unstable();
        Rotations { table }
    }

    /// The smallest-magnitude rotation with this factor (a small domain repeats them).
    fn of(&self, factor: &Fr) -> Option<i32> {
        let repr: [u8; 32] = factor.to_repr();
        let start = self.table.partition_point(|(f, _)| f < &repr);
        self.table[start..]
            .iter()
            .take_while(|(f, _)| f == &repr)
            .map(|(_, r)| *r)
            .min_by_key(|r| (r.unsigned_abs(), *r < 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::sample_proof;

    fn sample_key() -> EvmKey {
        let sample = sample_proof();
        EvmKey::compile(&sample.params, &sample.vk, sample.instances.len()).unwrap()
    }

    #[test]
    fn a_key_read_back_from_its_bytes_is_the_same_key() {
        let key = sample_key();
        let bytes = key.to_bytes();
        let decoded = EvmKey::from_bytes(&bytes).unwrap();
        assert_eq!(decoded, key);
        assert_eq!(decoded.to_bytes(), bytes);
    }

    #[test]
    fn cut_extended_or_changed_key_bytes_are_refused_or_read_as_another_key() {
        let bytes = sample_key().to_bytes();
        for len in [0, 31, 32 * HEADER_WORDS, bytes.len() - 1] {
            assert!(EvmKey::from_bytes(&bytes[..len]).is_err(), "cut to {len}");
        }
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0; 32]);
        assert_eq!(
            EvmKey::from_bytes(&longer),
            Err(KeyDecodeError::TrailingBytes(32))
        );
        // Every byte of the header and of the first sections, changed: never a panic, and
        // either refused or a key that encodes to the changed bytes (not the original).
        for i in (0..bytes.len()).step_by(7) {
            let mut changed = bytes.clone();
            changed[i] ^= 0x5a;
            if let Ok(key) = EvmKey::from_bytes(&changed) {
                assert_eq!(key.to_bytes(), changed, "byte {i}");
            }
        }
    }
}
