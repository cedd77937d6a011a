//! Poseidon over the BN254 scalar field with circomlib's parameters, bit-exact with
//! circomlibjs `poseidon()` and circomlib's `Poseidon(n)` template for 1 to 16 inputs.
//!
//! For `n` inputs the permutation width is `t = n + 1`, the state starts as `[0, x_1, …, x_n]`,
//! and each of the `8 + R_P(t)` rounds computes, with round constants `C` and MDS matrix `M`:
//!
//! ```text
//! s_i ← s_i + C[r·t + i]
//! s_i ← s_i^5            for every i in a full round (the first 4 and last 4), for i = 0 in a partial round
//! s   ← M · s
//! ```
//!
//! The hash is `s_0` after the last round. Constants are circomlib's (produced by the Poseidon
//! authors' Grain-LFSR reference script for x^5, 254-bit prime field, R_F = 8); they are shipped as
//! a compact binary table whose SHA-256 is pinned in the tests.

mod sparse;

use crate::field::Fr;
use ark_ff::{AdditiveGroup, Field, PrimeField};
use sparse::SparseParams;
use std::sync::OnceLock;

/// The most inputs one Poseidon call takes (circomlib's limit).
pub const MAX_INPUTS: usize = 16;
/// Full rounds, for every width.
pub const FULL_ROUNDS: usize = 8;
/// Partial rounds for widths `t = 2 ..= 17`, indexed by `t - 2` (circomlib's table).
pub const PARTIAL_ROUNDS: [usize; MAX_INPUTS] = [
    56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68,
];

/// circomlib's round constants and MDS matrices for t = 2..=17: for each t, `C` (t·rounds values)
/// then `M` (t×t, row-major), each a 32-byte big-endian field element.
const CONSTANTS_TABLE: &[u8] = include_bytes!("circomlib_constants.bin");

/// Why a Poseidon call was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PoseidonError {
    /// circomlib's Poseidon takes 1 to 16 inputs.
    #[error("poseidon takes 1 to {MAX_INPUTS} inputs, got {0}")]
    InputCount(usize),
}

/// Round constants and MDS matrix for one permutation width.
#[derive(Debug, Clone)]
pub struct PoseidonParams {
    /// State width `t` (inputs + 1).
    pub width: usize,
    /// Partial rounds `R_P` for this width.
    pub partial_rounds: usize,
    /// Round constants, `width` per round.
    pub round_constants: Vec<Fr>,
    /// MDS matrix rows.
    pub mds: Vec<Vec<Fr>>,
}

impl PoseidonParams {
    /// Total rounds `R_F + R_P`.
    pub fn rounds(&self) -> usize {
        FULL_ROUNDS + self.partial_rounds
    }

    /// Whether round `r` applies the S-box to every cell.
    pub fn is_full_round(&self, r: usize) -> bool {
        r < FULL_ROUNDS / 2 || r >= FULL_ROUNDS / 2 + self.partial_rounds
    }
}

fn all_params() -> &'static [PoseidonParams] {
    static PARAMS: OnceLock<Vec<PoseidonParams>> = OnceLock::new();
    PARAMS.get_or_init(|| {
        let mut elements = CONSTANTS_TABLE
            .chunks_exact(32)
            .map(Fr::from_be_bytes_mod_order);
        let mut out = Vec::with_capacity(MAX_INPUTS);
        for (width, &partial_rounds) in (2..).zip(PARTIAL_ROUNDS.iter()) {
            let round_constants: Vec<Fr> = elements
                .by_ref()
                .take(width * (FULL_ROUNDS + partial_rounds))
                .collect();
            let mds: Vec<Vec<Fr>> = (0..width)
                .map(|_| elements.by_ref().take(width).collect())
                .collect();
            out.push(PoseidonParams {
                width,
                partial_rounds,
                round_constants,
                mds,
            });
        }
        assert!(
            elements.next().is_none(),
            "poseidon constant table has trailing data"
        );
        out
    })
}

/// Parameters for a hash of `inputs` elements (for circuits that mirror this permutation).
pub fn params(inputs: usize) -> Result<&'static PoseidonParams, PoseidonError> {
    if inputs == 0 || inputs > MAX_INPUTS {
        return Err(PoseidonError::InputCount(inputs));
    }
    Ok(&all_params()[inputs - 1])
}

#[inline(always)]
fn pow5(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

fn sparse_params(inputs: usize) -> &'static SparseParams {
    // Per width: deriving the sparse form of t = 17 alone costs tens of milliseconds.
    static SPARSE: [OnceLock<SparseParams>; MAX_INPUTS] = [const { OnceLock::new() }; MAX_INPUTS];
    SPARSE[inputs - 1].get_or_init(|| SparseParams::new(&all_params()[inputs - 1]))
}

/// The textbook permutation, as the module docs state it (circuits mirror this form; the native
/// hash runs the equivalent sparse form).
#[cfg(test)]
fn permute(p: &PoseidonParams, state: &mut [Fr]) {
    let t = p.width;
    let mut next = [Fr::ZERO; MAX_INPUTS + 1];
    for r in 0..p.rounds() {
        for (s, c) in state.iter_mut().zip(&p.round_constants[r * t..(r + 1) * t]) {
            *s += c;
        }
        if p.is_full_round(r) {
            state.iter_mut().for_each(|s| *s = pow5(*s));
        } else {
            state[0] = pow5(state[0]);
        }
        for (n, row) in next.iter_mut().zip(&p.mds) {
            *n = row.iter().zip(state.iter()).map(|(m, s)| *m * s).sum();
        }
        state.copy_from_slice(&next[..t]);
    }
}

/// Hashes 1 to 16 field elements exactly as circomlibjs `poseidon(inputs)` does.
pub fn poseidon(inputs: &[Fr]) -> Result<Fr, PoseidonError> {
    let p = params(inputs.len())?;
    let mut state = [Fr::ZERO; MAX_INPUTS + 1];
    state[1..=inputs.len()].copy_from_slice(inputs);
    Ok(sparse_params(inputs.len()).hash(&mut state[..p.width]))
}

/// Poseidon of two elements.
pub fn poseidon2(left: Fr, right: Fr) -> Fr {
    poseidon(&[left, right]).expect("two inputs are within circomlib's range")
}

/// Poseidon of four elements: the account tree's node hash (children in position order).
pub fn poseidon4(children: [Fr; 4]) -> Fr {
    poseidon(&children).expect("four inputs are within circomlib's range")
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn constant_table_is_circomlibs() {
        // SHA-256 of circomlibjs 0.1.7 `poseidon_constants.json` (C and M for t = 2..=17) laid
        // out as described on `CONSTANTS_TABLE`; a different table is a different hash function.
        let digest = hex::encode(Sha256::digest(CONSTANTS_TABLE));
        assert_eq!(
            digest,
            "5243c148ce09f35ab26d165cebb81c7effd00e89f3c0ae46df35177bebee4135"
        );
        let expected_len: usize = PARTIAL_ROUNDS
            .iter()
            .enumerate()
            .map(|(i, rp)| (i + 2) * (FULL_ROUNDS + rp) + (i + 2) * (i + 2))
            .sum();
        assert_eq!(CONSTANTS_TABLE.len(), expected_len * 32);
    }

    #[test]
    fn rejects_out_of_range_input_counts() {
        assert_eq!(poseidon(&[]), Err(PoseidonError::InputCount(0)));
        assert_eq!(
            poseidon(&[Fr::ZERO; 17]),
            Err(PoseidonError::InputCount(17))
        );
    }

    #[test]
    fn sparse_form_equals_the_textbook_permutation_for_every_width() {
        use ark_std::UniformRand;
        let mut rng = ark_std::test_rng();
        for inputs in 1..=MAX_INPUTS {
            let p = params(inputs).unwrap();
            for _ in 0..4 {
                let mut state: Vec<Fr> = (0..p.width).map(|_| Fr::rand(&mut rng)).collect();
                let mut expected = state.clone();
                permute(p, &mut expected);
                let hash = sparse_params(inputs).hash(&mut state.clone());
                sparse_params(inputs).permute(&mut state);
                assert_eq!(state, expected, "width {}", p.width);
                assert_eq!(hash, expected[0], "width {}", p.width);
            }
        }
    }

    #[test]
    fn known_value_one_two() {
        // circomlibjs: poseidon([1, 2])
        let h = poseidon(&[Fr::from(1u64), Fr::from(2u64)]).unwrap();
        assert_eq!(
            crate::field::fr_to_decimal(&h),
            "7853200120776062878684798364095072458815029376092732009249414926327459813530"
        );
    }
}
