//! A halo2 deployment from the binary, against anvil: `zksettle l1 deploy --prover.system
//! halo2` puts the batch key in key contracts behind `Halo2Verifier`, and `zksettle node
//! --prover.system halo2` proves deposits and transfers with halo2 and settles them there: the
//! contract's root ends as the node's; `zksettle verify chain --halo2-key` rebuilds it from
//! anvil alone and checks every proof.

use crate::crash::{
    assert_settled_exactly_once, deploy_and_fund_with, send_round, SHAPE_FLAGS, USERS,
};
use zksettle_l1::bindings::Halo2Verifier;
use zksettle_l1::{Chain, RollupClient, RpcChain, RpcConfig};

const HALO2: [&str; 2] = ["--prover.system", "halo2"];

#[tokio::test(flavor = "multi_thread")]
async fn a_halo2_deployment_settles_transfers_through_its_halo2_verifier_on_anvil() {
    let setup = deploy_and_fund_with(&HALO2).await;
    let chain = RpcChain::connect(
        setup.anvil.url(),
        zksettle_l1::anvil::DEV_KEYS[2].parse().unwrap(),
        RpcConfig::default(),
    )
    .await
    .unwrap();
    let contract = RollupClient::new(chain.clone(), setup.rollup.parse().unwrap());
    // The rollup's verifier is the halo2 one, over the key the rollup pins.
    let verifier = contract.verifier().await.unwrap();
    let call = alloy::sol_types::SolCall::abi_encode(&Halo2Verifier::keyHashCall {});
    let key_hash = chain.call(verifier, call.into()).await.unwrap();
    assert_eq!(key_hash.as_ref(), contract.vk_hash().await.unwrap());

    let node = setup.start_node_with(0, &HALO2);
    node.wait_until("the deposits sealed", |s| s.priority_next == USERS as u64)
        .await;
    let acknowledged = send_round(&setup, &node, 0).await;
    let status = node
        .wait_until("everything settled", |s| {
            s.pending == 0 && s.settled == s.sealed && s.sealed > 1
        })
        .await;
    assert_settled_exactly_once(&setup, &node, &acknowledged, 1, &status, &setup.logs()).await;
    node.kill();

    // An auditor: the halo2 key exported as the key contracts hold it, and the whole chain
    // rebuilt from anvil with every proof checked against it.
    let key = setup.dir.path().join("halo2_key.bin");
    let keys_dir = setup.keys_dir();
    let run = |args: &[&str]| {
        let out = crate::zksettle().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "zksettle {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let mut export = vec!["prover", "export-vk", "--out", key.to_str().unwrap()];
    export.extend(["--prover.keys-dir", keys_dir.to_str().unwrap()]);
    export.extend(SHAPE_FLAGS);
    export.extend(HALO2);
    run(&export);
    let from_block = setup.deploy_block.to_string();
    let report: serde_json::Value = serde_json::from_str(&run(&[
        "verify",
        "chain",
        "--halo2-key",
        key.to_str().unwrap(),
        "--l1.rpc-url",
        setup.anvil.url(),
        "--l1.rollup",
        &setup.rollup,
        "--l1.from-block",
        &from_block,
    ]))
    .unwrap();
    assert_eq!(report["state_root"], status.root, "{report}");
    assert_eq!(report["batches"], status.settled, "{report}");
    assert_eq!(report["proofs"], status.settled, "{report}");
}
