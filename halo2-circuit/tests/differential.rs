//! The halo2 batch circuit against the R1CS one: they accept the same batches and refuse the
//! same cheating witnesses. The witnesses are the R1CS tests' own (`mutation_cases`, included
//! from `circuits/tests/it`), and each tampered witness is given the commitment the R1CS circuit
//! computes from it, as a cheating prover would claim, so that only the transition rules can
//! refuse it.

// Test fixtures fail the test by panicking, like the assertions around them.
#![allow(clippy::unwrap_used)]

#[path = "../../circuits/tests/it/mutation_cases.rs"]
#[allow(dead_code)]
mod mutation_cases;

use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem};
use halo2_proofs::dev::MockProver;
use mutation_cases::*;
use rand::{Rng, SeedableRng};
use zksettle_circuits::BatchAssignment;
use zksettle_core::Op;
use zksettle_halo2_circuit::batch::BatchCircuit as Halo2Batch;
use zksettle_halo2_circuit::halo2_proofs;
use zksettle_test_support::{addr, deposit, forced_exit, native_transfer, withdraw};

fn r1cs_accepts(a: &BatchAssignment) -> bool {
    let cs = ConstraintSystem::new_ref();
    zksettle_circuits::BatchCircuit {
        assignment: a.clone(),
    }
    .generate_constraints(cs.clone())
    .unwrap();
    cs.is_satisfied().unwrap()
}

/// MockProver's verdict at the shape's `k`.
fn halo2_accepts(a: &BatchAssignment) -> bool {
    let circuit = Halo2Batch::new(a.clone());
    MockProver::run(Halo2Batch::k(a.shape), &circuit, circuit.instance())
        .unwrap()
        .verify()
        .is_ok()
}

/// Both verdicts on `a` under the commitment the R1CS circuit computes from it.
fn verdicts(mut a: BatchAssignment) -> (bool, bool) {
    a.commitment = zksettle_circuits::BatchCircuit::computed_commitment(&a).unwrap();
    (r1cs_accepts(&a), halo2_accepts(&a))
}

#[test]
fn both_systems_accept_the_untampered_witnesses() {
    let a = base_transfer();
    let claimed = a.commitment;
    assert_eq!(verdicts(a.clone()), (true, true));
    // The R1CS computed commitment is the core's, so the mutations below compare like with like.
    assert_eq!(
        zksettle_circuits::BatchCircuit::computed_commitment(&a).unwrap(),
        claimed
    );
}

#[test]
fn both_systems_refuse_every_mutation_of_a_transfer() {
    for (name, mutate) in transfer_mutations() {
        let mut a = base_transfer();
        mutate(&mut a);
        assert_eq!(verdicts(a), (false, false), "{name}: (R1CS, halo2)");
    }
}

#[test]
fn both_systems_refuse_changed_priority_ops() {
    for (name, a) in priority_mutations() {
        assert_eq!(verdicts(a), (false, false), "{name}: (R1CS, halo2)");
    }
}

/// Random traffic of every op type (valid and invalid mixed, the invalid rejected natively)
/// makes batches both systems accept.
#[test]
fn both_systems_accept_the_batches_random_traffic_makes() {
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(29);
    let mut w = funded_world(16);
    let mut nonces = [0u32; 8];
    let mut included = 0;
    for _ in 0..2 {
        let ops: Vec<Op> = (0..5)
            .map(|_| {
                let from = rng.random_range(1..=2u32);
                let nonce = nonces[from as usize];
                match rng.random_range(0..5) {
                    0 | 1 => {
                        nonces[from as usize] += 1;
                        let to = rng.random_range(1..=5u32);
                        let recipient = if to <= 3 {
                            [0, 1, 2, 9][to as usize]
                        } else {
                            20 + to as u8
                        };
                        native_transfer(from as u8, from, to, recipient, 1_000, 2, nonce)
                    }
                    2 => {
                        nonces[from as usize] += 1;
                        withdraw(from as u8, from, ETH, 300, 1, nonce, addr(from as u8))
                    }
                    3 => forced_exit(
                        rng.random_range(1..=4u32),
                        ETH,
                        addr(rng.random_range(1..=3u8)),
                    ),
                    _ => deposit(
                        rng.random_range(1..=5u32),
                        ETH,
                        700,
                        rng.random_range(1..=3u8),
                    ),
                }
            })
            .collect();
        let recipients = vec![zksettle_core::AccountIndex(3)];
        let applied = w.batch(ops, recipients);
        included += applied.included.len();
        let a = BatchAssignment::from_witness(
            w.shape(),
            zksettle_test_support::domain(),
            &applied.witness,
        )
        .unwrap();
        assert_eq!(verdicts(a), (true, true), "included {:?}", applied.included);
    }
    assert!(included >= 4, "the traffic lands ops: {included}");
}
