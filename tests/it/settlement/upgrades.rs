//! An upgrade with real batches (review F8): the proxy's address is the domain of every proof
//! and signature, so batches proven before an upgrade still settle after it, on the state the
//! old code left.

use super::l2::{deposit_op, transfer, user};
use super::{config, deployed, Actors};
use alloy::primitives::U256;
use zksettle_l1::convert::l1_address;
use zksettle_l1::{deploy_implementation, Chain, RollupClient};

pub(super) async fn upgrade<C: Chain + Clone>(a: Actors<C>) {
    let window = 3600;
    let (deployment, mut l2) = deployed(&a, window).await;
    let operator = RollupClient::new(a.operator.clone(), deployment.rollup);
    let alice = RollupClient::new(a.alice.clone(), deployment.rollup);
    let alice_l1 = l1_address(a.alice.sender());
    let d1 = alice
        .deposit_eth(&user(1).public_key().0, alice_l1, U256::from(4_000u64))
        .await
        .unwrap();
    let b1 = l2.batch(vec![deposit_op(&d1, 1)]);
    operator
        .submit_batch(1, &b1.new_root, &b1.pubdata, &b1.proof)
        .await
        .unwrap();
    // Proven now, for the proxy's address, settled after the upgrade.
    let b2 = l2.batch(vec![transfer(&l2, 1, 1, 2, 2, 1_000, alice_l1)]);

    let next = deploy_implementation(&a.operator, &deployment, &config(window))
        .await
        .unwrap();
    operator.schedule_upgrade(next).await.unwrap();
    a.operator.increase_time(2 * window + 1).await.unwrap();
    operator.execute_upgrade().await.unwrap();
    assert_eq!(operator.implementation().await.unwrap(), next);
    assert_eq!(operator.state_root().await.unwrap(), b1.new_root);
    operator
        .submit_batch(2, &b2.new_root, &b2.pubdata, &b2.proof)
        .await
        .unwrap();
    assert_eq!(operator.state_root().await.unwrap(), l2.root());
    assert_eq!(operator.batch_number().await.unwrap(), 2);
}
