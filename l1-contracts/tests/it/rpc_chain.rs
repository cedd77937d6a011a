//! `RpcChain` against a real anvil: how it waits for receipts when the chain reorganises.

use alloy::primitives::{Address, U256};
use alloy::providers::ext::AnvilApi;
use alloy::signers::local::PrivateKeySigner;
use std::time::Duration;
use zksettle_l1::anvil::{Anvil, DEV_KEYS};
use zksettle_l1::{Chain, RpcChain, RpcConfig, TxRequest};

/// A reorganisation can put a transaction with the very same hash (same sender, nonce, fees
/// and payload) back in the pool: here a snapshot is reverted and the transfer sent again.
/// The new copy is not mined yet when it is sent, so its receipt has to be waited for on the
/// new chain, not taken from the block of the old chain that held the first copy. (Whether a
/// block watcher still remembers the old block is a race, so the round is played three times.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_sent_again_after_a_revert_waits_for_its_new_receipt() {
    let anvil = Anvil::start(31337).unwrap();
    let signer: PrivateKeySigner = DEV_KEYS[0].parse().unwrap();
    let chain = RpcChain::connect(anvil.url(), signer, RpcConfig::default())
        .await
        .unwrap();
    let payee = Address::repeat_byte(0x42);
    let transfer = move || TxRequest {
        to: Some(payee),
        input: Default::default(),
        value: U256::from(1_000u64),
    };
    let anvil_api = chain.provider();
    let mut snapshot = anvil_api.anvil_snapshot().await.unwrap();
    let first = chain.send(transfer()).await.unwrap();
    for round in 0..3 {
        assert!(anvil_api.anvil_revert(snapshot).await.unwrap());
        // A reverted snapshot is used up; take it again for the next round.
        snapshot = anvil_api.anvil_snapshot().await.unwrap();
        anvil_api.anvil_set_auto_mine(false).await.unwrap();
        let sending = tokio::spawn({
            let chain = chain.clone();
            async move { chain.send(transfer()).await }
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        if sending.is_finished() {
            panic!(
                "round {round}: answered before its block was mined: {:?}",
                sending.await.unwrap()
            );
        }
        anvil_api.anvil_mine(Some(1), None).await.unwrap();
        let again = sending.await.unwrap().unwrap();
        anvil_api.anvil_set_auto_mine(true).await.unwrap();

        assert_eq!(
            again.tx_hash, first.tx_hash,
            "the same transaction, sent again"
        );
        assert_eq!(again.block_number, first.block_number);
        let balance = chain.balance(payee).await.unwrap();
        assert_eq!(
            balance,
            U256::from(1_000u64),
            "credited once, on the new chain"
        );
    }
}
