//! circomlib's Poseidon in R1CS.
//!
//! For `n` inputs (width `t = n + 1`) the state starts as `[0, x_1, …, x_n]` and every round `r`
//! enforces, for the native constants `C` and MDS matrix `M` of `zksettle_core::poseidon`:
//!
//! ```text
//! u_i = s_i + C[r·t + i]                          (free: linear)
//! v_i = u_i^5   (all i in a full round, i = 0 in a partial round; 3 constraints each:
//!                a = u·u, b = a·a, v = b·u)
//! s'  = M · v                                     (free: linear)
//! ```
//!
//! so a hash costs `3·(8·t + R_P(t)) − 3` constraints (the first S-box acts on the constant
//! capacity cell): 240 for two inputs (a tree node, as circomlib's `Poseidon(2)`), 336 for six (a
//! leaf). The output is `s_0` after the last round.

use super::FrVar;
use ark_bn254::Fr;
use ark_ff::AdditiveGroup;
use ark_r1cs_std::fields::fp::{AllocatedFp, FpVar};
use ark_r1cs_std::fields::FieldVar;

use ark_relations::gr1cs::{LinearCombination, SynthesisError};
use zksettle_core::poseidon::params;

/// Poseidon of 1 to 16 inputs, equal to `zksettle_core::poseidon::poseidon` on their values.
///
/// Refuses other input counts with [`SynthesisError::Unsatisfiable`]: a circuit shape that asks
/// for them is a bug of the circuit, not of the witness.
pub fn poseidon(inputs: &[FrVar]) -> Result<FrVar, SynthesisError> {
    let p = params(inputs.len()).map_err(|_| SynthesisError::Unsatisfiable)?;
    let t = p.width;
    let mut state: Vec<FrVar> = std::iter::once(FpVar::zero())
        .chain(inputs.iter().cloned())
        .collect();
    for r in 0..p.rounds() {
        for (s, c) in state.iter_mut().zip(&p.round_constants[r * t..(r + 1) * t]) {
            *s += *c;
        }
        if p.is_full_round(r) {
            for s in state.iter_mut() {
                *s = pow5(s)?;
            }
        } else {
            state[0] = pow5(&state[0])?;
        }
        state = p
            .mds
            .iter()
            .map(|row| linear_combination(row, &state))
            .collect::<Result<_, _>>()?;
    }
    Ok(state.swap_remove(0))
}

/// `x^5` in three constraints.
fn pow5(x: &FrVar) -> Result<FrVar, SynthesisError> {
    let x4 = x.square()?.square()?;
    Ok(x4 * x)
}

/// `Σ coefficients[j] · terms[j]` as one linear combination (no constraint). Built in one piece
/// rather than by `+` and `*`, which would leave a symbolic variable per operation.
pub fn linear_combination(coefficients: &[Fr], terms: &[FrVar]) -> Result<FrVar, SynthesisError> {
    let mut constant = Fr::ZERO;
    let mut lc = LinearCombination::zero();
    let mut value = Some(Fr::ZERO);
    let mut cs = None;
    for (c, term) in coefficients.iter().zip(terms) {
        match term {
            FpVar::Constant(k) => constant += *c * k,
            FpVar::Var(v) => {
                lc += (*c, v.variable);
                value = value.zip(v.value().ok()).map(|(acc, x)| acc + *c * x);
                cs.get_or_insert_with(|| v.cs.clone());
            }
        }
    }
    let Some(cs) = cs else {
        return Ok(FpVar::Constant(constant));
    };
    let value = value.map(|v| v + constant);
    let lc = lc + (constant, ark_relations::gr1cs::Variable::One);
    let variable = cs.new_lc(|| lc)?;
    // In setup mode there are no values; the variable is still fully defined by the LC.
    let value = if cs.is_in_setup_mode() { None } else { value };
    Ok(FpVar::Var(AllocatedFp::new(value, variable, cs)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::Field;
    use ark_r1cs_std::alloc::AllocVar;
    use ark_r1cs_std::eq::EqGadget;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;
    use zksettle_core::poseidon::{poseidon as native, PARTIAL_ROUNDS};

    fn random_fr(rng: &mut ChaCha20Rng) -> Fr {
        let bytes: [u8; 32] = rng.random();
        <Fr as ark_ff::PrimeField>::from_le_bytes_mod_order(&bytes)
    }

    #[test]
    fn matches_native_for_every_width_at_the_documented_cost() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for n in 1..=16 {
            let values: Vec<Fr> = (0..n).map(|_| random_fr(&mut rng)).collect();
            let cs = ConstraintSystem::<Fr>::new_ref();
            let vars: Vec<FrVar> = values
                .iter()
                .map(|v| FpVar::new_witness(cs.clone(), || Ok(*v)).unwrap())
                .collect();
            let before = cs.num_constraints();
            let out = poseidon(&vars).unwrap();
            let t = n + 1;
            assert_eq!(
                cs.num_constraints() - before,
                3 * (8 * t + PARTIAL_ROUNDS[t - 2]) - 3,
                "width {t}"
            );
            let expected = native(&values).unwrap();
            assert_eq!(out.value().unwrap(), expected, "{n} inputs");
            out.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(expected)).unwrap())
                .unwrap();
            cs.finalize();
            assert!(cs.is_satisfied().unwrap(), "{n} inputs");
        }
    }

    #[test]
    fn a_wrong_output_is_unsatisfiable() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let a = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1u64))).unwrap();
        let b = FpVar::new_witness(cs.clone(), || Ok(Fr::from(2u64))).unwrap();
        let out = poseidon(&[a, b]).unwrap();
        let claimed = native(&[Fr::from(1u64), Fr::from(3u64)]).unwrap();
        out.enforce_equal(&FpVar::new_input(cs.clone(), || Ok(claimed)).unwrap())
            .unwrap();
        cs.finalize();
        assert!(!cs.is_satisfied().unwrap());
    }

    #[test]
    fn constant_inputs_cost_nothing() {
        let out = poseidon(&[FpVar::constant(Fr::from(5u64))]).unwrap();
        assert!(out.is_constant());
        assert_eq!(out.value().unwrap(), native(&[Fr::from(5u64)]).unwrap());
    }

    #[test]
    fn refuses_unsupported_widths() {
        assert!(poseidon(&[]).is_err());
        assert!(poseidon(&vec![FpVar::constant(Fr::ONE); 17]).is_err());
    }
}
