//! The R1CS-to-QAP witness map: the coefficients of Groth16's quotient `h`, on the prover's
//! inline field arithmetic and [`crate::ntt`]'s transforms.
//!
//! With `N` constraints and `ℓ` instance variables (the constant `1` included) over the domain
//! `H = ⟨ω⟩`, `|H| = m ≥ N + ℓ`, the rows are evaluated on the assignment `z`,
//! `a_i = ⟨A_i, z⟩`, `b_i = ⟨B_i, z⟩`, `c_i = ⟨C_i, z⟩` for `i < N`, and libsnark's extra rows
//! bind the instance, `a_{N+j} = z_j` for `j < ℓ`. Interpolating them over `H` gives `A(X)`,
//! `B(X)`, `C(X)`, and
//!
//! ```text
//! h(X) = (A(X)·B(X) − C(X)) / Z_H(X),   Z_H(X) = X^m − 1,
//! ```
//!
//! a polynomial exactly when `z` satisfies the rows. It is computed on the coset `gH`
//! (`g = F::GENERATOR`), where `Z_H` is the non-zero constant `g^m − 1`:
//!
//! 1. `A, B, C`'s coefficients: inverse transforms (decimation in frequency, bit-reversed out);
//! 2. their values on `gH`: coefficient `i` times `g^i/m`, then a transform (decimation in
//!    time, natural order out);
//! 3. `(A·B − C)/(g^m − 1)` pointwise;
//! 4. back to coefficients: an inverse transform, coefficient `i` times `g^{−i}/m`, and one
//!    bit-reversal permutation.
//!
//! These are the seven transforms of `ark_groth16`'s `LibsnarkReduction`, and the result is the
//! same `h` (a test checks it); what differs is the arithmetic under them (MULX/ADX products,
//! branchless additions) and that no transform permutes.
//!
//! ## The reduction of snarkjs' keys ([`Reduction::Circom`])
//!
//! A proving key from a snarkjs ceremony (`.zkey`) holds its `H` query in another basis:
//! `H_i = L^{(2m)}_{2i+1}(τ)·G1/δ`, the Lagrange polynomials of the `2m`-th roots of unity at
//! the odd powers, so the prover needs the *values* of `A·B − C` on the coset `ω_{2m}·H`
//! (`ω_{2m}` a primitive `2m`-th root of unity, `ω_{2m}² = ω`), in natural order:
//!
//! ```text
//! h_i = A(ω_{2m}^{2i+1})·B(ω_{2m}^{2i+1}) − C(ω_{2m}^{2i+1}),   i < m,
//! ```
//!
//! steps 1 and 2 above with `g = ω_{2m}`, then step 3 without the division and without step 4
//! (five transforms). On that coset `Z_H = (−1)^{2i+1} − 1 = −2`, so these are `−2` times the
//! values of the libsnark `h` there: a test checks exactly that.

use crate::field::{FastField, Multiplier, Portable};
use crate::ntt::{bit_reverse_permute, dif, dit, powers, Twiddles};
use crate::parallel::prelude::*;
use ark_bn254::Fr;
use ark_ff::{FftField, Field, Zero};
use ark_groth16::r1cs_to_qap::evaluate_constraint;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_relations::gr1cs::{Matrix, SynthesisError};

/// Which basis the proving key's `H` query is in, and so which `h` the prover sums it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reduction {
    /// `H_i = τ^i·Z_H(τ)·G1/δ` (arkworks' and libsnark's keys, zksettle's own setup): `h` is
    /// the quotient's coefficients.
    #[default]
    Libsnark,
    /// `H_i = L^{(2m)}_{2i+1}(τ)·G1/δ` (snarkjs' `.zkey`): `h` is `A·B − C` on the odd coset.
    Circom,
}

/// The `h` of `reduction` for the assignment `z` (see the module docs): `m` values, the
/// domain's size.
pub fn witness_map(
    reduction: Reduction,
    matrices: &[Matrix<Fr>],
    instance_variables: usize,
    constraints: usize,
    z: &[Fr],
) -> Result<Vec<Fr>, SynthesisError> {
    let rows = QapRows {
        matrices,
        instance_variables,
        constraints,
        z,
    };
    if let Some(adx) = crate::field::adx::Adx::detect() {
        return witness_map_with(adx, reduction, rows);
    }
    witness_map_with(Portable, reduction, rows)
}

/// The rows a witness map evaluates: `A, B, C`, the instance variables (the constant `1`
/// included), the constraints and the assignment `z`.
#[derive(Debug, Clone, Copy)]
pub struct QapRows<'a> {
    /// `A`, `B`, `C`.
    pub matrices: &'a [Matrix<Fr>],
    /// Instance variables, `1` included.
    pub instance_variables: usize,
    /// Constraints (rows).
    pub constraints: usize,
    /// `z = (1, x, w)`.
    pub z: &'a [Fr],
}

/// [`witness_map`] with the given multiplication.
pub fn witness_map_with<M: Multiplier>(
    multiplier: M,
    reduction: Reduction,
    rows: QapRows<'_>,
) -> Result<Vec<Fr>, SynthesisError> {
    let QapRows {
        matrices,
        instance_variables,
        constraints,
        z,
    } = rows;
    let [a_rows, b_rows, c_rows] = matrices else {
        return Err(SynthesisError::Unsatisfiable);
    };
    if a_rows.len() < constraints
        || b_rows.len() < constraints
        || c_rows.len() < constraints
        || z.len() < instance_variables
    {
        return Err(SynthesisError::AssignmentMissing);
    }
    // Rows naming a variable past `z` would index out of it.
    let fits = |rows: &[Vec<(Fr, usize)>]| {
        rows[..constraints]
            .par_iter()
            .all(|row| row.iter().all(|&(_, index)| index < z.len()))
    };
    if !(fits(a_rows) && fits(b_rows) && fits(c_rows)) {
        return Err(SynthesisError::AssignmentMissing);
    }
    let domain = Radix2EvaluationDomain::<Fr>::new(constraints + instance_variables)
        .ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
    let m = domain.size();
    let forward = Twiddles::new(multiplier, domain.group_gen(), m);
    let inverse = Twiddles::new(multiplier, domain.group_gen_inv(), m);
    let g = match reduction {
        Reduction::Libsnark => Fr::GENERATOR,
        Reduction::Circom => {
            Fr::get_root_of_unity(2 * m as u64).ok_or(SynthesisError::PolynomialDegreeTooLarge)?
        }
    };
    // Coefficient `i` sits at position `rev(i)` after an inverse transform: the scalings are
    // laid out the same way.
    let mut to_coset = powers(multiplier, g, domain.size_inv(), m);
    bit_reverse_permute(&mut to_coset);

    let on_coset = |rows: &[Vec<(Fr, usize)>], instance: &[Fr]| -> Vec<Fr> {
        let mut v = vec![Fr::zero(); m];
        v[..constraints]
            .par_iter_mut()
            .zip(rows)
            .for_each(|(v, row)| *v = evaluate_constraint(row, z));
        v[constraints..constraints + instance.len()].copy_from_slice(instance);
        dif(multiplier, &mut v, &inverse);
        v.par_iter_mut()
            .zip(&to_coset)
            .for_each(|(x, scale)| *x = x.mul_fast(scale, multiplier));
        dit(multiplier, &mut v, &forward);
        v
    };
    let (a, b) = crate::parallel::join(
        || on_coset(a_rows, &z[..instance_variables]),
        || on_coset(b_rows, &[]),
    );
    let mut h = on_coset(c_rows, &[]);
    if reduction == Reduction::Circom {
        h.par_iter_mut().zip(&a).zip(&b).for_each(|((c, a), b)| {
            *c = a.mul_fast(b, multiplier).sub_fast(c);
        });
        return Ok(h);
    }
    let g_inverse = g.inverse().ok_or(SynthesisError::DivisionByZero)?;
    let mut from_coset = powers(multiplier, g_inverse, domain.size_inv(), m);
    bit_reverse_permute(&mut from_coset);
    let vanishing_inverse = (g.pow([m as u64]) - Fr::ONE)
        .inverse()
        .ok_or(SynthesisError::DivisionByZero)?;
    h.par_iter_mut().zip(&a).zip(&b).for_each(|((c, a), b)| {
        *c = a
            .mul_fast(b, multiplier)
            .sub_fast(c)
            .mul_fast(&vanishing_inverse, multiplier);
    });
    drop((a, b));
    dif(multiplier, &mut h, &inverse);
    h.par_iter_mut()
        .zip(&from_coset)
        .for_each(|(x, scale)| *x = x.mul_fast(scale, multiplier));
    bit_reverse_permute(&mut h);
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_groth16::r1cs_to_qap::{LibsnarkReduction, R1CSToQAP};
    use ark_poly::GeneralEvaluationDomain;
    use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};

    /// Random sparse rows over `variables` variables (some coefficients one, as synthesis
    /// makes them), and a random assignment: `h` is defined for any `z`, satisfying or not.
    fn random_instance(
        rng: &mut StdRng,
        constraints: usize,
        variables: usize,
    ) -> (Vec<Matrix<Fr>>, Vec<Fr>) {
        let matrices = (0..3)
            .map(|_| {
                (0..constraints)
                    .map(|_| {
                        (0..rng.gen_range(0..5))
                            .map(|_| {
                                let coefficient = if rng.gen_bool(0.3) {
                                    Fr::ONE
                                } else {
                                    Fr::rand(rng)
                                };
                                (coefficient, rng.gen_range(0..variables))
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let mut z: Vec<Fr> = (0..variables).map(|_| Fr::rand(rng)).collect();
        z[0] = Fr::ONE;
        (matrices, z)
    }

    fn agrees_with_ark<M: Multiplier>(multiplier: M) {
        let mut rng = StdRng::seed_from_u64(31);
        for (constraints, instance_variables, variables) in [
            (0, 1, 1),
            (1, 1, 3),
            (3, 1, 4),
            (6, 2, 9),
            (1000, 5, 300),
            (4093, 3, 2000),
        ] {
            let (matrices, z) = random_instance(&mut rng, constraints, variables);
            let expected = LibsnarkReduction::witness_map_from_matrices::<
                Fr,
                GeneralEvaluationDomain<Fr>,
            >(&matrices, instance_variables, constraints, &z)
            .expect("ark's witness map");
            let rows = QapRows {
                matrices: &matrices,
                instance_variables,
                constraints,
                z: &z,
            };
            let got =
                witness_map_with(multiplier, Reduction::Libsnark, rows).expect("the witness map");
            assert_eq!(
                got, expected,
                "{constraints} constraints, {instance_variables} inputs"
            );
        }
    }

    #[test]
    fn quotient_agrees_with_ark_groth16() {
        agrees_with_ark(Portable);
        if let Some(adx) = crate::field::adx::Adx::detect() {
            agrees_with_ark(adx);
        }
    }

    /// `random_instance` with every `C` row replaced by one term that makes the row hold, so
    /// `A·B − C` vanishes on the domain and `h` is a true quotient.
    fn satisfied_instance(
        rng: &mut StdRng,
        constraints: usize,
        variables: usize,
    ) -> (Vec<Matrix<Fr>>, Vec<Fr>) {
        let (mut matrices, z) = random_instance(rng, constraints, variables);
        let c_rows: Vec<Vec<(Fr, usize)>> = matrices[0]
            .iter()
            .zip(&matrices[1])
            .map(|(a, b)| {
                let product = evaluate_constraint(a, &z) * evaluate_constraint(b, &z);
                let k = rng.gen_range(0..variables);
                let coefficient = product * z[k].inverse().expect("random values are non-zero");
                vec![(coefficient, k)]
            })
            .collect();
        matrices[2] = c_rows;
        (matrices, z)
    }

    #[test]
    fn the_circom_values_are_minus_two_times_the_quotient_on_the_odd_coset() {
        use ark_poly::{univariate::DensePolynomial, DenseUVPolynomial, Polynomial};
        let mut rng = StdRng::seed_from_u64(33);
        for (constraints, instance_variables, variables) in
            [(1, 1, 3), (6, 2, 9), (200, 3, 120), (1000, 5, 300)]
        {
            let (matrices, z) = satisfied_instance(&mut rng, constraints, variables);
            let rows = QapRows {
                matrices: &matrices,
                instance_variables,
                constraints,
                z: &z,
            };
            let quotient = DensePolynomial::from_coefficients_vec(
                witness_map_with(Portable, Reduction::Libsnark, rows).unwrap(),
            );
            let m = Radix2EvaluationDomain::<Fr>::new(constraints + instance_variables)
                .unwrap()
                .size();
            let odd = Fr::get_root_of_unity(2 * m as u64).unwrap();
            let omega = Fr::get_root_of_unity(m as u64).unwrap();
            let mut expected = Vec::with_capacity(m);
            let mut x = odd;
            for _ in 0..m {
                let value = quotient.evaluate(&x);
                expected.push(-(value + value));
                x *= omega;
            }
            assert_eq!(
                witness_map_with(Portable, Reduction::Circom, rows).unwrap(),
                expected,
                "{constraints} constraints, Portable"
            );
            if let Some(adx) = crate::field::adx::Adx::detect() {
                assert_eq!(
                    witness_map_with(adx, Reduction::Circom, rows).unwrap(),
                    expected,
                    "{constraints} constraints, ADX"
                );
            }
        }
    }

    #[test]
    fn malformed_instances_are_refused() {
        let mut rng = StdRng::seed_from_u64(32);
        let (mut matrices, z) = random_instance(&mut rng, 10, 5);
        matrices[0][0].push((Fr::ONE, 4));
        assert!(matches!(
            witness_map(Reduction::Libsnark, &matrices[..2], 1, 10, &z),
            Err(SynthesisError::Unsatisfiable)
        ));
        assert!(matches!(
            witness_map(Reduction::Circom, &matrices, 1, 11, &z),
            Err(SynthesisError::AssignmentMissing)
        ));
        assert!(matches!(
            witness_map(Reduction::Libsnark, &matrices, 1, 10, &z[..3]),
            Err(SynthesisError::AssignmentMissing)
        ));
    }
}
