//! The Fiat–Shamir transcript of zksettle's halo2 proofs, laid out for the EVM.
//!
//! halo2's own Keccak transcript keeps one running hash over the whole transcript and encodes
//! points compressed and little-endian, which a contract could replay only by re-hashing every
//! byte at each challenge and decompressing every point. This one is what a verifier contract
//! reads directly:
//!
//! - a point is 64 bytes, `x ‖ y`, each big-endian below the base-field modulus, the identity as
//!   `(0, 0)` (the encoding of the EVM's BN254 precompiles); it must be on the curve;
//! - a scalar is 32 bytes big-endian below `r`;
//! - everything absorbed since the last challenge is appended to a buffer, and a challenge is
//!   `keccak256(buffer) mod r`; the buffer then restarts from those 32 hash bytes, so every
//!   challenge depends on everything before it.
//!
//! The proof is the concatenation of the points and scalars the prover writes, in the order the
//! halo2 verifier reads them.

use halo2_proofs::halo2curves::bn256::{Fq, Fr, G1Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine as _;
use halo2_proofs::halo2curves::CurveAffine as _;
use halo2_proofs::transcript::{
    Challenge255, EncodedChallenge, Transcript, TranscriptRead, TranscriptReadBuffer,
    TranscriptWrite, TranscriptWriterBuffer,
};
use sha3::{Digest, Keccak256};
use std::io::{self, Read, Write};

/// The challenge type: the scalar `keccak256(buffer) mod r`.
pub type Challenge = Challenge255<G1Affine>;

/// The hashing state both directions share.
#[derive(Debug, Clone, Default)]
struct State {
    buffer: Vec<u8>,
}

impl State {
    fn absorb_point(&mut self, point: &G1Affine) {
        self.buffer.extend_from_slice(&encode_point(point));
    }

    fn absorb_scalar(&mut self, scalar: &Fr) {
        self.buffer.extend_from_slice(&encode_scalar(scalar));
    }

    fn squeeze(&mut self) -> Challenge {
        let hash: [u8; 32] = Keccak256::digest(&self.buffer).into();
        self.buffer = hash.to_vec();
        // Challenge255 reduces 64 little-endian bytes mod r: the hash as the low 32.
        let mut wide = [0u8; 64];
        for (i, byte) in hash.iter().rev().enumerate() {
            wide[i] = *byte;
        }
        Challenge::new(&wide)
    }
}

/// `x ‖ y` big-endian, the identity as `(0, 0)`.
pub fn encode_point(point: &G1Affine) -> [u8; 64] {
    let mut bytes = [0u8; 64];
    if let Some(coordinates) = Option::from(point.coordinates()) {
        let coordinates: halo2_proofs::halo2curves::Coordinates<G1Affine> = coordinates;
        bytes[..32].copy_from_slice(&big_endian(coordinates.x().to_repr().as_ref()));
        bytes[32..].copy_from_slice(&big_endian(coordinates.y().to_repr().as_ref()));
    }
    bytes
}

/// The point `x ‖ y` encodes, if both are canonical and it is on the curve or `(0, 0)`.
pub fn decode_point(bytes: &[u8; 64]) -> Option<G1Affine> {
    if bytes.iter().all(|b| *b == 0) {
        return Some(G1Affine::identity());
    }
    let coordinate = |half: &[u8]| {
        let mut repr = <Fq as PrimeField>::Repr::default();
        repr.as_mut().copy_from_slice(&big_endian(half));
        Option::<Fq>::from(Fq::from_repr(repr))
    };
    let (x, y) = (coordinate(&bytes[..32])?, coordinate(&bytes[32..])?);
    Option::from(G1Affine::from_xy(x, y))
}

/// A scalar's 32 big-endian bytes.
pub fn encode_scalar(scalar: &Fr) -> [u8; 32] {
    big_endian(scalar.to_repr().as_ref())
}

/// The scalar 32 big-endian bytes encode, if below `r`.
pub fn decode_scalar(bytes: &[u8; 32]) -> Option<Fr> {
    let mut repr = <Fr as PrimeField>::Repr::default();
    repr.as_mut().copy_from_slice(&big_endian(bytes));
    Option::from(Fr::from_repr(repr))
}

/// The bytes reversed (little- to big-endian and back).
fn big_endian(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, byte) in bytes.iter().rev().enumerate() {
        out[i] = *byte;
    }
    out
}

fn invalid(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_owned())
}

/// Reads a proof (the verifier's side).
#[derive(Debug, Clone)]
pub struct EvmTranscriptRead<R: Read> {
    state: State,
    reader: R,
}

/// Writes a proof (the prover's side).
#[derive(Debug, Clone)]
pub struct EvmTranscriptWrite<W: Write> {
    state: State,
    writer: W,
}

macro_rules! common {
    ($t:ident, $bound:ident) => {
        impl<T: $bound> Transcript<G1Affine, Challenge> for $t<T> {
            fn squeeze_challenge(&mut self) -> Challenge {
                self.state.squeeze()
            }

            fn common_point(&mut self, point: G1Affine) -> io::Result<()> {
                self.state.absorb_point(&point);
                Ok(())
            }

            fn common_scalar(&mut self, scalar: Fr) -> io::Result<()> {
                self.state.absorb_scalar(&scalar);
                Ok(())
            }
        }
    };
}

common!(EvmTranscriptRead, Read);
common!(EvmTranscriptWrite, Write);

impl<R: Read> TranscriptRead<G1Affine, Challenge> for EvmTranscriptRead<R> {
    fn read_point(&mut self) -> io::Result<G1Affine> {
        let mut bytes = [0u8; 64];
        self.reader.read_exact(&mut bytes)?;
        let point = decode_point(&bytes).ok_or_else(|| invalid("a proof point is not on BN254"))?;
        self.state.absorb_point(&point);
        Ok(point)
    }

    fn read_scalar(&mut self) -> io::Result<Fr> {
        let mut bytes = [0u8; 32];
        self.reader.read_exact(&mut bytes)?;
        let scalar =
            decode_scalar(&bytes).ok_or_else(|| invalid("a proof scalar is not below r"))?;
        self.state.absorb_scalar(&scalar);
        Ok(scalar)
    }
}

impl<R: Read> EvmTranscriptRead<R> {
    /// The reader, positioned after what was read (a verifier checks that nothing is left).
    pub fn into_inner(self) -> R {
        self.reader
    }
}

impl<R: Read> TranscriptReadBuffer<R, G1Affine, Challenge> for EvmTranscriptRead<R> {
    fn init(reader: R) -> Self {
        Self {
            state: State::default(),
            reader,
        }
    }
}

impl<W: Write> TranscriptWrite<G1Affine, Challenge> for EvmTranscriptWrite<W> {
    fn write_point(&mut self, point: G1Affine) -> io::Result<()> {
        self.state.absorb_point(&point);
        self.writer.write_all(&encode_point(&point))
    }

    fn write_scalar(&mut self, scalar: Fr) -> io::Result<()> {
        self.state.absorb_scalar(&scalar);
        self.writer.write_all(&encode_scalar(&scalar))
    }
}

impl<W: Write> TranscriptWriterBuffer<W, G1Affine, Challenge> for EvmTranscriptWrite<W> {
    fn init(writer: W) -> Self {
        Self {
            state: State::default(),
            writer,
        }
    }

    fn finalize(self) -> W {
        self.writer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::ff::Field as _;
    use halo2_proofs::halo2curves::group::Curve as _;

    #[test]
    fn points_and_scalars_round_trip_and_bad_encodings_are_refused() {
        let g = G1Affine::generator();
        let p = (g * Fr::from(12345)).to_affine();
        for point in [g, p, G1Affine::identity()] {
            assert_eq!(decode_point(&encode_point(&point)), Some(point));
        }
        let mut off_curve = encode_point(&p);
        off_curve[63] ^= 1;
        assert_eq!(decode_point(&off_curve), None);
        assert_eq!(decode_point(&[0xff; 64]), None, "coordinates past p");
        let s = -Fr::ONE;
        assert_eq!(decode_scalar(&encode_scalar(&s)), Some(s));
        assert_eq!(decode_scalar(&[0xff; 32]), None, "a scalar past r");
        // Big-endian: 1 is the last byte.
        assert_eq!(encode_scalar(&Fr::ONE)[31], 1);
    }

    #[test]
    fn a_challenge_is_the_keccak_of_everything_since_the_last_mod_r() {
        let mut transcript = EvmTranscriptWrite::init(Vec::new());
        transcript.common_scalar(Fr::from(7)).unwrap();
        let first = *transcript.squeeze_challenge_scalar::<()>();
        let expected = Keccak256::digest(encode_scalar(&Fr::from(7)));
        let mut wide = [0u8; 64];
        wide[..32].copy_from_slice(&big_endian(&expected));
        assert_eq!(first, Challenge::new(&wide).get_scalar());
        // The next challenge chains on the hash.
        let second = *transcript.squeeze_challenge_scalar::<()>();
        let chained = Keccak256::digest(expected);
        wide[..32].copy_from_slice(&big_endian(&chained));
        assert_eq!(second, Challenge::new(&wide).get_scalar());
        assert_ne!(first, second);
    }
}
