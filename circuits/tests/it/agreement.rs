//! The circuit and `replay_batch` accept the same batches (protocol §8's validity rule): a batch
//! the circuit proves must replay, or `zksettle verify chain` and every exit proof after it
//! would stop at it (December 2026 review, finding 5).

use crate::support::*;
use proptest::prelude::*;
use zksettle_core::stf::replay_batch;
use zksettle_core::Op;

/// The auditor's replay of `applied` from its pubdata alone.
fn replay(
    auditor: &mut World,
    applied: &zksettle_core::stf::AppliedBatch,
) -> Result<zksettle_core::stf::ReplayedBatch, zksettle_core::stf::BatchError> {
    let config = auditor.config();
    replay_batch(
        &mut auditor.tree,
        &config,
        applied.witness.number,
        applied.pubdata(),
    )
}

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
    let replayed = replay(&mut auditor, &applied).unwrap();
    assert_eq!(replayed.new_root, applied.new_root());
    assert_eq!(replayed.commitment, applied.commitment());
    let recipient = auditor
        .tree
        .account(zksettle_core::AccountIndex(4))
        .unwrap()
        .unwrap();
    assert_eq!(recipient.balance, 77 + 10);
}

/// One op of a random batch: indices 1–6 in a world where 1–3 hold 1,000,000 each (owners 1, 2,
/// 9); amounts, fees and nonces sometimes wrong, so the state transition refuses some.
fn any_op() -> impl Strategy<Value = Op> {
    let index = 1u32..=6;
    let owner = prop::sample::select(vec![1u8, 2, 5, 9]);
    prop_oneof![
        (index.clone(), 1u128..5_000, owner.clone())
            .prop_map(|(to, amount, owner)| deposit(to, ETH, amount, owner)),
        (
            owner.clone(),
            index.clone(),
            index.clone(),
            owner.clone(),
            1u128..600_000,
            0u128..20,
            0u32..3
        )
            .prop_map(|(signer, from, to, recipient, amount, fee, nonce)| {
                // Amounts must be packable: keep two significant digits.
                let amount = amount / 1_000 * 1_000;
                transfer(signer, from, to, recipient, amount.max(1_000), fee, nonce)
            }),
        (
            owner.clone(),
            index.clone(),
            1u128..900_000,
            0u128..20,
            0u32..3
        )
            .prop_map(|(signer, from, amount, fee, nonce)| withdraw(
                signer, from, amount, fee, nonce
            )),
        (index, owner).prop_map(|(index, requester)| forced_exit(index, requester)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Every batch the state transition builds satisfies the circuit, and every such batch
    /// replays from its pubdata alone to the same root and commitment (the circuit accepts
    /// nothing replay refuses, on this distribution: random op mixes, refused ops dropped, fee
    /// recipients that exist, are opened in the batch, or hold another token).
    #[test]
    fn every_batch_the_circuit_accepts_replays(
        ops in prop::collection::vec(any_op(), 1..5),
        recipients in prop::sample::subsequence(vec![3u32, 4, 5], 0..=2),
    ) {
        let mut w = funded_world(10);
        let mut auditor = funded_world(10);
        let input = zksettle_core::stf::BatchInput {
            number: w.next_batch,
            ops,
            fee_recipients: recipients.into_iter().map(zksettle_core::AccountIndex).collect(),
        };
        let config = w.config();
        // A batch refused whole (a recipient that cannot exist) is no batch to prove.
        let Ok(applied) = zksettle_core::stf::apply_batch(&mut w.tree, &config, &input) else {
            return Ok(());
        };
        prop_assume!(!applied.included.is_empty());
        let (ok, which, _) = check(assignment(&w, &applied));
        prop_assert!(ok, "the circuit refuses a batch the state transition built: {which:?}");
        let replayed = replay(&mut auditor, &applied);
        prop_assert!(replayed.is_ok(), "replay refuses a proven batch: {replayed:?}");
        let replayed = replayed.unwrap();
        prop_assert_eq!(replayed.new_root, applied.new_root());
        prop_assert_eq!(replayed.commitment, applied.commitment());
    }
}
