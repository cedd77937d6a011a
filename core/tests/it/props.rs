//! Invariants of the state transition over random operation sequences (valid and invalid):
//! supply per token is conserved, rejected ops change nothing, pubdata alone replays to the same
//! root and commitment, and the witness chains every intermediate root.

use crate::support::*;
use proptest::prelude::*;
use std::collections::BTreeMap;
use zksettle_core::account::{leaf_value, AccountIndex, L1Address};
use zksettle_core::op::PubdataOp;
use zksettle_core::stf::{apply_batch, replay_batch, BatchInput};
use zksettle_core::tree::AccountTree;
use zksettle_core::Op;

const FEE_ACCOUNTS: [u32; 2] = [100, 101];

#[derive(Debug, Clone)]
enum Action {
    Deposit {
        to: u32,
        token: u32,
        amount: u128,
        owner: u8,
    },
    Transfer {
        from: u32,
        to: u32,
        recipient: u8,
        amount: u128,
        fee: u128,
        nonce_offset: i8,
        wrong_signer: bool,
    },
    Withdraw {
        from: u32,
        amount: u128,
        fee: u128,
        nonce_offset: i8,
    },
    ForcedExit {
        index: u32,
        token: u32,
        requester: u8,
    },
}

fn amount() -> impl Strategy<Value = u128> {
    prop_oneof![
        0u128..2_000,
        Just(524_289u128),
        (1u128..50).prop_map(|m| m * 10_000)
    ]
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (1u32..12, 0u32..2, amount(), 1u8..5).prop_map(|(to, token, amount, owner)| {
            Action::Deposit {
                to,
                token,
                amount,
                owner,
            }
        }),
        (
            1u32..12,
            1u32..12,
            1u8..5,
            amount(),
            0u128..20,
            -1i8..=1,
            proptest::bool::weighted(0.1)
        )
            .prop_map(
                |(from, to, recipient, amount, fee, nonce_offset, wrong_signer)| Action::Transfer {
                    from,
                    to,
                    recipient,
                    amount,
                    fee,
                    nonce_offset,
                    wrong_signer
                }
            ),
        (1u32..12, amount(), 0u128..20, -1i8..=1).prop_map(|(from, amount, fee, nonce_offset)| {
            Action::Withdraw {
                from,
                amount,
                fee,
                nonce_offset,
            }
        }),
        (1u32..12, 0u32..2, 1u8..6).prop_map(|(index, token, requester)| Action::ForcedExit {
            index,
            token,
            requester
        }),
    ]
}

/// The owner seed of an account (keys are `key(seed)`), found by trying the seeds in use.
fn owner_of(w: &World, index: u32) -> Option<(u8, u32, u32)> {
    let a = w.tree.account(AccountIndex(index)).unwrap()?;
    let seed = (1u8..=9).find(|s| key(*s).public_key() == a.public_key)?;
    Some((seed, a.token.0, a.nonce))
}

fn to_op(w: &World, action: &Action) -> Op {
    match *action {
        Action::Deposit {
            to,
            token,
            amount,
            owner,
        } => deposit(to, token, amount, owner),
        Action::Transfer {
            from,
            to,
            recipient,
            amount,
            fee,
            nonce_offset,
            wrong_signer,
        } => {
            let (seed, token, nonce) = owner_of(w, from).unwrap_or((1, 0, 0));
            let signer = if wrong_signer { seed % 4 + 1 } else { seed };
            let nonce = nonce.saturating_add_signed(i32::from(nonce_offset));
            transfer(signer, from, to, recipient, token, amount, fee, nonce)
        }
        Action::Withdraw {
            from,
            amount,
            fee,
            nonce_offset,
        } => {
            let (seed, token, nonce) = owner_of(w, from).unwrap_or((1, 0, 0));
            withdraw(
                seed,
                from,
                token,
                amount,
                fee,
                nonce.saturating_add_signed(i32::from(nonce_offset)),
                addr(seed),
            )
        }
        Action::ForcedExit {
            index,
            token,
            requester,
        } => forced_exit(index, token, addr(requester)),
    }
}

fn supply(w: &World) -> BTreeMap<u32, u128> {
    let mut out = BTreeMap::new();
    for i in 1..=w.tree.highest_index().unwrap().0 {
        if let Some(a) = w.tree.account(AccountIndex(i)).unwrap() {
            *out.entry(a.token.0).or_default() += a.balance;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn transition_invariants(batches in proptest::collection::vec(proptest::collection::vec(action(), 1..6), 1..5)) {
        let mut w = world();
        w.batch(vec![deposit(FEE_ACCOUNTS[0], 0, 0, 9), deposit(FEE_ACCOUNTS[1], 1, 0, 9)], vec![]);
        let mut expected: BTreeMap<u32, i128> = BTreeMap::new();
        for actions in batches {
            let ops: Vec<Op> = actions.iter().map(|a| to_op(&w, a)).collect();
            let before = AccountTree::open(w.tree.store().clone(), SHAPE.depth).unwrap();
            let fee_recipients = FEE_ACCOUNTS.map(AccountIndex).to_vec();
            let input = BatchInput { number: w.next_batch, ops: ops.clone(), fee_recipients: fee_recipients.clone() };
            let applied = apply_batch(&mut w.tree, &w.config, &input).unwrap();

            // Witness chain.
            let mut root = applied.old_root();
            for u in applied.witness.ops.iter().flat_map(|o| o.updates.iter()).chain(applied.witness.fees.iter().map(|f| &f.update)) {
                prop_assert_eq!(u.root_before, root);
                prop_assert_eq!(u.path.root(leaf_value(u.after.as_ref())), u.root_after);
                root = u.root_after;
            }
            prop_assert_eq!(root, applied.new_root());

            // Rejected ops change nothing: the included ops alone give the same batch.
            let mut only_included = AccountTree::open(before.store().clone(), SHAPE.depth).unwrap();
            let included_ops: Vec<Op> = applied.included.iter().map(|i| ops[*i]).collect();
            let again = apply_batch(&mut only_included, &w.config, &BatchInput { number: w.next_batch, ops: included_ops, fee_recipients }).unwrap();
            prop_assert!(again.rejected.is_empty());
            prop_assert_eq!(again.new_root(), applied.new_root());
            prop_assert_eq!(again.pubdata(), applied.pubdata());

            // Pubdata alone replays to the same root and commitment.
            let mut replayed_tree = AccountTree::open(before.store().clone(), SHAPE.depth).unwrap();
            let replayed = replay_batch(&mut replayed_tree, &config(), w.next_batch, applied.pubdata()).unwrap();
            prop_assert_eq!(replayed.new_root, applied.new_root());
            prop_assert_eq!(replayed.commitment, applied.commitment());

            for o in &applied.witness.ops {
                match o.op {
                    PubdataOp::Deposit { token, amount, .. } => *expected.entry(token.0).or_default() += amount as i128,
                    PubdataOp::Withdraw { token, amount, .. } => *expected.entry(token.0).or_default() -= amount as i128,
                    PubdataOp::ForcedExit { amount, .. } if amount > 0 => {
                        // The exited account may have been opened earlier in this same batch.
                        let token = o.updates[0].before.expect("a paying exit has an account").token.0;
                        *expected.entry(token).or_default() -= amount as i128;
                    }
                    _ => {}
                }
            }
            w.tree.commit().unwrap();
            w.next_batch += 1;

            // Supply per token equals deposits minus what left to L1; fees stay on L2.
            let actual = supply(&w);
            for (token, amount) in &expected {
                prop_assert_eq!(*actual.get(token).unwrap_or(&0) as i128, *amount, "token {}", token);
            }
        }
    }
}

#[test]
fn forced_exit_requester_must_be_the_owner() {
    let mut w = world();
    w.batch(vec![deposit(1, 0, 500, 1)], vec![]);
    let applied = w.batch(
        vec![
            forced_exit(1, 0, addr(2)),
            forced_exit(1, 1, addr(1)),
            forced_exit(1, 0, L1Address::ZERO),
        ],
        vec![],
    );
    assert!(
        applied.rejected.is_empty(),
        "refused requests are still consumed"
    );
    assert_eq!(w.balance(1), 500);
    let applied = w.batch(vec![forced_exit(1, 0, addr(1))], vec![]);
    assert!(matches!(
        applied.witness.ops[0].op,
        PubdataOp::ForcedExit { amount: 500, .. }
    ));
    assert_eq!(w.balance(1), 0);
}
