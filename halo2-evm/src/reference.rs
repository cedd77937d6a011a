//! The EVM verifier's algorithm in Rust, over an [`EvmKey`] alone: what the Solidity verifier
//! computes, step for step, so that it can be checked against halo2's own verifier here and
//! the contract checked against it.
//!
//! With `x^n` written `xn` and `L_i(x) = ω^i·(xn − 1) / (n·(x − ω^i))`:
//!
//! ```text
//! instance(x) = Σ_j inst_j·L_j(x)
//! h(x)·(xn − 1) = fold_y(gates, permutation, lookups)            (the expected quotient)
//! per point set s (point z_s = x·ω^rot_s, openings j):
//!   C_s = Σ_j v^j·C_sj,  e_s = Σ_j v^j·e_sj
//! left  = Σ_s u^s·W_s
//! right = Σ_s u^s·(z_s·W_s + C_s) − (Σ_s u^s·e_s)·G1
//! e(left, τ·G2) = e(right, G2)
//! ```
//!
//! The permutation and lookup identities are halo2's (`plonk/permutation/verifier.rs`,
//! `plonk/lookup/verifier.rs`), with `l_0`, `l_last = L_last(x)` and `l_blind`, the sum of
//! `L_i(x)` over the blinding rows.

use crate::key::{ColumnEvaluation, Commitment, Evaluation, EvmKey};
use crate::program::{self, Inputs, RunError};
use crate::Fr;
use halo2_proofs::halo2curves::bn256::{Bn256, G1Affine, G2Prepared, Gt, G1};
use halo2_proofs::halo2curves::ff::Field as _;
use halo2_proofs::halo2curves::group::{Curve as _, Group as _};
use halo2_proofs::halo2curves::pairing::{MillerLoopResult as _, MultiMillerLoop as _};
use halo2_proofs::transcript::{Transcript as _, TranscriptRead as _, TranscriptReadBuffer as _};
use zksettle_halo2_circuit::halo2_proofs;
use zksettle_halo2_circuit::transcript::EvmTranscriptRead;

/// Why a proof is refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// Not the number of public inputs the key was made for.
    #[error("{got} public inputs, the key takes {expected}")]
    Instances {
        /// Given.
        got: usize,
        /// The key's.
        expected: usize,
    },
    /// The proof is cut short, has a point off the curve or a scalar past `r`.
    #[error("malformed proof: {0}")]
    Malformed(#[from] std::io::Error),
    /// Bytes after the last opening witness.
    #[error("{0} bytes after the proof")]
    Trailing(usize),
    /// A program of the key does not run.
    #[error("the key's programs do not run: {0}")]
    Program(#[from] RunError),
    /// `x` is a root of unity (`xn = 1`) or `x = ω^i` for a Lagrange basis point: no quotient.
    #[error("the challenge x fell on the domain")]
    Degenerate,
    /// The pairing check fails.
    #[error("the opening proof does not verify")]
    Pairing,
}

/// Verifies `proof` for `instances` under `key`.
pub fn verify(key: &EvmKey, instances: &[Fr], proof: &[u8]) -> Result<(), Refusal> {
    if instances.len() != key.num_instances {
        return Err(Refusal::Instances {
            got: instances.len(),
            expected: key.num_instances,
        });
    }
    let mut reader = std::io::Cursor::new(proof);
    let mut transcript = EvmTranscriptRead::init(&mut reader);
    transcript.common_scalar(key.transcript_repr)?;
    for value in instances {
        transcript.common_scalar(*value)?;
    }
    let challenge = |t: &mut EvmTranscriptRead<_>| *t.squeeze_challenge_scalar::<()>();

    let mut points: Vec<G1Affine> = Vec::with_capacity(key.num_proof_points());
    let mut read_points = |t: &mut EvmTranscriptRead<_>, count: usize| {
        for _ in 0..count {
            points.push(t.read_point()?);
        }
        Ok::<_, std::io::Error>(())
    };
    read_points(&mut transcript, key.num_advice)?;
    let theta = challenge(&mut transcript);
    read_points(&mut transcript, 2 * key.num_lookups)?;
    let beta = challenge(&mut transcript);
    let gamma = challenge(&mut transcript);
    read_points(&mut transcript, key.permutation_sets + key.num_lookups + 1)?;
    let y = challenge(&mut transcript);
    read_points(&mut transcript, key.quotient_pieces)?;
    let x = challenge(&mut transcript);
    let evals = (0..key.num_evals())
        .map(|_| transcript.read_scalar())
        .collect::<Result<Vec<Fr>, _>>()?;
    let v = challenge(&mut transcript);
    let witnesses = (0..key.point_rotations.len())
        .map(|_| transcript.read_point())
        .collect::<Result<Vec<G1Affine>, _>>()?;
    let u = challenge(&mut transcript);
    drop(transcript);
    let trailing = proof.len() - reader.position() as usize;
    if trailing != 0 {
        return Err(Refusal::Trailing(trailing));
    }

    let xn = x.pow_vartime([1u64 << key.k]);
    let lagrange = |i: i32| -> Result<Fr, Refusal> {
        let omega_i = key.omega_to(i);
        let denominator = (x - omega_i) * key.n();
        let inverse = Option::<Fr>::from(denominator.invert()).ok_or(Refusal::Degenerate)?;
        Ok(omega_i * (xn - Fr::ONE) * inverse)
    };
    let l_0 = lagrange(0)?;
    let l_last = lagrange(key.last_rotation())?;
    let l_blind = (1..=key.blinding_factors as i32)
        .map(|i| lagrange(-i))
        .sum::<Result<Fr, _>>()?;
    let instance = (0..key.num_instances)
        .zip(instances)
        .map(|(j, value)| Ok(*value * lagrange(j as i32)?))
        .sum::<Result<Fr, Refusal>>()?;

    let inputs = Inputs {
        evals: &evals,
        instance,
        constants: &key.constants,
    };
    let mut registers = vec![Fr::ZERO; key.registers];
    let mut h = program::run(&key.gates, inputs, &mut registers, y, Fr::ZERO)?;
    for term in permutation_terms(
        key,
        &evals,
        instance,
        (l_0, l_last, l_blind),
        beta,
        gamma,
        x,
    ) {
        h = h * y + term;
    }
    for lookup in 0..key.num_lookups {
        let lagrange = (l_0, l_last, l_blind);
        let terms = lookup_terms(
            key,
            lookup,
            inputs,
            &mut registers,
            lagrange,
            theta,
            (beta, gamma),
        )?;
        for term in terms {
            h = h * y + term;
        }
    }
    let vanishing = Option::<Fr>::from((xn - Fr::ONE).invert()).ok_or(Refusal::Degenerate)?;
    let expected_quotient = h * vanishing;

    // The quotient commitment Σ xn^i·H_i.
    let pieces = &points[points.len() - key.quotient_pieces..];
    let quotient = pieces
        .iter()
        .rev()
        .fold(G1::identity(), |acc, piece| acc * xn + piece);

    let mut left = G1::identity();
    let mut right = G1::identity();
    let mut evaluation = Fr::ZERO;
    let mut u_power = Fr::ONE;
    for (set, (rotation, witness)) in key.point_rotations.iter().zip(&witnesses).enumerate() {
        let z = x * key.omega_to(*rotation);
        let mut v_power = Fr::ONE;
        let mut commitments = G1::identity();
        let mut values = Fr::ZERO;
        for opening in key.openings.iter().filter(|o| o.point == set) {
            let commitment: G1 = match opening.commitment {
                Commitment::Proof(i) => points[i].into(),
                Commitment::Fixed(i) => key.fixed_commitments[i].into(),
                Commitment::Sigma(i) => key.sigma_commitments[i].into(),
                Commitment::Quotient => quotient,
            };
            let value = match opening.evaluation {
                Evaluation::Proof(i) => evals[i],
                Evaluation::Quotient => expected_quotient,
            };
            commitments += commitment * v_power;
            values += value * v_power;
            v_power *= v;
        }
        left += *witness * u_power;
        right += *witness * (u_power * z) + commitments * u_power;
        evaluation += values * u_power;
        u_power *= u;
    }
    right -= G1::from(key.g1) * evaluation;

    let pairing = Bn256::multi_miller_loop(&[
        (&left.to_affine(), &G2Prepared::from(key.s_g2)),
        (&(-right).to_affine(), &G2Prepared::from(key.g2)),
    ])
    .final_exponentiation();
    if pairing == Gt::identity() {
        Ok(())
    } else {
        Err(Refusal::Pairing)
    }
}

/// halo2's permutation identities, in its order.
fn permutation_terms(
    key: &EvmKey,
    evals: &[Fr],
    instance: Fr,
    (l_0, l_last, l_blind): (Fr, Fr, Fr),
    beta: Fr,
    gamma: Fr,
    x: Fr,
) -> Vec<Fr> {
    let start = key.permutation_evals_start();
    let z = |set: usize| evals[start + 3 * set];
    let z_next = |set: usize| evals[start + 3 * set + 1];
    let z_last = |set: usize| evals[start + 3 * set + 2];
    let sets = key.permutation_sets;
    let mut terms = Vec::new();
    if sets == 0 {
        return terms;
    }
    terms.push(l_0 * (Fr::ONE - z(0)));
    terms.push((z(sets - 1).square() - z(sets - 1)) * l_last);
    for set in 1..sets {
        terms.push((z(set) - z_last(set - 1)) * l_0);
    }
    let column = |c: &ColumnEvaluation| match c {
        ColumnEvaluation::Proof(i) => evals[*i],
        ColumnEvaluation::Instance => instance,
    };
    let sigma_start = key.sigma_evals_start();
    let active = Fr::ONE - (l_last + l_blind);
    let mut delta_power = beta * x;
    for (set, columns) in key.permutation_columns.chunks(key.chunk_len).enumerate() {
        let mut left = z_next(set);
        let mut right = z(set);
        for (i, c) in columns.iter().enumerate() {
            let value = column(c);
            let sigma = evals[sigma_start + set * key.chunk_len + i];
            left *= value + beta * sigma + gamma;
            right *= value + delta_power + gamma;
            delta_power *= EvmKey::delta();
        }
        terms.push((left - right) * active);
    }
    terms
}

/// halo2's lookup identities for one lookup, in its order.
fn lookup_terms(
    key: &EvmKey,
    lookup: usize,
    inputs: Inputs<'_>,
    registers: &mut [Fr],
    (l_0, l_last, l_blind): (Fr, Fr, Fr),
    theta: Fr,
    (beta, gamma): (Fr, Fr),
) -> Result<[Fr; 5], RunError> {
    let e = &inputs.evals[key.lookup_evals_start() + 5 * lookup..];
    let (product, product_next, input, input_prev, table) = (e[0], e[1], e[2], e[3], e[4]);
    let programs = &key.lookups[lookup];
    let compressed_input = program::run(&programs.input, inputs, registers, theta, Fr::ZERO)?;
    let compressed_table = program::run(&programs.table, inputs, registers, theta, Fr::ZERO)?;
    let active = Fr::ONE - (l_last + l_blind);
    let left = product_next * (input + beta) * (table + gamma);
    let right = product * (compressed_input + beta) * (compressed_table + gamma);
    Ok([
        l_0 * (Fr::ONE - product),
        l_last * (product.square() - product),
        (left - right) * active,
        l_0 * (input - table),
        (input - table) * (input - input_prev) * active,
    ])
}
