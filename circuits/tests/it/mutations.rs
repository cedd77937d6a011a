//! A cheating prover: a valid witness changed in one place, given the public input that
//! matches it (as the prover would claim), must leave the circuit unsatisfied. Each case names
//! the native rule the change breaks; the cases are `mutation_cases`, which the halo2 circuit's
//! differential tests run too.

use crate::mutation_cases::{base_transfer, priority_mutations, transfer_mutations};
use crate::support::check;
use zksettle_circuits::{BatchAssignment, BatchCircuit};

/// Whether the tampered assignment, with its own commitment, still satisfies the circuit.
fn still_proves(mut a: BatchAssignment) -> bool {
    a.commitment = BatchCircuit::computed_commitment(&a).unwrap();
    check(a).0
}

#[test]
fn the_untampered_witness_proves() {
    let a = base_transfer();
    let expected = a.commitment;
    assert_eq!(BatchCircuit::computed_commitment(&a).unwrap(), expected);
    assert!(still_proves(a));
}

#[test]
fn every_single_change_to_a_transfer_is_rejected() {
    for (name, mutate) in transfer_mutations() {
        let mut a = base_transfer();
        mutate(&mut a);
        assert!(
            !still_proves(a),
            "{name}: the tampered witness still proves"
        );
    }
}

#[test]
fn changes_to_priority_ops_are_rejected() {
    for (name, a) in priority_mutations() {
        assert!(!still_proves(a), "{name}");
    }
}
