//! snarkjs' JSON formats for Groth16 on BN254 (`bn128`): `verification_key.json`,
//! `proof.json` and `public.json`, so that `snarkjs groth16 verify` accepts what zksettle
//! exports and zksettle accepts what snarkjs verifies.
//!
//! Numbers are decimal strings. A G1 point is `[x, y, "1"]` (the identity `["0", "1", "0"]`),
//! a G2 point `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]`. Imports refuse non-canonical numbers
//! (≥ the modulus), points off their curve or outside the prime-order subgroup, and a key whose
//! `nPublic` disagrees with its `IC`.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, PrimeField};
use ark_groth16::{Proof, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Why a snarkjs JSON file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnarkjsError {
    /// Not a Groth16 file.
    #[error("protocol is {0:?}, expected \"groth16\"")]
    Protocol(String),
    /// Not BN254.
    #[error("curve is {0:?}, expected \"bn128\"")]
    Curve(String),
    /// Not a decimal number at all.
    #[error("{what}: {value:?} is not a decimal number")]
    NotDecimal {
        /// Where.
        what: &'static str,
        /// The text.
        value: String,
    },
    /// A point coordinate at or above the base field's modulus q.
    #[error("{what}: coordinate {value} is not below the base field modulus q")]
    CoordinateNotReduced {
        /// Where.
        what: &'static str,
        /// The text.
        value: String,
    },
    /// A public input at or above the scalar field's modulus r.
    #[error("public input {index}: {value} is not below the scalar field modulus r")]
    PublicInputNotReduced {
        /// Which input (from 0).
        index: usize,
        /// The text.
        value: String,
    },
    /// A point with a malformed projective coordinate.
    #[error("{0}: the last coordinate must be 1 (or 0 for the identity)")]
    Projective(&'static str),
    /// A point off its curve.
    #[error("{0} is not on the curve")]
    OffCurve(&'static str),
    /// A G2 point whose limbs are in the EVM's order (`[c1, c0]`) where snarkjs has `[c0, c1]`.
    #[error("{0}: the G2 coordinates' limbs are swapped (snarkjs orders them [c0, c1], EIP-197 [c1, c0])")]
    SwappedLimbs(&'static str),
    /// A point on the curve but outside the prime-order subgroup.
    #[error("{0} is on the curve but not in the prime-order subgroup")]
    NotInSubgroup(&'static str),
    /// `nPublic` and `IC` disagree, or the input count does not match the key.
    #[error("{what}: expected {expected} public inputs, got {got}")]
    PublicCount {
        /// Where.
        what: &'static str,
        /// What the key takes.
        expected: usize,
        /// What was given.
        got: usize,
    },
}

/// `verification_key.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnarkjsKey {
    /// `"groth16"`.
    pub protocol: String,
    /// `"bn128"`.
    pub curve: String,
    /// Public inputs.
    #[serde(rename = "nPublic")]
    pub n_public: usize,
    /// α in G1.
    pub vk_alpha_1: [String; 3],
    /// β in G2.
    pub vk_beta_2: [[String; 2]; 3],
    /// γ in G2.
    pub vk_gamma_2: [[String; 2]; 3],
    /// δ in G2.
    pub vk_delta_2: [[String; 2]; 3],
    /// The input commitments `IC₀ … IC_n`.
    #[serde(rename = "IC")]
    pub ic: Vec<[String; 3]>,
}

fn word_decimal(word: &[u8; 32]) -> String {
    let mut limbs = [0u64; 4];
    for (i, chunk) in word.rchunks(8).enumerate() {
        limbs[i] = u64::from_be_bytes(chunk.try_into().expect("8-byte chunks"));
    }
    BigInt::<4>::new(limbs).to_string()
}

fn g1_of_words(x: &[u8; 32], y: &[u8; 32]) -> [String; 3] {
    if x == &[0; 32] && y == &[0; 32] {
        return ["0".into(), "1".into(), "0".into()];
    }
    [word_decimal(x), word_decimal(y), "1".into()]
}

/// `proof.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnarkjsProof {
    /// A in G1.
    pub pi_a: [String; 3],
    /// B in G2.
    pub pi_b: [[String; 2]; 3],
    /// C in G1.
    pub pi_c: [String; 3],
    /// `"groth16"`.
    pub protocol: String,
    /// `"bn128"`.
    pub curve: String,
}

fn dec<F: PrimeField<BigInt = BigInt<4>>>(x: &F) -> String {
    x.into_bigint().to_string()
}

/// A decimal number as a big integer (at most 256 bits).
fn big(what: &'static str, s: &str) -> Result<BigInt<4>, SnarkjsError> {
    let bad = || SnarkjsError::NotDecimal {
        what,
        value: s.to_owned(),
    };
    // Canonical decimal only, as snarkjs writes it: digits, no sign, no leading zero.
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return Err(bad());
    }
    BigInt::<4>::from_str(s).map_err(|_| bad())
}

/// A base-field coordinate, refusing values ≥ q.
fn coordinate(what: &'static str, s: &str) -> Result<Fq, SnarkjsError> {
    Fq::from_bigint(big(what, s)?).ok_or_else(|| SnarkjsError::CoordinateNotReduced {
        what,
        value: s.to_owned(),
    })
}

fn g1_out(p: &G1Affine) -> [String; 3] {
    match p.xy() {
        Some((x, y)) => [dec(&x), dec(&y), "1".into()],
        None => ["0".into(), "1".into(), "0".into()],
    }
}

fn g2_out(p: &G2Affine) -> [[String; 2]; 3] {
    match p.xy() {
        Some((x, y)) => [
            [dec(&x.c0), dec(&x.c1)],
            [dec(&y.c0), dec(&y.c1)],
            ["1".into(), "0".into()],
        ],
        None => [
            ["0".into(), "0".into()],
            ["1".into(), "0".into()],
            ["0".into(), "0".into()],
        ],
    }
}

fn g1_in(what: &'static str, p: &[String; 3]) -> Result<G1Affine, SnarkjsError> {
    let point = match p[2].as_str() {
        "0" => G1Affine::identity(),
        "1" => G1Affine::new_unchecked(coordinate(what, &p[0])?, coordinate(what, &p[1])?),
        _ => return Err(SnarkjsError::Projective(what)),
    };
    checked(what, point, None)
}

fn g2_in(what: &'static str, p: &[[String; 2]; 3]) -> Result<G2Affine, SnarkjsError> {
    let fq2 = |c: &[String; 2]| -> Result<Fq2, SnarkjsError> {
        Ok(Fq2::new(coordinate(what, &c[0])?, coordinate(what, &c[1])?))
    };
    let (point, swapped) = match (p[2][0].as_str(), p[2][1].as_str()) {
        ("0", "0") => (G2Affine::identity(), None),
        ("1", "0") => {
            let (x, y) = (fq2(&p[0])?, fq2(&p[1])?);
            let swap = |z: Fq2| Fq2::new(z.c1, z.c0);
            (
                G2Affine::new_unchecked(x, y),
                Some(G2Affine::new_unchecked(swap(x), swap(y))),
            )
        }
        _ => return Err(SnarkjsError::Projective(what)),
    };
    checked(what, point, swapped)
}

/// `point` if it is on its curve and in the prime-order subgroup; an off-curve point whose
/// limb-swapped `alternative` is on the curve is named as swapped limbs.
fn checked<P: AffineRepr + OnCurve>(
    what: &'static str,
    point: P,
    alternative: Option<P>,
) -> Result<P, SnarkjsError> {
    if !point.on_curve() {
        return Err(match alternative {
            Some(a) if a.on_curve() => SnarkjsError::SwappedLimbs(what),
            _ => SnarkjsError::OffCurve(what),
        });
    }
    if !point.in_subgroup() {
        return Err(SnarkjsError::NotInSubgroup(what));
    }
    Ok(point)
}

/// The curve checks of short-Weierstrass affine points, for [`checked`].
trait OnCurve {
    fn on_curve(&self) -> bool;
    fn in_subgroup(&self) -> bool;
}

impl<P: ark_ec::short_weierstrass::SWCurveConfig> OnCurve for ark_ec::short_weierstrass::Affine<P> {
    fn on_curve(&self) -> bool {
        self.is_on_curve()
    }

    fn in_subgroup(&self) -> bool {
        self.is_in_correct_subgroup_assuming_on_curve()
    }
}

fn check_header(protocol: &str, curve: &str) -> Result<(), SnarkjsError> {
    if protocol != "groth16" {
        return Err(SnarkjsError::Protocol(protocol.to_owned()));
    }
    if curve != "bn128" {
        return Err(SnarkjsError::Curve(curve.to_owned()));
    }
    Ok(())
}

impl SnarkjsKey {
    /// The key in snarkjs' form.
    pub fn export(vk: &VerifyingKey<Bn254>) -> Self {
        SnarkjsKey {
            protocol: "groth16".into(),
            curve: "bn128".into(),
            n_public: vk.gamma_abc_g1.len() - 1,
            vk_alpha_1: g1_out(&vk.alpha_g1),
            vk_beta_2: g2_out(&vk.beta_g2),
            vk_gamma_2: g2_out(&vk.gamma_g2),
            vk_delta_2: g2_out(&vk.delta_g2),
            ic: vk.gamma_abc_g1.iter().map(g1_out).collect(),
        }
    }

    /// The key, every point checked.
    pub fn import(&self) -> Result<VerifyingKey<Bn254>, SnarkjsError> {
        check_header(&self.protocol, &self.curve)?;
        if self.ic.len() != self.n_public + 1 {
            return Err(SnarkjsError::PublicCount {
                what: "IC",
                expected: self.n_public + 1,
                got: self.ic.len(),
            });
        }
        Ok(VerifyingKey {
            alpha_g1: g1_in("vk_alpha_1", &self.vk_alpha_1)?,
            beta_g2: g2_in("vk_beta_2", &self.vk_beta_2)?,
            gamma_g2: g2_in("vk_gamma_2", &self.vk_gamma_2)?,
            delta_g2: g2_in("vk_delta_2", &self.vk_delta_2)?,
            gamma_abc_g1: self
                .ic
                .iter()
                .map(|p| g1_in("IC", p))
                .collect::<Result<_, _>>()?,
        })
    }
}

impl SnarkjsProof {
    /// The proof as the EVM verifier took it (`A.x, A.y, B.x.c1, B.x.c0, B.y.c1, B.y.c0, C.x,
    /// C.y`, big-endian words; zero words for an identity point), unchecked: [`Self::import`]
    /// checks it.
    pub fn from_evm_words(words: &[[u8; 32]; 8]) -> Self {
        let b = if words[2..6].iter().all(|w| w == &[0; 32]) {
            [
                ["0".into(), "0".into()],
                ["1".into(), "0".into()],
                ["0".into(), "0".into()],
            ]
        } else {
            [
                [word_decimal(&words[3]), word_decimal(&words[2])],
                [word_decimal(&words[5]), word_decimal(&words[4])],
                ["1".into(), "0".into()],
            ]
        };
        SnarkjsProof {
            pi_a: g1_of_words(&words[0], &words[1]),
            pi_b: b,
            pi_c: g1_of_words(&words[6], &words[7]),
            protocol: "groth16".into(),
            curve: "bn128".into(),
        }
    }

    /// The proof in snarkjs' form.
    pub fn export(proof: &Proof<Bn254>) -> Self {
        SnarkjsProof {
            pi_a: g1_out(&proof.a),
            pi_b: g2_out(&proof.b),
            pi_c: g1_out(&proof.c),
            protocol: "groth16".into(),
            curve: "bn128".into(),
        }
    }

    /// The proof, every point checked.
    pub fn import(&self) -> Result<Proof<Bn254>, SnarkjsError> {
        check_header(&self.protocol, &self.curve)?;
        Ok(Proof {
            a: g1_in("pi_a", &self.pi_a)?,
            b: g2_in("pi_b", &self.pi_b)?,
            c: g1_in("pi_c", &self.pi_c)?,
        })
    }
}

/// `public.json`: the public inputs as decimal strings.
pub fn export_public(public: &[Fr]) -> Vec<String> {
    public.iter().map(dec).collect()
}

/// Parses `public.json`, refusing values ≥ the scalar field's modulus r.
pub fn import_public(public: &[String]) -> Result<Vec<Fr>, SnarkjsError> {
    public
        .iter()
        .enumerate()
        .map(|(index, s)| {
            Fr::from_bigint(big("public input", s)?).ok_or_else(|| {
                SnarkjsError::PublicInputNotReduced {
                    index,
                    value: s.clone(),
                }
            })
        })
        .collect()
}
