//! The priority queue under a flood (review F4): 1-wei deposits and paid forced exits up to the
//! caps, the rest refused with named errors; the operator proves and settles every queued
//! operation within the window, the counts come back down, and exodus cannot be forced.

use super::l2::{deposit_op, forced_exit_op, user};
use super::{config, deployed_with, rollup_error, Actors};
use alloy::primitives::U256;
use zksettle_core::{AccountIndex, TokenId};
use zksettle_l1::bindings::Rollup::RollupErrors;
use zksettle_l1::convert::l1_address;
use zksettle_l1::{Chain, L1Error, PriorityOp, RollupClient};

fn queued(result: Result<PriorityOp, L1Error>) -> RollupErrors {
    match result {
        Err(L1Error::Rollup(e)) => e,
        other => panic!("expected the rollup to refuse, got {other:?}"),
    }
}

pub(super) async fn flood<C: Chain + Clone>(a: Actors<C>) {
    let window = 3600;
    let mut c = config(window);
    c.max_priority_ops = 6;
    c.max_forced_exits_per_index = 2;
    let (deployment, mut l2) = deployed_with(&a, c).await;
    let operator = RollupClient::new(a.operator.clone(), deployment.rollup);
    let mallory = RollupClient::new(a.bob.clone(), deployment.rollup);
    let mallory_l1 = l1_address(a.bob.sender());
    let key = user(9).public_key().0;

    let mut ops = Vec::new();
    for _ in 0..3 {
        ops.push(
            mallory
                .deposit_eth(&key, mallory_l1, U256::from(1))
                .await
                .unwrap(),
        );
    }
    assert!(matches!(
        queued(mallory.deposit_eth(&key, mallory_l1, U256::from(1)).await),
        RollupErrors::PriorityQueueFull(_)
    ));
    for _ in 0..2 {
        ops.push(
            mallory
                .request_forced_exit(AccountIndex(1), TokenId(0))
                .await
                .unwrap(),
        );
    }
    assert!(matches!(
        queued(mallory.request_forced_exit(AccountIndex(1), TokenId(0)).await),
        RollupErrors::TooManyForcedExits(e) if e.index == 1
    ));
    ops.push(
        mallory
            .request_forced_exit(AccountIndex(2), TokenId(0))
            .await
            .unwrap(),
    );
    assert!(matches!(
        queued(
            mallory
                .request_forced_exit(AccountIndex(3), TokenId(0))
                .await
        ),
        RollupErrors::PriorityQueueFull(_)
    ));
    assert_eq!(operator.priority_queue().await.unwrap(), (0, 6));

    // The operator processes the whole queue (one op a batch in this shape) well within the
    // window.
    for (i, op) in ops.iter().enumerate() {
        let l2_op = match op {
            PriorityOp::Deposit { .. } => deposit_op(op, i as u32 + 1),
            PriorityOp::ForcedExit { .. } => forced_exit_op(op),
        };
        let b = l2.batch(vec![l2_op]);
        operator
            .submit_batch(b.number, &b.new_root, &b.pubdata, &b.proof)
            .await
            .unwrap();
    }
    assert_eq!(operator.priority_queue().await.unwrap(), (6, 6));
    assert_eq!(
        operator.open_forced_exits(AccountIndex(1)).await.unwrap(),
        U256::ZERO
    );
    // Mallory's forced exits paid their fees; account 1 is hers, but held 1 wei at most.
    let fee = operator.forced_exit_fee().await.unwrap();
    assert_eq!(
        operator
            .pending_balance(a.operator.sender(), TokenId(0))
            .await
            .unwrap(),
        fee * U256::from(3)
    );
    // Long after, nothing is overdue: no exodus, and the queue takes requests again.
    a.bob.increase_time(window + 1).await.unwrap();
    assert!(matches!(
        rollup_error(mallory.activate_exodus().await),
        RollupErrors::NotExpired(_)
    ));
    mallory
        .request_forced_exit(AccountIndex(1), TokenId(0))
        .await
        .unwrap();
    assert_eq!(operator.state_root().await.unwrap(), l2.root());
}
