//! The circuit and `replay_batch` accept the same batches (protocol §8's validity rule): a batch
//! the circuit proves must replay, or `zksettle verify chain` and every exit proof after it
//! would stop at it (December 2026 review, finding 5).

use crate::support::*;
use zksettle_core::stf::replay_batch;

#[test]
fn a_fee_recipient_opened_by_the_batch_itself_satisfies_the_circuit_and_replays() {
    let mut w = funded_world(10);
    let mut auditor = funded_world(10);
    // Account 4 is opened by the deposit, then collects the transfer's fee.
    let applied = w.batch(
        vec![deposit(4, ETH, 77, 5), transfer(1, 1, 2, 2, 500, 10, 0)],
        vec![4],
    );
    assert!(applied.rejected.is_empty(), "{:?}", applied.rejected);
    let (ok, which, _) = check(assignment(&w, &applied));
    assert!(ok, "unsatisfied: {which:?}");
    let config = auditor.config();
    let replayed = replay_batch(
        &mut auditor.tree,
        &config,
        applied.witness.number,
        applied.pubdata(),
    )
    .unwrap();
    assert_eq!(replayed.new_root, applied.new_root());
    assert_eq!(replayed.commitment, applied.commitment());
    let recipient = auditor
        .tree
        .account(zksettle_core::AccountIndex(4))
        .unwrap()
        .unwrap();
    assert_eq!(recipient.balance, 77 + 10);
}
