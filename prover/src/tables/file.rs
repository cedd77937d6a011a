//! [`KeyTables`] on disk, so that a restarted prover proves at full speed at once instead of
//! rebuilding them (about one scalar multiplication per key point: 78 s on the devnet's key
//! here, minutes at 2^20 constraints).
//!
//! ```text
//! magic (32) · key digest (32) · budget (8) · threads (8)
//! · per query H, L, A, B₁, B₂: present (1) [· window (4) · windows (4) · bases (8) · points]
//! · SHA-256 of everything before (32)
//! ```
//!
//! Integers are little-endian; points are arkworks' uncompressed affine form, window-major as
//! [`FixedBases`] holds them. The key digest ([`key_digest`]) ties the file to the proving key's
//! queries, and the budget and thread count to the choices the build made for them; a file
//! that matches the key but not the choices is rebuilt. The trailing hash is checked before a
//! table is used, so a torn or corrupted file is refused with a named error rather than
//! turning into invalid proofs; points are then read without curve checks (the hash covers
//! them, and checking each would cost as much as a fifth of the build). Files are written to a
//! temporary name and renamed, so a crash mid-write leaves no half file under the real name.
//!
//! Not memory-mapped: arkworks' `Affine` has no fixed in-memory layout to map onto, and reading
//! is a sequential pass at disk speed plus one hash (about 1 s per GiB here), against a build
//! of minutes.

use super::KeyTables;
use crate::field::FastField;
use crate::msm::FixedBases;
use ark_bn254::Bn254;
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_groth16::ProvingKey;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Compress, Validate};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 32] = b"zksettle-fixed-base-tables-v1\0\0\0";

/// The widest window a stored table may claim (as [`FixedBases`] builds them).
const MAX_STORED_WINDOW: u32 = 18;

/// Why a tables file was not used.
#[derive(Debug, thiserror::Error)]
pub enum TablesFileError {
    /// The file could not be read or written.
    #[error("tables file {path}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The file does not start as a zksettle tables file.
    #[error("{0} is not a zksettle fixed-base tables file")]
    NotATablesFile(PathBuf),
    /// The file holds tables of another proving key.
    #[error("{0} holds the tables of another proving key")]
    OtherKey(PathBuf),
    /// The file's tables were chosen for another budget or thread count.
    #[error("{path} was built for {budget} bytes on {threads} threads")]
    OtherChoices {
        /// The file.
        path: PathBuf,
        /// Its budget.
        budget: u64,
        /// Its thread count.
        threads: u64,
    },
    /// The bytes are not the ones written: torn, truncated or corrupted.
    #[error("{0} is corrupt (its hash does not match)")]
    Corrupt(PathBuf),
    /// A table's header is impossible (a window or size no build makes).
    #[error("{path}: impossible table header (window {window}, windows {windows}, bases {bases})")]
    BadHeader {
        /// The file.
        path: PathBuf,
        /// The window width claimed.
        window: u32,
        /// The window count claimed.
        windows: u32,
        /// The base count claimed.
        bases: u64,
    },
}

/// SHA-256 of the proving key's five queries (`H`, `L`, `A`, `B₁`, `B₂`), uncompressed: what
/// the tables are made of.
pub fn key_digest(pk: &ProvingKey<Bn254>) -> [u8; 32] {
    let mut hasher = HashWriter(Sha256::new());
    for query in [&pk.h_query, &pk.l_query, &pk.a_query, &pk.b_g1_query] {
        hash_points(&mut hasher, query);
    }
    hash_points(&mut hasher, &pk.b_g2_query);
    hasher.0.finalize().into()
}

fn hash_points<P: SWCurveConfig>(hasher: &mut HashWriter, points: &[Affine<P>]) {
    hasher.0.update((points.len() as u64).to_le_bytes());
    for point in points {
        // Writing into a hasher cannot fail.
        let _ = point.serialize_uncompressed(&mut *hasher);
    }
}

/// A `Write` that hashes.
struct HashWriter(Sha256);

impl Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Writes to the file and the hash alike.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(bytes)?;
        self.hash.update(&bytes[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// What a file's header says it holds.
struct Choices {
    key: [u8; 32],
    budget: u64,
    threads: u64,
}

impl KeyTables {
    /// Writes the tables to `path` (through a temporary file renamed into place), for the
    /// proving key of digest `key` built with `budget` bytes for `threads` threads.
    pub fn write(
        &self,
        path: &Path,
        key: [u8; 32],
        budget: usize,
        threads: usize,
    ) -> Result<(), TablesFileError> {
        let io = |source| TablesFileError::Io {
            path: path.to_owned(),
            source,
        };
        let tmp = path.with_extension("tmp");
        let file = fs::File::create(&tmp).map_err(io)?;
        let mut out = Hashing {
            inner: BufWriter::with_capacity(1 << 20, file),
            hash: Sha256::new(),
        };
        out.write_all(MAGIC).map_err(io)?;
        out.write_all(&key).map_err(io)?;
        out.write_all(&(budget as u64).to_le_bytes()).map_err(io)?;
        out.write_all(&(threads as u64).to_le_bytes()).map_err(io)?;
        for table in [&self.h, &self.l, &self.a, &self.b_g1] {
            write_table(&mut out, table.as_ref()).map_err(io)?;
        }
        write_table(&mut out, self.b_g2.as_ref()).map_err(io)?;
        let digest: [u8; 32] = out.hash.finalize_reset().into();
        let mut inner = out.inner;
        inner.write_all(&digest).map_err(io)?;
        let file = inner.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_all().map_err(io)?;
        drop(file);
        fs::rename(&tmp, path).map_err(io)
    }

    /// Reads tables written by [`KeyTables::write`] for the key of digest `key`, built with
    /// `budget` bytes for `threads` threads; anything else is refused with why.
    pub fn read(
        path: &Path,
        key: [u8; 32],
        budget: usize,
        threads: usize,
    ) -> Result<KeyTables, TablesFileError> {
        let io = |source| TablesFileError::Io {
            path: path.to_owned(),
            source,
        };
        let file = fs::File::open(path).map_err(io)?;
        let length = file.metadata().map_err(io)?.len();
        let mut input = Hashing {
            inner: BufReader::with_capacity(1 << 20, file),
            hash: Sha256::new(),
        };
        let mut magic = [0u8; 32];
        if input.read_exact(&mut magic).is_err() || &magic != MAGIC {
            return Err(TablesFileError::NotATablesFile(path.to_owned()));
        }
        let stored = Choices {
            key: array(&mut input).map_err(io)?,
            budget: u64::from_le_bytes(array(&mut input).map_err(io)?),
            threads: u64::from_le_bytes(array(&mut input).map_err(io)?),
        };
        if stored.key != key {
            return Err(TablesFileError::OtherKey(path.to_owned()));
        }
        if (stored.budget, stored.threads) != (budget as u64, threads as u64) {
            return Err(TablesFileError::OtherChoices {
                path: path.to_owned(),
                budget: stored.budget,
                threads: stored.threads,
            });
        }
        let mut reader = TableReader {
            path,
            length,
            input: &mut input,
        };
        let tables = KeyTables {
            h: reader.table()?,
            l: reader.table()?,
            a: reader.table()?,
            b_g1: reader.table()?,
            b_g2: reader.table()?,
            build_seconds: 0.0,
        };
        let computed: [u8; 32] = input.hash.finalize_reset().into();
        let recorded: [u8; 32] =
            array(&mut input.inner).map_err(|_| TablesFileError::Corrupt(path.to_owned()))?;
        let mut rest = [0u8; 1];
        if computed != recorded || input.inner.read(&mut rest).map_err(io)? != 0 {
            return Err(TablesFileError::Corrupt(path.to_owned()));
        }
        Ok(tables)
    }
}

fn array<const N: usize>(input: &mut impl Read) -> io::Result<[u8; N]> {
    let mut out = [0u8; N];
    input.read_exact(&mut out)?;
    Ok(out)
}

fn write_table<P: SWCurveConfig>(
    out: &mut impl Write,
    table: Option<&FixedBases<P>>,
) -> io::Result<()>
where
    P::BaseField: FastField,
{
    let Some(table) = table else {
        return out.write_all(&[0]);
    };
    out.write_all(&[1])?;
    out.write_all(&(table.window() as u32).to_le_bytes())?;
    out.write_all(&(table.windows() as u32).to_le_bytes())?;
    out.write_all(&(table.len() as u64).to_le_bytes())?;
    for point in table.points() {
        point
            .serialize_with_mode(&mut *out, Compress::No)
            .map_err(io::Error::other)?;
    }
    Ok(())
}

struct TableReader<'a, R> {
    path: &'a Path,
    length: u64,
    input: &'a mut R,
}

impl<R: Read> TableReader<'_, R> {
    fn table<P: SWCurveConfig>(&mut self) -> Result<Option<FixedBases<P>>, TablesFileError>
    where
        P::BaseField: FastField,
    {
        let corrupt = |_| TablesFileError::Corrupt(self.path.to_owned());
        let [present] = array::<1>(self.input).map_err(corrupt)?;
        match present {
            0 => return Ok(None),
            1 => {}
            _ => return Err(TablesFileError::Corrupt(self.path.to_owned())),
        }
        let window = u32::from_le_bytes(array(self.input).map_err(corrupt)?);
        let windows = u32::from_le_bytes(array(self.input).map_err(corrupt)?);
        let bases = u64::from_le_bytes(array(self.input).map_err(corrupt)?);
        let point_bytes = Affine::<P>::default().uncompressed_size() as u64;
        let count = u64::from(windows).checked_mul(bases);
        // A header whose points could not fit the file is refused before anything is
        // allocated for them.
        let fits = count
            .and_then(|c| c.checked_mul(point_bytes))
            .is_some_and(|b| b <= self.length);
        if window == 0 || window > MAX_STORED_WINDOW || !fits {
            return Err(TablesFileError::BadHeader {
                path: self.path.to_owned(),
                window,
                windows,
                bases,
            });
        }
        let count = count.unwrap_or(0) as usize;
        let mut points = Vec::with_capacity(count);
        for _ in 0..count {
            let point =
                Affine::<P>::deserialize_with_mode(&mut *self.input, Compress::No, Validate::No)
                    .map_err(|_| TablesFileError::Corrupt(self.path.to_owned()))?;
            points.push(point);
        }
        FixedBases::from_parts(window as usize, windows as usize, bases as usize, points)
            .map(Some)
            .ok_or_else(|| TablesFileError::BadHeader {
                path: self.path.to_owned(),
                window,
                windows,
                bases,
            })
    }
}
