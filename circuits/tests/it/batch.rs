//! Whole batches: every op type, accepted natively, satisfies the circuit.

use crate::support::*;

#[test]
fn a_deposit_batch_satisfies_the_circuit() {
    let mut w = World::new(8);
    let applied = w.batch(vec![deposit(1, ETH, 1_000, 1)], vec![]);
    assert!(applied.rejected.is_empty());
    let (ok, which, constraints) = check(assignment(&w, &applied));
    assert!(ok, "unsatisfied: {which:?}");
    eprintln!("8 chunks, depth 16: {constraints} constraints");
}

/// The mutation cases' funded world (`mutation_cases::funded_world`).
pub(crate) fn funded_world(chunks: usize) -> World {
    World::wrap(crate::mutation_cases::funded_world(chunks))
}

#[test]
fn transfers_withdrawals_and_exits_satisfy_the_circuit() {
    let cases: Vec<(&str, Vec<zksettle_core::Op>)> = vec![
        ("transfer", vec![transfer(1, 1, 2, 2, 500, 10, 0)]),
        ("transfer to self", vec![transfer(1, 1, 1, 1, 500, 10, 0)]),
        (
            "transfer to a new account",
            vec![transfer(1, 1, 7, 4, 5_000, 0, 0)],
        ),
        ("withdraw", vec![withdraw(2, 2, 123_456, 20, 0)]),
        ("forced exit by the owner", vec![forced_exit(2, 2)]),
        ("forced exit by someone else", vec![forced_exit(2, 3)]),
        ("forced exit of an empty leaf", vec![forced_exit(40, 3)]),
    ];
    for (name, ops) in cases {
        let mut w = funded_world(7);
        let applied = w.batch(ops, vec![3]);
        assert!(
            applied.rejected.is_empty(),
            "{name}: {:?}",
            applied.rejected
        );
        let a = assignment(&w, &applied);
        assert_parallel_witness_matches(&a);
        let (ok, which, _) = check(a);
        assert!(ok, "{name}: unsatisfied {which:?}");
    }
}
