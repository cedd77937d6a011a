use super::*;
use crate::records::StoredPriorityOp;
use crate::store::tables::{Batches, PriorityOps};
use zksettle_core::{
    Account, BatchShape, Domain, L1Address, PrivateKey, TokenId, Transfer, Tx, Withdraw,
};
use zksettle_l1::PriorityOp;

fn genesis() -> Genesis {
    Genesis {
        domain: Domain {
            chain_id: 31337,
            rollup: L1Address([0xaa; 20]),
        },
        shape: BatchShape {
            depth: 8,
            chunks: 32,
            fee_slots: 1,
        },
        vk_hash: "00".repeat(32),
        deploy_block: 1,
    }
}

fn config() -> SequencerConfig {
    SequencerConfig {
        genesis: genesis(),
        fee_recipients: vec![AccountIndex(1)],
        mempool: MempoolConfig::default(),
    }
}

fn user(n: u8) -> PrivateKey {
    PrivateKey::from_bytes([n; 32])
}

fn queue_deposit(db: &NodeDb, serial: u64, owner: u8, amount: u128) {
    let mut batch = db.write();
    batch.put::<PriorityOps>(
        &serial,
        &StoredPriorityOp {
            op: PriorityOp::Deposit {
                serial,
                token: TokenId(0),
                amount,
                packed_key: user(owner).public_key().pack(),
                l1_address: L1Address([owner; 20]),
                expiry: u64::MAX,
            },
        },
    );
    batch.commit().unwrap();
}

fn transfer(from: u32, signer: u8, to: u8, amount: u128, fee: u128, nonce: u32) -> SignedTx {
    Tx::Transfer(Transfer {
        from: AccountIndex(from),
        token: TokenId(0),
        amount,
        fee,
        nonce,
        to: user(to).public_key(),
        to_l1_address: L1Address([to; 20]),
    })
    .sign(&user(signer), &genesis().domain)
}

fn checked(state: &SequencerState, tx: &SignedTx) -> Result<Account, SubmitError> {
    SequencerState::check(
        state.tree().store(),
        state.config(),
        &state.fee_tokens(),
        tx,
    )
}

/// Operator (fee account, index 1) and two users (2, 3) funded by deposits in batch 1.
fn funded(dir: &std::path::Path) -> SequencerState {
    let db = NodeDb::open(dir).unwrap();
    queue_deposit(&db, 0, 10, 1);
    queue_deposit(&db, 1, 11, 1_000);
    queue_deposit(&db, 2, 12, 1_000);
    let mut state = SequencerState::open(db, config()).unwrap();
    let sealed = state.seal().unwrap().expect("deposits to seal");
    assert_eq!(sealed.batch.number, 1);
    assert_eq!(sealed.batch.priority, (0, 3));
    state
}

#[test]
fn deposits_then_transfers_seal_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = funded(dir.path());
    assert_eq!(
        state
            .tree()
            .account(AccountIndex(2))
            .unwrap()
            .unwrap()
            .balance,
        1_000
    );

    let t1 = transfer(2, 11, 12, 100, 1, 0);
    let t2 = transfer(2, 11, 13, 50, 1, 1); // opens an account for key 13
    let t3 = transfer(3, 12, 11, 10, 0, 0);
    for tx in [&t1, &t2, &t3] {
        checked(&state, tx).unwrap();
    }
    let results = state.admit(&[t1, t2, t3]);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    // The pending t3 and a later nonce that waits in the queue outlive a restart unsealed.
    let sealed = state.seal().unwrap().unwrap();
    assert_eq!(sealed.batch.tx_hashes.len(), 3);
    assert!(sealed.dropped.is_empty());
    let root = state.tree().root().unwrap();
    let queued = transfer(3, 12, 11, 1, 0, 2);
    let pending = transfer(3, 12, 11, 1, 0, 1);
    assert!(state.admit(&[queued, pending]).iter().all(Result::is_ok));
    drop(state);

    let state = SequencerState::open(NodeDb::open(dir.path()).unwrap(), config()).unwrap();
    assert_eq!(state.last_batch(), 2);
    assert_eq!(state.next_priority(), 3);
    assert_eq!(state.tree().root().unwrap(), root);
    let accounts = |i| state.tree().account(AccountIndex(i)).unwrap().unwrap();
    assert_eq!(accounts(1).balance, 1 + 2); // fees
    assert_eq!(accounts(2).balance, 1_000 - 152 + 10);
    assert_eq!(accounts(4).balance, 50);
    assert_eq!(
        (state.pool().pending_len(), state.pool().queued_len()),
        (2, 0)
    );
    let record = state.db().get::<Txs>(&t1.hash()).unwrap().unwrap();
    assert_eq!(record.batch, Some(2));
    assert_eq!(
        state.db().get::<Batches>(&2).unwrap().unwrap().tx_hashes[0],
        t1.hash()
    );
}

#[test]
fn static_checks_name_the_broken_rule() {
    let dir = tempfile::tempdir().unwrap();
    let state = funded(dir.path());
    let wrong_signer = transfer(2, 12, 11, 1, 0, 0);
    assert!(matches!(
        checked(&state, &wrong_signer),
        Err(SubmitError::Invalid(OpError::BadSignature(_)))
    ));
    assert_eq!(
        checked(&state, &transfer(9, 11, 12, 1, 0, 0)),
        Err(SubmitError::Invalid(OpError::UnknownAccount(AccountIndex(
            9
        ))))
    );
    assert!(matches!(
        checked(&state, &transfer(2, 11, 12, 123_456_789_123, 0, 0)),
        Err(SubmitError::Invalid(OpError::AmountNotPackable(_)))
    ));
    let withdraw = Tx::Withdraw(Withdraw {
        from: AccountIndex(2),
        token: TokenId(0),
        amount: 1,
        fee: 0,
        nonce: 0,
        to_l1_address: L1Address::default(),
    })
    .sign(&user(11), &genesis().domain);
    assert_eq!(
        checked(&state, &withdraw),
        Err(SubmitError::Invalid(OpError::MissingL1Address))
    );
}

#[test]
fn the_pool_refuses_what_the_state_cannot_carry() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = funded(dir.path());
    let results = state.admit(&[
        transfer(2, 11, 12, 1, 0, 0),
        transfer(2, 11, 12, 1, 0, 0),
        transfer(3, 12, 11, 2_000, 0, 0),
    ]);
    assert!(results[0].is_ok());
    assert_eq!(results[1], Err(SubmitError::Pool(PoolError::AlreadyKnown)));
    assert!(matches!(
        results[2],
        Err(SubmitError::Pool(PoolError::InsufficientBalance { .. }))
    ));
}

#[test]
fn a_transaction_resent_after_its_batch_sealed_is_already_known() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = funded(dir.path());
    let tx = transfer(2, 11, 12, 1, 0, 0);
    assert!(state.admit(&[tx])[0].is_ok());
    assert!(state.seal().unwrap().is_some());
    assert_eq!(
        state.admit(&[tx])[0],
        Err(SubmitError::Pool(PoolError::AlreadyKnown))
    );
    // A different transaction at the same (used) nonce is still stale.
    assert!(matches!(
        state.admit(&[transfer(2, 11, 12, 2, 0, 0)])[0],
        Err(SubmitError::Pool(PoolError::NonceTooLow { .. }))
    ));
}

#[test]
fn a_replaced_transaction_is_recorded_rejected_with_its_replacement_typed_for_wallets() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = funded(dir.path());
    let first = transfer(2, 11, 12, 5, 10, 0);
    let higher_fee = transfer(2, 11, 12, 5, 20, 0);
    assert!(state.admit(&[first])[0].is_ok());
    assert!(state.admit(&[higher_fee])[0].is_ok());
    let reason = state
        .db
        .get::<Txs>(&first.hash())
        .unwrap()
        .unwrap()
        .rejected;
    assert_eq!(
        reason,
        Some(DropReason::Replaced {
            by: higher_fee.hash()
        })
    );
    // What `zks_getTransaction` reports: a kind to match on, and the replacement's hash.
    let status = crate::records::TxStatus::Rejected {
        reason: reason.unwrap(),
    };
    assert_eq!(
        serde_json::to_value(&status).unwrap(),
        serde_json::json!({
            "state": "rejected",
            "reason": {"kind": "replaced", "by": format!("0x{}", hex::encode(higher_fee.hash()))}
        })
    );
}

#[test]
fn a_database_of_another_deployment_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(funded(dir.path()));
    let mut other = config();
    other.genesis.domain.chain_id = 1;
    assert!(matches!(
        SequencerState::open(NodeDb::open(dir.path()).unwrap(), other),
        Err(StateError::WrongDeployment { .. })
    ));
}

#[test]
fn an_unaffordable_run_is_refused_and_sealing_empties_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let mut state = funded(dir.path());
    let spend_all = transfer(2, 11, 12, 1_000, 0, 0);
    let too_much = transfer(2, 11, 12, 1, 0, 1);
    assert!(state.admit(&[spend_all]).iter().all(Result::is_ok));
    assert!(matches!(
        state.admit(&[too_much])[0],
        Err(SubmitError::Pool(PoolError::InsufficientBalance { .. }))
    ));
    let sealed = state.seal().unwrap().unwrap();
    assert_eq!(sealed.batch.tx_hashes, [spend_all.hash()]);
    assert!(state.seal().unwrap().is_none(), "nothing left to seal");
}

#[test]
fn recipients_outside_the_subgroup_are_refused_each_time_and_valid_ones_pass() {
    use zksettle_core::babyjubjub::Point;
    use zksettle_core::{Fr, PublicKey};
    let dir = tempfile::tempdir().unwrap();
    let state = funded(dir.path());
    let domain = genesis().domain;
    let to = |key: PublicKey, nonce: u32| {
        Tx::Transfer(Transfer {
            from: AccountIndex(2),
            token: TokenId(0),
            amount: 1,
            fee: 0,
            nonce,
            to: key,
            to_l1_address: L1Address([77; 20]),
        })
        .sign(&user(11), &domain)
    };
    // A fresh key is valid, and stays so on a second look (from the memo).
    let fresh = user(77).public_key();
    for _ in 0..2 {
        checked(&state, &to(fresh, 0)).unwrap();
    }
    // The same key plus a point of order 2: on the curve, outside the subgroup.
    let two_torsion = Point {
        x: Fr::from(0u64),
        y: -Fr::from(1u64),
    };
    let mixed = PublicKey(fresh.0.add(&two_torsion));
    assert!(mixed.0.is_on_curve());
    for _ in 0..2 {
        assert!(matches!(
            checked(&state, &to(mixed, 0)),
            Err(SubmitError::Invalid(OpError::InvalidRecipientKey))
        ));
    }
    assert!(matches!(
        checked(&state, &to(PublicKey(Point::IDENTITY), 0)),
        Err(SubmitError::Invalid(OpError::InvalidRecipientKey))
    ));
}
