//! Batches proven by the real prover and settled by the real contracts, on both base chains:
//! the embedded EVM (revm) and a real anvil node over JSON-RPC. Deposits of ether and an ERC-20,
//! transfers (to a new and to an existing account), withdrawals, a forced exit, the batches the
//! contract must refuse, and exodus with its exits and refunds.

mod gpu;
mod halo2;
pub(crate) mod l2;
mod operators;
mod ownership;
mod queue;
mod upgrades;

use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolConstructor};
use ark_bn254::Bn254;
use ark_groth16::Proof;
use l2::{deposit_op, forced_exit_op, keys, transfer, user, withdraw, L2, SHAPE};
use zksettle_core::{AccountIndex, Domain, L1Address, TokenId};
use zksettle_l1::anvil::{Anvil, DEV_KEYS};
use zksettle_l1::bindings::{Reenterer, Rollup::RollupErrors, TestToken};
use zksettle_l1::convert::l1_address;
use zksettle_l1::{
    deploy, Chain, DeployConfig, EmbeddedChain, L1Error, RollupClient, RpcChain, RpcConfig,
    TxRequest, VerifierProof,
};

/// The operator (deployer, batch submitter) and two users, each with its own chain handle.
struct Actors<C> {
    operator: C,
    alice: C,
    bob: C,
}

fn signer(i: usize) -> PrivateKeySigner {
    DEV_KEYS[i].parse().unwrap()
}

fn embedded() -> Actors<EmbeddedChain> {
    let funded: Vec<(Address, U256)> = (0..3)
        .map(|i| (signer(i).address(), U256::from(10u128.pow(22))))
        .collect();
    let chain = EmbeddedChain::new(31337, &funded);
    Actors {
        operator: chain.with_sender(funded[0].0),
        alice: chain.with_sender(funded[1].0),
        bob: chain.with_sender(funded[2].0),
    }
}

async fn on_anvil(anvil: &Anvil) -> Actors<RpcChain> {
    let connect = |i| RpcChain::connect(anvil.url(), signer(i), RpcConfig::default());
    Actors {
        operator: connect(0).await.unwrap(),
        alice: connect(1).await.unwrap(),
        bob: connect(2).await.unwrap(),
    }
}

fn rollup_error(result: Result<zksettle_l1::Receipt, L1Error>) -> RollupErrors {
    match result {
        Err(L1Error::Rollup(e)) => e,
        other => panic!("expected the rollup to refuse, got {other:?}"),
    }
}

async fn deployed<C: Chain + Clone>(a: &Actors<C>, window: u64) -> (zksettle_l1::Deployment, L2) {
    deployed_with(a, config(window)).await
}

/// The test shape's deployment with development defaults (the operator holds every role).
fn config(window: u64) -> DeployConfig {
    DeployConfig::new(
        zksettle_l1::BatchVerifierKey::Groth16(keys().verifying_key().clone()),
        keys().vk_hash,
        L2::genesis_root(),
        SHAPE,
        window,
    )
}

async fn deployed_with<C: Chain + Clone>(
    a: &Actors<C>,
    config: DeployConfig,
) -> (zksettle_l1::Deployment, L2) {
    let deployment = deploy(&a.operator, &config).await.unwrap();
    let l2 = L2::new(Domain {
        chain_id: a.operator.chain_id(),
        rollup: l1_address(deployment.rollup),
    });
    (deployment, l2)
}

async fn settlement<C: Chain + Clone>(a: Actors<C>) {
    let (deployment, mut l2) = deployed(&a, 3600).await;
    let operator = RollupClient::new(a.operator.clone(), deployment.rollup);
    let alice = RollupClient::new(a.alice.clone(), deployment.rollup);
    let bob = RollupClient::new(a.bob.clone(), deployment.rollup);
    let alice_l1 = l1_address(a.alice.sender());
    let bob_l1 = l1_address(a.bob.sender());
    assert_eq!(operator.vk_hash().await.unwrap(), keys().vk_hash);

    // 1. Ether into a new account.
    let d1 = alice
        .deposit_eth(&user(1).public_key().0, alice_l1, U256::from(1_000_000u64))
        .await
        .unwrap();
    let b1 = l2.batch(vec![deposit_op(&d1, 1)]);
    // What the contract refuses: a batch out of order, a proof of something else, a public
    // input that is not the proof's (one pubdata byte, the root).
    assert!(matches!(
        rollup_error(
            operator
                .submit_batch(2, &b1.new_root, &b1.pubdata, &b1.proof)
                .await
        ),
        RollupErrors::WrongBatchNumber(_)
    ));
    let swapped = Proof::<Bn254> {
        a: b1.proof.c,
        b: b1.proof.b,
        c: b1.proof.a,
    };
    assert!(matches!(
        rollup_error(
            operator
                .submit_batch(1, &b1.new_root, &b1.pubdata, &swapped)
                .await
        ),
        RollupErrors::InvalidProof(_)
    ));
    // The verifier takes exactly eight words: one byte short or over is not a proof.
    let words = b1.proof.verifier_bytes().to_vec();
    let mut over = words.clone();
    over.push(0);
    for wrong_length in [&words[..255], &over[..]] {
        assert!(matches!(
            rollup_error(
                operator
                    .submit_batch(1, &b1.new_root, &b1.pubdata, wrong_length)
                    .await
            ),
            RollupErrors::InvalidProof(_)
        ));
    }
    let mut tampered = b1.pubdata.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert!(matches!(
        rollup_error(
            operator
                .submit_batch(1, &b1.new_root, &tampered, &b1.proof)
                .await
        ),
        RollupErrors::InvalidProof(_)
    ));
    assert!(matches!(
        rollup_error(
            operator
                .submit_batch(
                    1,
                    &(b1.new_root + zksettle_core::Fr::from(1u64)),
                    &b1.pubdata,
                    &b1.proof
                )
                .await
        ),
        RollupErrors::InvalidProof(_)
    ));
    assert!(matches!(
        rollup_error(
            operator
                .submit_batch(1, &b1.new_root, &b1.pubdata[1..], &b1.proof)
                .await
        ),
        RollupErrors::WrongPubdataLength(_)
    ));
    operator
        .submit_batch(1, &b1.new_root, &b1.pubdata, &b1.proof)
        .await
        .unwrap();
    // The same batch again is a replay.
    assert!(matches!(
        rollup_error(
            operator
                .submit_batch(1, &b1.new_root, &b1.pubdata, &b1.proof)
                .await
        ),
        RollupErrors::WrongBatchNumber(_)
    ));

    // 2. An ERC-20 (registered on L1, token 1) into a second account.
    let init = [
        TestToken::BYTECODE.as_ref(),
        &TestToken::constructorCall {
            name_: "Test".into(),
            symbol_: "TST".into(),
        }
        .abi_encode(),
    ]
    .concat();
    let token = a
        .operator
        .send(TxRequest::deploy(init))
        .await
        .unwrap()
        .contract_address
        .unwrap();
    assert_eq!(operator.register_token(token).await.unwrap(), TokenId(1));
    let bob_address = a.bob.sender();
    a.bob
        .send(TxRequest::call(
            token,
            TestToken::mintCall {
                to: bob_address,
                value: U256::from(5_000u64),
            }
            .abi_encode(),
        ))
        .await
        .unwrap();
    a.bob
        .send(TxRequest::call(
            token,
            TestToken::approveCall {
                spender: deployment.rollup,
                value: U256::from(5_000u64),
            }
            .abi_encode(),
        ))
        .await
        .unwrap();
    let d2 = bob
        .deposit_erc20(token, U256::from(5_000u64), &user(2).public_key().0, bob_l1)
        .await
        .unwrap();
    let b2 = l2.batch(vec![deposit_op(&d2, 2)]);
    operator
        .submit_batch(b2.number, &b2.new_root, &b2.pubdata, &b2.proof)
        .await
        .unwrap();

    // 3. A transfer that opens an account; 4. a withdrawal and a transfer to an existing account.
    let b3 = l2.batch(vec![transfer(&l2, 1, 1, 3, 3, 300, L1Address([0xc3; 20]))]);
    operator
        .submit_batch(b3.number, &b3.new_root, &b3.pubdata, &b3.proof)
        .await
        .unwrap();
    // The withdrawal goes to a contract that tries to re-enter `withdraw` when paid.
    let reenterer = a
        .operator
        .send(TxRequest::deploy(Reenterer::BYTECODE.clone()))
        .await
        .unwrap()
        .contract_address
        .unwrap();
    // The transfer comes first so the withdrawal's record sits inside a calldata word the
    // contract's chunk walk must not skip.
    let b4 = l2.batch(vec![
        transfer(&l2, 3, 3, 1, 1, 50, alice_l1),
        withdraw(&l2, 1, 1, 200, 1, l1_address(reenterer)),
    ]);
    operator
        .submit_batch(b4.number, &b4.new_root, &b4.pubdata, &b4.proof)
        .await
        .unwrap();

    // 5. Bob forces the exit of his ERC-20 account from L1.
    let fe = bob
        .request_forced_exit(AccountIndex(2), TokenId(1))
        .await
        .unwrap();
    let b5 = l2.batch(vec![forced_exit_op(&fe)]);
    operator
        .submit_batch(b5.number, &b5.new_root, &b5.pubdata, &b5.proof)
        .await
        .unwrap();

    // The contract's state is the L2's.
    assert_eq!(operator.state_root().await.unwrap(), l2.root());
    assert_eq!(operator.batch_number().await.unwrap(), 5);
    assert_eq!(operator.priority_queue().await.unwrap(), (3, 3));
    assert_eq!(l2.account(1).balance, 1_000_000 - 300 - 200 + 50);
    assert_eq!(l2.account(2).balance, 0);
    let head = a.operator.block_number().await.unwrap();
    let verified = operator
        .verified_batches(deployment.block, head)
        .await
        .unwrap();
    assert_eq!(
        verified.iter().map(|b| b.number).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5]
    );
    assert_eq!(verified[0].old_root, L2::genesis_root());
    for pair in verified.windows(2) {
        assert_eq!(pair[0].new_root, pair[1].old_root);
    }

    // Withdrawals: pulled once, ether and the ERC-20. The re-entering recipient is paid once
    // and its nested withdraw fails.
    assert_eq!(
        alice.pending_balance(reenterer, TokenId(0)).await.unwrap(),
        U256::from(200u64)
    );
    let held = a.operator.balance(deployment.rollup).await.unwrap();
    a.alice
        .send(TxRequest::call(
            reenterer,
            Reenterer::withdrawFromCall {
                rollup: deployment.rollup,
            }
            .abi_encode(),
        ))
        .await
        .unwrap();
    assert_eq!(
        a.operator.balance(deployment.rollup).await.unwrap(),
        held - U256::from(200u64)
    );
    let read = |call: Vec<u8>| a.alice.call(reenterer, call.into());
    assert_eq!(
        U256::from_be_slice(&read(Reenterer::receivedCall {}.abi_encode()).await.unwrap()),
        U256::from(200u64)
    );
    assert_eq!(
        U256::from_be_slice(
            &read(Reenterer::reenteredCall {}.abi_encode())
                .await
                .unwrap()
        ),
        U256::ZERO
    );
    assert!(matches!(
        rollup_error(alice.withdraw(TokenId(0)).await),
        RollupErrors::NothingToWithdraw(_)
    ));
    bob.withdraw(TokenId(1)).await.unwrap();
    let balance = a
        .bob
        .call(
            token,
            TestToken::balanceOfCall(bob_address).abi_encode().into(),
        )
        .await
        .unwrap();
    assert_eq!(U256::from_be_slice(&balance), U256::from(5_000u64));
}

async fn exodus<C: Chain + Clone>(a: Actors<C>) {
    let window = 600;
    let (deployment, mut l2) = deployed(&a, window).await;
    let operator = RollupClient::new(a.operator.clone(), deployment.rollup);
    let alice = RollupClient::new(a.alice.clone(), deployment.rollup);
    let bob = RollupClient::new(a.bob.clone(), deployment.rollup);
    let (alice_l1, bob_l1) = (l1_address(a.alice.sender()), l1_address(a.bob.sender()));

    let d1 = alice
        .deposit_eth(&user(1).public_key().0, alice_l1, U256::from(5_000u64))
        .await
        .unwrap();
    let b1 = l2.batch(vec![deposit_op(&d1, 1)]);
    operator
        .submit_batch(1, &b1.new_root, &b1.pubdata, &b1.proof)
        .await
        .unwrap();
    // A deposit the operator never processes.
    let d2 = bob
        .deposit_eth(&user(2).public_key().0, bob_l1, U256::from(700u64))
        .await
        .unwrap();
    assert!(matches!(
        rollup_error(bob.activate_exodus().await),
        RollupErrors::NotExpired(_)
    ));
    a.bob.increase_time(window + 1).await.unwrap();
    bob.activate_exodus().await.unwrap();
    assert!(operator.exodus().await.unwrap());

    // Alice exits once with her leaf's Merkle proof; a forged leaf is not in the state.
    let account = l2.account(1);
    let path = l2.path(1);
    let mut forged = account;
    forged.balance += 1;
    assert!(matches!(
        rollup_error(alice.exit(&forged, &path).await),
        RollupErrors::NotInState(_)
    ));
    alice.exit(&account, &path).await.unwrap();
    assert!(matches!(
        rollup_error(alice.exit(&account, &path).await),
        RollupErrors::AlreadyExited(_)
    ));
    // Bob's unprocessed deposit comes back, once.
    bob.refund_deposit(&d2).await.unwrap();
    assert!(matches!(
        rollup_error(bob.refund_deposit(&d2).await),
        RollupErrors::NotRefundable(_)
    ));
    // No batch moves the frozen root.
    let b2 = l2.batch(vec![deposit_op(&d2, 2)]);
    assert!(matches!(
        rollup_error(
            operator
                .submit_batch(2, &b2.new_root, &b2.pubdata, &b2.proof)
                .await
        ),
        RollupErrors::InExodus(_)
    ));
    alice.withdraw(TokenId(0)).await.unwrap();
    bob.withdraw(TokenId(0)).await.unwrap();
    assert_eq!(
        a.operator.balance(deployment.rollup).await.unwrap(),
        U256::ZERO
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_settle_on_the_embedded_evm() {
    settlement(embedded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_settle_on_anvil() {
    let anvil = Anvil::start(31337).unwrap();
    settlement(on_anvil(&anvil).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exodus_exits_pay_once_on_the_embedded_evm() {
    exodus(embedded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exodus_exits_pay_once_on_anvil() {
    let anvil = Anvil::start(31337).unwrap();
    exodus(on_anvil(&anvil).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_operators_submit_until_the_fallback_opens_on_the_embedded_evm() {
    operators::operators(embedded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_operators_submit_until_the_fallback_opens_on_anvil() {
    let anvil = Anvil::start(31337).unwrap();
    operators::operators(on_anvil(&anvil).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooded_queue_stops_at_its_caps_and_is_drained_without_exodus() {
    queue::flood(embedded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flooded_queue_stops_at_its_caps_and_is_drained_without_exodus_on_anvil() {
    let anvil = Anvil::start(31337).unwrap();
    queue::flood(on_anvil(&anvil).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_proven_before_an_upgrade_settle_after_it_on_anvil() {
    let anvil = Anvil::start(31337).unwrap();
    upgrades::upgrade(on_anvil(&anvil).await).await;
}
