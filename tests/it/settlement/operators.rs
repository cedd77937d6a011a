//! Who may move the root (review F3, F5): operators named by governance; anyone once no
//! operator has had a batch verified for the fallback delay, until one does; never a batch
//! without an op, never a call from a contract (its pubdata would be in no transaction's
//! input), never while the guardian has paused submission. Every batch here is really proven.

use super::l2::{deposit_op, transfer, user, L2};
use super::{deployed, rollup_error, Actors};
use alloy::primitives::U256;
use alloy::sol_types::{SolCall, SolInterface};
use zksettle_l1::bindings::{BatchForwarder, Rollup::RollupErrors};
use zksettle_l1::convert::{b256_of_fr, l1_address};
use zksettle_l1::{Chain, ChainError, RollupClient, TxRequest, VerifierProof};

pub(super) async fn operators<C: Chain + Clone>(a: Actors<C>) {
    let window = 3600;
    let (deployment, mut l2) = deployed(&a, window).await;
    let operator = RollupClient::new(a.operator.clone(), deployment.rollup);
    let alice = RollupClient::new(a.alice.clone(), deployment.rollup);
    let bob = RollupClient::new(a.bob.clone(), deployment.rollup);
    let alice_l1 = l1_address(a.alice.sender());

    // An all-Noop batch is provable by anyone holding the proving key, for any number: refused
    // even from the operator, so every batch makes progress.
    let mut scratch = L2::new(l2.domain());
    let empty = scratch.batch(vec![]);
    assert!(empty.pubdata.iter().all(|b| *b == 0));
    assert!(matches!(
        rollup_error(
            operator
                .submit_batch(1, &empty.new_root, &empty.pubdata, &empty.proof)
                .await
        ),
        RollupErrors::EmptyBatch(_)
    ));

    // A stranger's valid proven batch is refused while the operator is around.
    let d1 = alice
        .deposit_eth(&user(1).public_key().0, alice_l1, U256::from(9_000u64))
        .await
        .unwrap();
    let b1 = l2.batch(vec![deposit_op(&d1, 1)]);
    assert!(matches!(
        rollup_error(bob.submit_batch(1, &b1.new_root, &b1.pubdata, &b1.proof).await),
        RollupErrors::NotOperator(e) if e.caller == a.bob.sender()
    ));
    // So is the operator's own batch relayed through a contract, even one governance made an
    // operator: `verify chain` reads pubdata from transactions' input.
    let forwarder = a
        .operator
        .send(TxRequest::deploy(BatchForwarder::BYTECODE.clone()))
        .await
        .unwrap()
        .contract_address
        .unwrap();
    operator.set_operator(forwarder, true).await.unwrap();
    let forwarded = a
        .operator
        .send(TxRequest::call(
            forwarder,
            BatchForwarder::forwardCall {
                rollup: deployment.rollup,
                number: 1,
                newRoot: b256_of_fr(&b1.new_root),
                pubdata: b1.pubdata.clone().into(),
                proof: b1.proof.verifier_bytes(),
            }
            .abi_encode(),
        ))
        .await;
    assert!(
        matches!(
            &forwarded,
            Err(ChainError::Reverted { data })
                if matches!(RollupErrors::abi_decode(data), Ok(RollupErrors::NotDirectCall(_)))
        ),
        "{forwarded:?}"
    );
    // The guardian's pause stops the operator too.
    operator.pause().await.unwrap();
    assert!(matches!(
        rollup_error(
            operator
                .submit_batch(1, &b1.new_root, &b1.pubdata, &b1.proof)
                .await
        ),
        RollupErrors::BatchesPaused(_)
    ));
    operator.unpause().await.unwrap();
    operator
        .submit_batch(1, &b1.new_root, &b1.pubdata, &b1.proof)
        .await
        .unwrap();

    // The operator goes silent. Half a window later (the fallback delay) anyone may prove and
    // submit, batch after batch, so the queue is processed before it expires.
    let d2 = alice
        .deposit_eth(&user(2).public_key().0, alice_l1, U256::from(800u64))
        .await
        .unwrap();
    let d3 = alice
        .deposit_eth(&user(3).public_key().0, alice_l1, U256::from(700u64))
        .await
        .unwrap();
    let b2 = l2.batch(vec![deposit_op(&d2, 2)]);
    a.bob.increase_time(window / 2 - 60).await.unwrap();
    assert!(matches!(
        rollup_error(
            bob.submit_batch(2, &b2.new_root, &b2.pubdata, &b2.proof)
                .await
        ),
        RollupErrors::NotOperator(_)
    ));
    a.bob.increase_time(61).await.unwrap();
    bob.submit_batch(2, &b2.new_root, &b2.pubdata, &b2.proof)
        .await
        .unwrap();
    let b3 = l2.batch(vec![deposit_op(&d3, 3)]);
    bob.submit_batch(3, &b3.new_root, &b3.pubdata, &b3.proof)
        .await
        .unwrap();
    assert_eq!(operator.priority_queue().await.unwrap(), (3, 3));
    // The operator's next batch closes the fallback again.
    // Transfers name the recipient account's exit address (all three are Alice's).
    let b4 = l2.batch(vec![transfer(&l2, 1, 1, 2, 2, 100, alice_l1)]);
    operator
        .submit_batch(4, &b4.new_root, &b4.pubdata, &b4.proof)
        .await
        .unwrap();
    let b5 = l2.batch(vec![transfer(&l2, 2, 2, 1, 1, 50, alice_l1)]);
    assert!(matches!(
        rollup_error(
            bob.submit_batch(5, &b5.new_root, &b5.pubdata, &b5.proof)
                .await
        ),
        RollupErrors::NotOperator(_)
    ));
    // Governance makes Bob an operator, and drops the first one.
    operator.set_operator(a.bob.sender(), true).await.unwrap();
    operator
        .set_operator(a.operator.sender(), false)
        .await
        .unwrap();
    assert!(matches!(
        rollup_error(
            operator
                .submit_batch(5, &b5.new_root, &b5.pubdata, &b5.proof)
                .await
        ),
        RollupErrors::NotOperator(_)
    ));
    bob.submit_batch(5, &b5.new_root, &b5.pubdata, &b5.proof)
        .await
        .unwrap();
    assert_eq!(operator.state_root().await.unwrap(), l2.root());
    assert!(!operator.exodus().await.unwrap());
}
