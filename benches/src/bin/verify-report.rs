//! Verifying 1,000 Groth16 proofs: zksettle's batched check (one multi-pairing over a random
//! linear combination) beside `ark_groth16::Groth16::verify_proof` one by one, both on every
//! core. Verification touches only the key and the public input, so a one-input circuit costs
//! exactly what a zksettle batch proof (one public input) costs to verify.
//!
//! `cargo run --release -p zksettle-benches --no-default-features --bin verify-report [N]`

// A bench that cannot set itself up has nothing to measure: stop loudly.
#![allow(clippy::unwrap_used)]

use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_snark::SNARK;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use std::time::Instant;
use zksettle_verifier::{BatchVerifier, Claim};

/// The target: batched throughput at least this many times one by one.
const TARGET_RATIO: f64 = 5.0;

struct Product(Fr, Fr);

impl ConstraintSynthesizer<Fr> for Product {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let c = FpVar::new_input(cs.clone(), || Ok(self.0 * self.1))?;
        let a = FpVar::new_witness(cs.clone(), || Ok(self.0))?;
        let b = FpVar::new_witness(cs, || Ok(self.1))?;
        (a * b).enforce_equal(&c)
    }
}

fn main() {
    let mut results = zksettle_benches::results::Results::new("verify-report");
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(1000);
    let mut rng = StdRng::seed_from_u64(1);
    let (pk, vk) =
        Groth16::<Bn254>::circuit_specific_setup(Product(Fr::from(1u64), Fr::from(1u64)), &mut rng)
            .unwrap();
    // Eight real proofs of distinct statements, re-randomised into `n` distinct valid proofs
    // (proving each one would take most of the run).
    let base: Vec<Claim> = (0..8u64)
        .map(|i| {
            let (a, b) = (Fr::from(i + 2), Fr::from(i + 3));
            Claim {
                public: vec![a * b],
                proof: Groth16::<Bn254>::prove(&pk, Product(a, b), &mut rng).unwrap(),
            }
        })
        .collect();
    let claims: Vec<Claim> = (0..n)
        .map(|i| {
            let c = &base[i % base.len()];
            Claim {
                public: c.public.clone(),
                proof: Groth16::<Bn254>::rerandomize_proof(&vk, &c.proof, &mut rng),
            }
        })
        .collect();
    let verifier = BatchVerifier::new(&vk);

    let started = Instant::now();
    let each = verifier.verify_each(&claims);
    let one_by_one = started.elapsed().as_secs_f64();
    assert!(each.into_iter().all(|ok| ok));
    let started = Instant::now();
    verifier.verify_all(&claims).unwrap();
    let batched = started.elapsed().as_secs_f64();

    let cores = rayon::current_num_threads();
    results.line(format!(
        "verify {n} Groth16 proofs (BN254, one public input) on {cores} threads"
    ));
    results.line(format!(
        "one by one (ark_groth16::verify_proof) {:>8.3} s  {:>8.0} proofs/s",
        one_by_one,
        n as f64 / one_by_one
    ));
    results.line(format!(
        "batched (zksettle)                     {:>8.3} s  {:>8.0} proofs/s",
        batched,
        n as f64 / batched
    ));
    results.line(format!(
        "ratio {:.2}x (target {TARGET_RATIO:.1}x)",
        one_by_one / batched
    ));
    results
        .write()
        .expect("the results file is written beside the benches crate");
}
