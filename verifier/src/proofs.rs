//! Any snarkjs Groth16 BN254 proof, not only zksettle's: one `proof.json` + `public.json`
//! against a `verification_key.json`, or many at once through the batched multi-pairing
//! ([`crate::batch`]), each invalid or malformed one named.
//!
//! Many proofs come as a directory whose subdirectories each hold `proof.json` and
//! `public.json` (named by the subdirectory), or as a JSON-lines file of
//! `{"proof": {…}, "public": ["…"]}` (named by line number, from 1).

use crate::batch::{BatchVerifier, Claim};
use crate::snarkjs::{import_public, SnarkjsError, SnarkjsProof};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Why one proof could not even be checked.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// A file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not the JSON snarkjs writes.
    #[error("{what}: not snarkjs JSON: {source}")]
    Json {
        /// Which file or line.
        what: String,
        /// Why.
        source: serde_json::Error,
    },
    /// A malformed point or number (each kind named, see [`SnarkjsError`]).
    #[error(transparent)]
    Snarkjs(#[from] SnarkjsError),
}

/// One proof to check, read and decoded, or why it could not be.
#[derive(Debug)]
pub struct Named {
    /// The subdirectory, line (`line 3`) or file it came from.
    pub name: String,
    /// The claim, or why there is none.
    pub claim: Result<Claim, ClaimError>,
}

/// The outcome for a set of proofs.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Proofs that verify.
    pub valid: Vec<String>,
    /// Proofs that decode but do not verify.
    pub invalid: Vec<String>,
    /// Proofs that could not be checked, with why.
    pub malformed: Vec<(String, String)>,
}

impl Outcome {
    /// Whether every proof verified.
    pub fn all_valid(&self) -> bool {
        self.invalid.is_empty() && self.malformed.is_empty()
    }
}

fn read(path: &Path) -> Result<String, ClaimError> {
    std::fs::read_to_string(path).map_err(|source| ClaimError::Io {
        path: path.to_owned(),
        source,
    })
}

fn json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, ClaimError> {
    serde_json::from_str(text).map_err(|source| ClaimError::Json {
        what: what.to_owned(),
        source,
    })
}

/// The claim of a snarkjs proof and its public inputs, every point and number checked, and the
/// number of inputs checked against the key's.
pub fn claim(
    verifier: &BatchVerifier,
    proof: &SnarkjsProof,
    public: &[String],
) -> Result<Claim, ClaimError> {
    let expected = verifier.key().gamma_abc_g1.len() - 1;
    if public.len() != expected {
        return Err(SnarkjsError::PublicCount {
            what: "public inputs",
            expected,
            got: public.len(),
        }
        .into());
    }
    Ok(Claim {
        proof: proof.import()?,
        public: import_public(public)?,
    })
}

/// `proof.json` and `public.json` as files.
pub fn read_pair(
    verifier: &BatchVerifier,
    proof: &Path,
    public: &Path,
) -> Result<Claim, ClaimError> {
    let p: SnarkjsProof = json(&proof.display().to_string(), &read(proof)?)?;
    let x: Vec<String> = json(&public.display().to_string(), &read(public)?)?;
    claim(verifier, &p, &x)
}

/// One line of a JSON-lines file.
#[derive(Debug, Deserialize)]
struct Line {
    proof: SnarkjsProof,
    public: Vec<String>,
}

/// Many proofs from a directory of `<name>/{proof,public}.json` or a JSON-lines file (see the
/// module docs), in name or line order. An unreadable directory or file is an error; a bad
/// entry is a [`Named`] with its error.
pub fn read_many(verifier: &BatchVerifier, path: &Path) -> Result<Vec<Named>, ClaimError> {
    let io = |source| ClaimError::Io {
        path: path.to_owned(),
        source,
    };
    if path.is_dir() {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(io)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        return Ok(dirs
            .into_iter()
            .map(|dir| Named {
                name: dir
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                claim: read_pair(verifier, &dir.join("proof.json"), &dir.join("public.json")),
            })
            .collect());
    }
    let text = read(path)?;
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let name = format!("line {}", i + 1);
            let claim =
                json::<Line>(&name, l).and_then(|line| claim(verifier, &line.proof, &line.public));
            Named { name, claim }
        })
        .collect())
}

/// Checks every decodable proof in one multi-pairing, and alone only if that fails, naming the
/// invalid ones.
pub fn check(verifier: &BatchVerifier, named: Vec<Named>) -> Outcome {
    let mut outcome = Outcome::default();
    let mut names = Vec::new();
    let mut claims = Vec::new();
    for n in named {
        match n.claim {
            Ok(c) => {
                names.push(n.name);
                claims.push(c);
            }
            Err(e) => outcome.malformed.push((n.name, e.to_string())),
        }
    }
    let invalid = verifier.locate_invalid(&claims);
    for (i, name) in names.into_iter().enumerate() {
        if invalid.contains(&i) {
            outcome.invalid.push(name);
        } else {
            outcome.valid.push(name);
        }
    }
    outcome
}
