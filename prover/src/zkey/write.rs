//! Writing a `.zkey` ([`Zkey::write`]): the bytes snarkjs writes for the same key.

use super::binfile::{g1_stored, g2_stored, N8};
use super::{Contribution, Zkey};
use ark_bn254::{Fq, Fr, G1Affine};
use ark_ff::{BigInteger, Field, PrimeField};
use std::io::{self, Write};

/// The order `snarkjs groth16 setup` writes a new key's sections in.
pub const SETUP_ORDER: [u32; 10] = [1, 2, 4, 3, 9, 8, 5, 6, 7, 10];
/// The order `snarkjs zkey contribute` and `zkey beacon` write theirs in.
pub const CONTRIBUTION_ORDER: [u32; 10] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

impl Zkey {
    /// Writes the key as a `.zkey`, its sections in `order` (a permutation of 1 to 10; snarkjs
    /// reads any order, the bytes depend on it).
    pub fn write(&self, out: &mut impl Write, order: &[u32; 10]) -> io::Result<()> {
        out.write_all(b"zkey")?;
        out.write_all(&1u32.to_le_bytes())?;
        out.write_all(&10u32.to_le_bytes())?;
        for &kind in order {
            let body = self.section(kind)?;
            out.write_all(&kind.to_le_bytes())?;
            out.write_all(&(body.len() as u64).to_le_bytes())?;
            out.write_all(&body)?;
        }
        Ok(())
    }

    fn section(&self, kind: u32) -> io::Result<Vec<u8>> {
        let pk = &self.proving_key;
        let g1s = |points: &[G1Affine]| -> Vec<u8> { points.iter().flat_map(g1_stored).collect() };
        Ok(match kind {
            1 => 1u32.to_le_bytes().to_vec(),
            2 => {
                let mut b = Vec::with_capacity(660);
                for modulus in [Fq::MODULUS.to_bytes_le(), Fr::MODULUS.to_bytes_le()] {
                    b.extend((N8 as u32).to_le_bytes());
                    b.extend(modulus);
                }
                for n in [self.n_vars, self.n_public, self.domain_size] {
                    b.extend(u32_of(n)?.to_le_bytes());
                }
                b.extend(g1_stored(&pk.vk.alpha_g1));
                b.extend(g1_stored(&pk.beta_g1));
                b.extend(g2_stored(&pk.vk.beta_g2));
                b.extend(g2_stored(&pk.vk.gamma_g2));
                b.extend(g1_stored(&pk.delta_g1));
                b.extend(g2_stored(&pk.vk.delta_g2));
                b
            }
            3 => g1s(&pk.vk.gamma_abc_g1),
            4 => {
                // Values as snarkjs stores them: c·R² mod r, R = 2^256.
                let r_squared = Fr::from(2u64).pow([512u64]);
                let mut b = Vec::with_capacity(4 + self.coefficients.len() * (12 + N8));
                b.extend(u32_of(self.coefficients.len())?.to_le_bytes());
                for c in &self.coefficients {
                    b.extend(c.matrix.to_le_bytes());
                    b.extend(c.constraint.to_le_bytes());
                    b.extend(c.wire.to_le_bytes());
                    b.extend((c.value * r_squared).into_bigint().to_bytes_le());
                }
                b
            }
            5 => g1s(&pk.a_query),
            6 => g1s(&pk.b_g1_query),
            7 => pk.b_g2_query.iter().flat_map(g2_stored).collect(),
            8 => g1s(&pk.l_query),
            9 => g1s(&pk.h_query),
            10 => {
                let ceremony = self.ceremony.as_ref().ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "the key has no ceremony record",
                    )
                })?;
                let mut b = ceremony.cs_hash.to_vec();
                b.extend(u32_of(ceremony.contributions.len())?.to_le_bytes());
                for c in &ceremony.contributions {
                    write_contribution(c, &mut b)?;
                }
                b
            }
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "a Groth16 key has sections 1 to 10",
                ))
            }
        })
    }
}

/// One contribution's record: its points, transcript, type and TLV parameters in increasing
/// id (1 the name, at most 64 characters; 2 and 3 a beacon's exponent and hash).
fn write_contribution(c: &Contribution, b: &mut Vec<u8>) -> io::Result<()> {
    b.extend(g1_stored(&c.delta_after));
    b.extend(g1_stored(&c.g1_s));
    b.extend(g1_stored(&c.g1_sx));
    b.extend(g2_stored(&c.g2_spx));
    b.extend(c.transcript);
    b.extend(u32::from(c.beacon.is_some()).to_le_bytes());
    let mut params = Vec::new();
    if let Some(name) = &c.name {
        let name: String = name.chars().take(64).collect();
        params.push(1);
        params.push(u8_of(name.len())?);
        params.extend(name.as_bytes());
    }
    if let Some(beacon) = &c.beacon {
        params.extend([2, beacon.exponent, 3, u8_of(beacon.hash.len())?]);
        params.extend(&beacon.hash);
    }
    b.extend(u32_of(params.len())?.to_le_bytes());
    b.extend(params);
    Ok(())
}

fn u32_of(n: usize) -> io::Result<u32> {
    u32::try_from(n).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a count over 2^32"))
}

fn u8_of(n: usize) -> io::Result<u8> {
    u8::try_from(n)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a parameter over 255 bytes"))
}
