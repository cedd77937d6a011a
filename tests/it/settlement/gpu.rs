//! A batch proven with its G1 MSMs on the GPU backend settles: the contract's verifier accepts
//! the proof. In CI the adapter is Mesa's software Vulkan (lavapipe, which the test command
//! installs), so this runs on any machine; on a GPU box it is the GPU.

use super::l2::{deposit_op, user};
use super::{deployed, embedded};
use alloy::primitives::U256;
use zksettle_l1::convert::l1_address;
use zksettle_l1::{Chain, RollupClient};
use zksettle_prover::MsmDevice;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_proven_with_the_gpu_msm_settles_on_the_embedded_evm() {
    let a = embedded();
    let (deployment, mut l2) = deployed(&a, 3600).await;
    let placement = l2.place_msm(MsmDevice::Gpu);
    assert!(placement.is_gpu(), "{placement}");
    let operator = RollupClient::new(a.operator.clone(), deployment.rollup);
    let alice = RollupClient::new(a.alice.clone(), deployment.rollup);
    let alice_l1 = l1_address(a.alice.sender());
    let d1 = alice
        .deposit_eth(&user(1).public_key().0, alice_l1, U256::from(1_000_000u64))
        .await
        .unwrap();
    // One batch: on lavapipe each of its G1 MSMs takes seconds.
    let b1 = l2.batch(vec![deposit_op(&d1, 1)]);
    operator
        .submit_batch(b1.number, &b1.new_root, &b1.pubdata, &b1.proof)
        .await
        .unwrap_or_else(|e| panic!("the GPU-proven batch was refused: {e}"));
    assert_eq!(operator.batch_number().await.unwrap(), 1);
    assert_eq!(operator.state_root().await.unwrap(), b1.new_root);
    assert_eq!(l2.account(1).balance, 1_000_000);
}
