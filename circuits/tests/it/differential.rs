//! Differential: random op sequences (valid and invalid mixed) go through the native state
//! transition; every batch it makes satisfies the circuit, whose computed commitment is the
//! native one. (Invalid ops never reach a witness natively; the mutation suite shows the
//! circuit refuses the witnesses a cheating prover would make of them.)

use crate::support::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zksettle_circuits::BatchCircuit;
use zksettle_core::Op;

fn random_op(rng: &mut ChaCha20Rng, nonces: &mut [u32; 8]) -> Op {
    let from = rng.random_range(1..=4u32);
    let owner = from as u8;
    match rng.random_range(0..10) {
        0..=4 => {
            let to = rng.random_range(1..=6u32);
            let amount = [0u128, 1, 250, 10_000, 2_000_000][rng.random_range(0..5)];
            let fee = [0u128, 1, 3][rng.random_range(0..3)];
            // Mostly the right nonce; sometimes a stale or future one.
            let nonce = nonces[from as usize] + u32::from(rng.random_range(0..8) == 0);
            let op = transfer(
                owner,
                from,
                to,
                if to <= 4 { to as u8 } else { 10 + to as u8 },
                amount,
                fee,
                nonce,
            );
            nonces[from as usize] += 1;
            op
        }
        5..=6 => {
            let nonce = nonces[from as usize];
            nonces[from as usize] += 1;
            withdraw(
                owner,
                from,
                [1u128, 500, 5_000_000][rng.random_range(0..3)],
                1,
                nonce,
            )
        }
        7 => forced_exit(rng.random_range(1..=6u32), rng.random_range(1..=4u8)),
        _ => deposit(
            rng.random_range(1..=6u32),
            ETH,
            1_000,
            rng.random_range(1..=4u8),
        ),
    }
}

#[test]
fn batches_the_native_transition_makes_satisfy_the_circuit() {
    let mut rng = ChaCha20Rng::seed_from_u64(2026);
    let (mut included, mut rejected) = (0, 0);
    for case in 0..3 {
        let mut w = funded_world(16);
        let mut nonces = [0u32; 8];
        let ops: Vec<Op> = (0..6).map(|_| random_op(&mut rng, &mut nonces)).collect();
        let applied = w.batch(ops, vec![3]);
        included += applied.included.len();
        rejected += applied.rejected.len();
        let a = assignment(&w, &applied);
        assert_eq!(
            BatchCircuit::computed_commitment(&a).unwrap(),
            applied.commitment(),
            "case {case}"
        );
        assert_parallel_witness_matches(&a);
        let (ok, which, _) = check(a);
        assert!(
            ok,
            "case {case}: included {:?}, rejected {:?}: unsatisfied {which:?}",
            applied.included, applied.rejected
        );
    }
    // The traffic mixes both kinds, so the batches are neither empty nor trivial.
    assert!(
        included >= 6 && rejected >= 1,
        "included {included}, rejected {rejected}"
    );
}
