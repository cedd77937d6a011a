//! The state transition on hand-built batches: every op type, every rejection reason, the
//! witness chain and the replay from pubdata.

use crate::support::*;
use zksettle_core::account::{leaf_value, AccountIndex, L1Address, TokenId};
use zksettle_core::eddsa::SignatureError;
use zksettle_core::op::PubdataOp;
use zksettle_core::pubdata::encode_batch;
use zksettle_core::stf::{
    apply_batch, replay_batch, AppliedBatch, BatchError, BatchInput, OpError,
};
use zksettle_core::tree::{AccountTree, MemoryStore};
use zksettle_core::{Op, Transfer};

const ETH: u32 = 0;
const USD: u32 = 1;

/// Accounts 1 (owner 1, ETH, 10^6), 2 (owner 2, ETH, 10^6), 3 (owner 3, USD, 10^6),
/// 4 (operator 9, ETH fee account), 5 (operator 9, USD fee account).
fn funded() -> World {
    let mut w = world();
    let applied = w.batch(
        vec![
            deposit(1, ETH, 1_000_000, 1),
            deposit(2, ETH, 1_000_000, 2),
            deposit(3, USD, 1_000_000, 3),
            deposit(4, ETH, 0, 9),
            deposit(5, USD, 0, 9),
        ],
        vec![],
    );
    assert!(applied.rejected.is_empty());
    w
}

/// Applies one op alone and returns its rejection reason, checking it changed nothing.
fn reject(w: &mut World, op: Op) -> OpError {
    let root = w.tree.root().unwrap();
    let input = BatchInput {
        number: w.next_batch,
        ops: vec![op],
        fee_recipients: vec![AccountIndex(4), AccountIndex(5)],
    };
    let applied = apply_batch(&mut w.tree, &w.config, &input).unwrap();
    assert!(applied.included.is_empty(), "op was accepted");
    assert_eq!(applied.new_root(), root, "a rejected op changed the state");
    w.tree.discard();
    applied.rejected.into_iter().next().unwrap().error
}

fn check_witness_chain(applied: &AppliedBatch) {
    let w = &applied.witness;
    let mut root = w.old_root;
    let updates = w
        .ops
        .iter()
        .flat_map(|o| o.updates.iter())
        .chain(w.fees.iter().map(|f| &f.update));
    for u in updates {
        assert_eq!(u.root_before, root);
        assert_eq!(u.path.root(leaf_value(u.before.as_ref())), u.root_before);
        assert_eq!(u.path.root(leaf_value(u.after.as_ref())), u.root_after);
        root = u.root_after;
    }
    assert_eq!(root, w.new_root);
    for o in &w.ops {
        if let Some(s) = &o.signed {
            assert_eq!(s.public_key.verify(s.message, &s.signature), Ok(()));
        }
    }
}

fn replay_matches(before: &AccountTree<MemoryStore>, applied: &AppliedBatch) {
    let mut copy = AccountTree::open(before.store().clone(), SHAPE.depth).unwrap();
    let replayed = replay_batch(
        &mut copy,
        &config(),
        applied.witness.number,
        applied.pubdata(),
    )
    .unwrap();
    assert_eq!(replayed.old_root, applied.old_root());
    assert_eq!(replayed.new_root, applied.new_root());
    assert_eq!(replayed.commitment, applied.commitment());
}

#[test]
fn every_op_type_applies_and_replays() {
    let mut w = funded();
    let before = AccountTree::open(w.tree.store().clone(), SHAPE.depth).unwrap();
    let ops = vec![
        transfer(1, 1, 2, 2, ETH, 1000, 10, 0), // existing → existing
        transfer(1, 1, 6, 7, ETH, 500, 10, 1),  // opens account 6 for owner 7
        withdraw(2, 2, ETH, 123_457, 3, 0, addr(22)), // full-precision amount
        forced_exit(3, USD, addr(3)),           // owner's request: pays all
        forced_exit(2, ETH, addr(99)),          // stranger's request: pays nothing
        Op::Noop,
    ];
    let applied = w.batch(ops, vec![AccountIndex(4), AccountIndex(5)]);
    assert!(applied.rejected.is_empty(), "{:?}", applied.rejected);
    check_witness_chain(&applied);
    replay_matches(&before, &applied);

    assert_eq!(w.balance(1), 1_000_000 - 1010 - 510);
    assert_eq!(w.nonce(1), 2);
    assert_eq!(w.balance(2), 1_000_000 + 1000 - 123_460);
    assert_eq!(w.balance(6), 500);
    assert_eq!(
        w.tree.account(AccountIndex(6)).unwrap().unwrap().l1_address,
        addr(7)
    );
    assert_eq!(w.balance(3), 0);
    assert_eq!(w.balance(4), 23, "ETH fees settle to the ETH fee account");
    assert_eq!(w.balance(5), 0);
    let kinds: Vec<_> = applied.witness.ops.iter().map(|o| o.op.code()).collect();
    assert_eq!(kinds, vec![2, 3, 4, 5, 5, 0]);
    match applied.witness.ops[4].op {
        PubdataOp::ForcedExit { amount, .. } => assert_eq!(amount, 0),
        other => panic!("unexpected {other:?}"),
    }
    // 1 + 6 + 4 + 4 + 4 + 1 chunks
    assert_eq!(applied.witness.ops.last().unwrap().chunk_offset, 19);
}

#[test]
fn transfer_between_existing_accounts_costs_one_chunk() {
    let mut w = funded();
    let applied = w.batch(vec![transfer(1, 1, 2, 2, ETH, 1, 0, 0)], vec![]);
    assert_eq!(
        &applied.pubdata()[12..24],
        &[0u8; 12],
        "second chunk is padding"
    );
    assert_eq!(applied.pubdata()[0], 2);
    assert_eq!(SHAPE.chunk_bytes(), 12);
}

#[test]
fn self_transfer_only_pays_the_fee() {
    let mut w = funded();
    let applied = w.batch(
        vec![transfer(1, 1, 1, 1, ETH, 400, 7, 0)],
        vec![AccountIndex(4)],
    );
    assert!(applied.rejected.is_empty());
    check_witness_chain(&applied);
    assert_eq!(w.balance(1), 1_000_000 - 7);
    assert_eq!(w.nonce(1), 1);
}

#[test]
fn every_rejection_reason() {
    let mut w = funded();
    let cases: Vec<(Op, OpError)> = vec![
        (
            transfer(1, 0, 2, 2, ETH, 1, 0, 0),
            OpError::InvalidAccountIndex(AccountIndex(0)),
        ),
        (
            transfer(1, 1 << 24, 2, 2, ETH, 1, 0, 0),
            OpError::InvalidAccountIndex(AccountIndex(1 << 24)),
        ),
        (
            transfer(1, 1, 1 << 24, 2, ETH, 1, 0, 0),
            OpError::InvalidAccountIndex(AccountIndex(1 << 24)),
        ),
        (
            transfer(1, 77, 2, 2, ETH, 1, 0, 0),
            OpError::UnknownAccount(AccountIndex(77)),
        ),
        (
            transfer(1, 1, 2, 2, USD, 1, 0, 0),
            OpError::TokenMismatch {
                account: TokenId(ETH),
                tx: TokenId(USD),
            },
        ),
        (
            transfer(2, 1, 2, 2, ETH, 1, 0, 0),
            OpError::BadSignature(SignatureError::Mismatch),
        ),
        (
            transfer(1, 1, 2, 2, ETH, 1, 0, 1),
            OpError::NonceTooHigh {
                expected: 0,
                got: 1,
            },
        ),
        (
            transfer(1, 1, 2, 2, ETH, 999_990, 11, 0),
            OpError::InsufficientBalance {
                balance: 1_000_000,
                required: 1_000_001,
            },
        ),
        (
            transfer(1, 1, 2, 2, ETH, 524_289, 0, 0),
            OpError::AmountNotPackable(
                zksettle_core::amount::AMOUNT_FORMAT
                    .pack(524_289)
                    .unwrap_err(),
            ),
        ),
        (
            transfer(1, 1, 2, 2, ETH, 1, 2049, 0),
            OpError::FeeNotPackable(zksettle_core::amount::FEE_FORMAT.pack(2049).unwrap_err()),
        ),
        (
            transfer(1, 1, 3, 3, ETH, 1, 0, 0),
            OpError::RecipientMismatch(AccountIndex(3)),
        ),
        (
            transfer(1, 1, 2, 3, ETH, 1, 0, 0),
            OpError::RecipientMismatch(AccountIndex(2)),
        ),
        (
            withdraw(1, 1, ETH, 1, 0, 0, L1Address::ZERO),
            OpError::MissingL1Address,
        ),
        (
            withdraw(1, 1, ETH, u128::MAX, 1, 0, addr(1)),
            OpError::InsufficientBalance {
                balance: 1_000_000,
                required: u128::MAX,
            },
        ),
        (
            deposit(2, ETH, 5, 1),
            OpError::RecipientMismatch(AccountIndex(2)),
        ),
        (
            deposit(2, USD, 5, 2),
            OpError::RecipientMismatch(AccountIndex(2)),
        ),
        (
            deposit(0, ETH, 5, 2),
            OpError::InvalidAccountIndex(AccountIndex(0)),
        ),
        (
            deposit(2, ETH, u128::MAX, 2),
            OpError::BalanceOverflow(AccountIndex(2)),
        ),
        (
            forced_exit(0, ETH, addr(1)),
            OpError::InvalidAccountIndex(AccountIndex(0)),
        ),
    ];
    for (i, (op, expected)) in cases.into_iter().enumerate() {
        assert_eq!(reject(&mut w, op), expected, "case {i}");
    }
}

#[test]
fn signatures_bound_to_the_deployment() {
    let mut w = funded();
    w.config.domain.chain_id = 1;
    assert_eq!(
        reject(&mut w, transfer(1, 1, 2, 2, ETH, 1, 0, 0)),
        OpError::BadSignature(SignatureError::Mismatch)
    );
    let mut w = funded();
    w.config.domain.rollup = addr(0x77);
    assert_eq!(
        reject(&mut w, transfer(1, 1, 2, 2, ETH, 1, 0, 0)),
        OpError::BadSignature(SignatureError::Mismatch)
    );
}

#[test]
fn replayed_and_stale_nonces_are_rejected() {
    let mut w = funded();
    let op = transfer(1, 1, 2, 2, ETH, 5, 0, 0);
    let applied = w.batch(vec![op, op], vec![]);
    assert_eq!(applied.included, vec![0]);
    assert_eq!(
        applied.rejected[0].error,
        OpError::NonceTooLow {
            expected: 1,
            got: 0
        }
    );
    assert_eq!(
        reject(&mut w, op),
        OpError::NonceTooLow {
            expected: 1,
            got: 0
        }
    );
}

#[test]
fn fee_rules() {
    let mut w = funded();
    // A fee in a token without a recipient in this batch.
    let input = BatchInput {
        number: 2,
        ops: vec![transfer(1, 1, 2, 2, ETH, 1, 5, 0)],
        fee_recipients: vec![AccountIndex(5)],
    };
    let applied = apply_batch(&mut w.tree, &w.config, &input).unwrap();
    assert_eq!(
        applied.rejected[0].error,
        OpError::NoFeeRecipient(TokenId(ETH))
    );
    w.tree.discard();
    // Zero fees need no recipient.
    let input = BatchInput {
        number: 2,
        ops: vec![transfer(1, 1, 2, 2, ETH, 1, 0, 0)],
        fee_recipients: vec![],
    };
    assert!(apply_batch(&mut w.tree, &w.config, &input)
        .unwrap()
        .rejected
        .is_empty());
    w.tree.discard();
    // A fee recipient close to 2^128 cannot accrue past it.
    let mut w = world();
    w.batch(
        vec![deposit(1, ETH, 1_000, 1), deposit(4, ETH, u128::MAX - 5, 9)],
        vec![],
    );
    let input = BatchInput {
        number: 2,
        ops: vec![
            transfer(1, 1, 4, 9, ETH, 0, 5, 0),
            transfer(1, 1, 4, 9, ETH, 0, 1, 1),
        ],
        fee_recipients: vec![AccountIndex(4)],
    };
    let applied = apply_batch(&mut w.tree, &w.config, &input).unwrap();
    assert_eq!(applied.included, vec![0]);
    assert_eq!(
        applied.rejected[0].error,
        OpError::FeeRecipientOverflow(AccountIndex(4))
    );
}

#[test]
fn batch_level_errors_leave_the_tree_unchanged() {
    let mut w = funded();
    let root = w.tree.root().unwrap();
    let ops = vec![transfer(1, 1, 2, 2, ETH, 1, 0, 0)];
    type Expect = fn(&BatchError) -> bool;
    let cases: Vec<(Vec<AccountIndex>, Expect)> = vec![
        (vec![AccountIndex(4); 5], |e| {
            matches!(e, BatchError::TooManyFeeRecipients { given: 5, slots: 4 })
        }),
        (vec![AccountIndex(40)], |e| {
            matches!(e, BatchError::UnknownFeeRecipient(AccountIndex(40)))
        }),
        (vec![AccountIndex(0)], |e| {
            matches!(e, BatchError::UnknownFeeRecipient(AccountIndex(0)))
        }),
        (vec![AccountIndex(1), AccountIndex(4)], |e| {
            matches!(e, BatchError::DuplicateFeeToken(TokenId(ETH)))
        }),
    ];
    for (fee_recipients, check) in cases {
        let input = BatchInput {
            number: 2,
            ops: ops.clone(),
            fee_recipients,
        };
        let err = apply_batch(&mut w.tree, &w.config, &input).unwrap_err();
        assert!(check(&err), "{err:?}");
        assert_eq!(w.tree.root().unwrap(), root);
        assert!(!w.tree.has_changes());
    }
}

#[test]
fn capacity_is_enforced() {
    let mut w = funded();
    let mut ops: Vec<Op> = (0..60)
        .map(|n| transfer(1, 1, 2, 2, ETH, 1, 0, n))
        .collect();
    ops.push(transfer(2, 2, 10, 10, ETH, 1, 0, 0)); // needs 6 chunks, 4 left
    ops.push(transfer(1, 1, 2, 2, ETH, 1, 0, 60)); // still fits
    let applied = w.batch(ops, vec![]);
    assert_eq!(applied.included.len(), 61);
    assert_eq!(applied.rejected.len(), 1);
    assert_eq!(
        applied.rejected[0].error,
        OpError::ExceedsBatchCapacity { needed: 6, left: 4 }
    );
}

#[test]
fn account_opened_in_batch_can_send_in_same_batch() {
    let mut w = world();
    let applied = w.batch(
        vec![deposit(1, ETH, 100, 1), transfer(1, 1, 2, 2, ETH, 40, 0, 0)],
        vec![],
    );
    assert!(applied.rejected.is_empty());
    assert_eq!((w.balance(1), w.balance(2)), (60, 40));
}

#[test]
fn replay_rejects_pubdata_the_state_does_not_allow() {
    let w = funded();
    let key = key(7).public_key();
    let bad: Vec<(PubdataOp, OpError)> = vec![
        (
            PubdataOp::ForcedExit {
                index: AccountIndex(1),
                token: TokenId(ETH),
                amount: 5,
                l1_address: addr(1),
            },
            OpError::ForcedExitAmount {
                expected: 1_000_000,
                got: 5,
            },
        ),
        (
            PubdataOp::TransferToNew {
                from: AccountIndex(1),
                to: AccountIndex(2),
                amount: 1,
                fee: 0,
                to_public_key: key,
                to_l1_address: addr(7),
            },
            OpError::AccountExists(AccountIndex(2)),
        ),
        (
            PubdataOp::Transfer {
                from: AccountIndex(1),
                to: AccountIndex(9),
                amount: 1,
                fee: 0,
            },
            OpError::UnknownAccount(AccountIndex(9)),
        ),
        (
            PubdataOp::Transfer {
                from: AccountIndex(1),
                to: AccountIndex(3),
                amount: 1,
                fee: 0,
            },
            OpError::RecipientMismatch(AccountIndex(3)),
        ),
    ];
    for (op, expected) in bad {
        let mut tree = AccountTree::open(w.tree.store().clone(), SHAPE.depth).unwrap();
        let root = tree.root().unwrap();
        let pubdata = encode_batch(&SHAPE, &[op], &[]).unwrap();
        match replay_batch(&mut tree, &config(), 2, &pubdata) {
            Err(BatchError::Replay { position: 0, error }) => assert_eq!(error, expected),
            other => panic!("expected a replay error, got {other:?}"),
        }
        assert_eq!(tree.root().unwrap(), root);
    }
    // A fee no recipient ever takes: the fee rule is checked after the last op (protocol §8).
    let mut tree = AccountTree::open(w.tree.store().clone(), SHAPE.depth).unwrap();
    let unpaid_fee = PubdataOp::Transfer {
        from: AccountIndex(1),
        to: AccountIndex(2),
        amount: 1,
        fee: 1,
    };
    let pubdata = encode_batch(&SHAPE, &[unpaid_fee], &[]).unwrap();
    match replay_batch(&mut tree, &config(), 2, &pubdata) {
        Err(BatchError::Replay { position: 1, error }) => {
            assert_eq!(error, OpError::NoFeeRecipient(TokenId(ETH)))
        }
        other => panic!("expected a replay error, got {other:?}"),
    }
}

/// A transfer naming `to_l1_address` as the recipient's exit address.
fn transfer_naming(to: u32, recipient: u8, to_l1_address: L1Address, nonce: u32) -> Op {
    let t = Transfer {
        from: AccountIndex(1),
        token: TokenId(ETH),
        amount: 10,
        fee: 0,
        nonce,
        to: key(recipient).public_key(),
        to_l1_address,
    };
    let signature = zksettle_core::Tx::Transfer(t)
        .sign(&key(1), &config().domain)
        .signature;
    Op::Transfer {
        to: AccountIndex(to),
        transfer: t,
        signature,
    }
}

/// The critical finding of the December 2026 review, at the state transition: a stranger opens
/// an account for Bob's key with the stranger's exit address (1 wei), and Bob's own deposit, or
/// a payment naming Bob's address, must not land in it, so the stranger's forced exit takes back
/// only the stranger's wei.
#[test]
fn funds_never_land_in_an_account_whose_exit_address_their_sender_did_not_name() {
    let mut w = funded();
    let bob = 7;
    let attacker = L1Address([0xee; 20]);
    let deposit_from = |to, l1_address, amount| {
        Op::Deposit(zksettle_core::Deposit {
            to: AccountIndex(to),
            token: TokenId(ETH),
            amount,
            public_key: key(bob).public_key().0,
            l1_address,
        })
    };
    w.batch(vec![deposit_from(9, attacker, 1)], vec![]);
    assert_eq!(
        reject(&mut w, deposit_from(9, addr(bob), 5_000)),
        OpError::ExitAddressMismatch(AccountIndex(9))
    );
    assert_eq!(
        reject(&mut w, transfer_naming(9, bob, addr(bob), 0)),
        OpError::ExitAddressMismatch(AccountIndex(9))
    );
    // Bob's funds go to an account of his own address, which the attacker cannot force out.
    w.batch(
        vec![
            deposit_from(10, addr(bob), 5_000),
            transfer_naming(10, bob, addr(bob), 0),
        ],
        vec![],
    );
    assert_eq!(w.balance(10), 5_010);
    let stolen = w.batch(
        vec![
            forced_exit(9, ETH, attacker),
            forced_exit(10, ETH, attacker),
        ],
        vec![],
    );
    let paid: Vec<u128> = stolen
        .witness
        .ops
        .iter()
        .map(|o| match o.op {
            PubdataOp::ForcedExit { amount, .. } => amount,
            _ => panic!("a forced exit"),
        })
        .collect();
    assert_eq!(paid, vec![1, 0]);
    assert_eq!(w.balance(10), 5_010);
}

/// Finding 2: every account holding value has an exit address; nothing opens one without it.
#[test]
fn no_account_is_opened_or_paid_without_an_exit_address() {
    let mut w = funded();
    assert_eq!(
        reject(&mut w, transfer_naming(9, 7, L1Address::ZERO, 0)),
        OpError::MissingL1Address
    );
    assert_eq!(
        reject(&mut w, transfer_naming(2, 2, L1Address::ZERO, 0)),
        OpError::MissingL1Address
    );
    let no_address = Op::Deposit(zksettle_core::Deposit {
        to: AccountIndex(9),
        token: TokenId(ETH),
        amount: 5,
        public_key: key(7).public_key().0,
        l1_address: L1Address::ZERO,
    });
    assert_eq!(reject(&mut w, no_address), OpError::MissingL1Address);
}

/// Finding 5: replay checks fees by the circuit's rule, after the last op, so it accepts a fee
/// paid before its recipient is opened and a recipient whose balance passes near 2^128 before
/// being spent down; the sequencer's building rule is stricter and refuses both.
#[test]
fn replay_checks_fees_after_the_last_op_as_the_circuit_does() {
    let w = funded();
    let replay = |ops: &[PubdataOp], recipients: &[AccountIndex]| {
        let mut tree = AccountTree::open(w.tree.store().clone(), SHAPE.depth).unwrap();
        let pubdata = encode_batch(&SHAPE, ops, recipients).unwrap();
        replay_batch(&mut tree, &config(), 2, &pubdata).map(|_| tree)
    };
    let fee_first = [
        PubdataOp::Transfer {
            from: AccountIndex(1),
            to: AccountIndex(2),
            amount: 1,
            fee: 5,
        },
        PubdataOp::Deposit {
            to: AccountIndex(6),
            token: TokenId(ETH),
            amount: 1,
            public_key: key(9).public_key().0,
            l1_address: addr(9),
        },
    ];
    let tree = replay(&fee_first, &[AccountIndex(6)]).unwrap();
    assert_eq!(tree.account(AccountIndex(6)).unwrap().unwrap().balance, 6);
    // The same recipient unopened: refused after the last op.
    assert!(matches!(
        replay(&fee_first[..1], &[AccountIndex(6)]),
        Err(BatchError::UnknownFeeRecipient(AccountIndex(6)))
    ));
    // A recipient near 2^128 that spends down before the fees are credited.
    let mut near = world();
    near.batch(
        vec![deposit(1, ETH, 1_000, 1), deposit(4, ETH, u128::MAX - 5, 9)],
        vec![],
    );
    let spend_down = [
        PubdataOp::Transfer {
            from: AccountIndex(1),
            to: AccountIndex(1),
            amount: 0,
            fee: 10,
        },
        PubdataOp::Transfer {
            from: AccountIndex(4),
            to: AccountIndex(1),
            amount: 100,
            fee: 0,
        },
    ];
    let mut tree = AccountTree::open(near.tree.store().clone(), SHAPE.depth).unwrap();
    let pubdata = encode_batch(&SHAPE, &spend_down, &[AccountIndex(4)]).unwrap();
    replay_batch(&mut tree, &config(), 2, &pubdata).unwrap();
    assert_eq!(
        tree.account(AccountIndex(4)).unwrap().unwrap().balance,
        u128::MAX - 95
    );
    // The builder takes a fee only once its recipient exists.
    let mut builder = funded();
    let input = BatchInput {
        number: 2,
        ops: vec![
            transfer(1, 1, 2, 2, ETH, 1, 5, 0),
            deposit(6, ETH, 1, 9),
            // Nonce 0 again: the first was rejected.
            transfer(1, 1, 2, 2, ETH, 1, 5, 0),
        ],
        fee_recipients: vec![AccountIndex(6)],
    };
    let applied = apply_batch(&mut builder.tree, &builder.config, &input).unwrap();
    assert_eq!(applied.included, vec![1, 2]);
    assert_eq!(
        applied.rejected[0].error,
        OpError::NoFeeRecipient(TokenId(ETH))
    );
}

#[test]
fn transfer_message_covers_recipient_routing() {
    // The recipient is signed by key, so the sequencer may route to any account of that key
    // and token, but never to another key's account.
    let mut w = funded();
    w.batch(vec![deposit(6, ETH, 0, 2)], vec![]);
    let t = transfer(1, 1, 6, 2, ETH, 3, 0, 0);
    let applied = w.batch(vec![t], vec![]);
    assert!(applied.rejected.is_empty());
    assert_eq!(w.balance(6), 3);
    let Op::Transfer {
        transfer: tr,
        signature,
        ..
    } = transfer(1, 1, 2, 2, ETH, 3, 0, 1)
    else {
        unreachable!()
    };
    let rerouted = Op::Transfer {
        to: AccountIndex(3),
        transfer: Transfer { ..tr },
        signature,
    };
    assert_eq!(
        reject(&mut w, rerouted),
        OpError::RecipientMismatch(AccountIndex(3))
    );
}

#[test]
fn a_deposit_to_a_key_that_cannot_sign_locks_the_account_to_its_l1_address() {
    use zksettle_core::babyjubjub::Point;
    use zksettle_core::{Deposit, PublicKey};
    let mut w = funded();
    // A curve point outside the prime-order subgroup: the owner's key plus the point of order 2.
    let two_torsion = Point {
        x: 0u64.into(),
        y: -zksettle_core::Fr::from(1u64),
    };
    let bad_key = key(7).public_key().0.add(&two_torsion);
    let locked_deposit = |l1_address| {
        Op::Deposit(Deposit {
            to: AccountIndex(9),
            token: TokenId(ETH),
            amount: 50,
            public_key: bad_key,
            l1_address,
        })
    };
    let applied = w.batch(vec![locked_deposit(addr(7))], vec![]);
    assert!(applied.rejected.is_empty(), "deposits are always consumed");
    let account = w.tree.account(AccountIndex(9)).unwrap().unwrap();
    assert_eq!(
        account.public_key,
        PublicKey(Point::IDENTITY),
        "no signature verifies under the lock"
    );
    assert_eq!(account.balance, 50);

    // The holder of the subgroup part of the key cannot spend: the account's key is locked.
    assert_eq!(
        reject(&mut w, transfer(7, 9, 1, 1, ETH, 1, 0, 0)),
        OpError::BadSignature(SignatureError::InvalidPublicKey)
    );
    // Only deposits from the same L1 address add to it.
    assert_eq!(
        reject(&mut w, locked_deposit(addr(8))),
        OpError::ExitAddressMismatch(AccountIndex(9))
    );
    w.batch(vec![locked_deposit(addr(7))], vec![]);
    assert_eq!(w.balance(9), 100);
    // Its L1 address takes everything out.
    let applied = w.batch(vec![forced_exit(9, ETH, addr(7))], vec![]);
    assert!(matches!(
        applied.witness.ops[0].op,
        PubdataOp::ForcedExit { amount: 100, .. }
    ));
    assert_eq!(w.balance(9), 0);

    // Replay from pubdata (which carries the deposited key) reaches the same state.
    let mut fresh = funded();
    let first = fresh.batch(vec![locked_deposit(addr(7))], vec![]);
    let mut genesis = funded().tree;
    replay_batch(
        &mut genesis,
        &config(),
        first.witness.number,
        first.pubdata(),
    )
    .unwrap();
    assert_eq!(genesis.root().unwrap(), fresh.tree.root().unwrap());
}
