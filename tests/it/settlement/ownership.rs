//! Who owns an account, end to end on both base chains (December 2026 review, findings 1 and
//! 2): deposits routed by the sequencer's own router, proven, settled, then forced out or exited
//! in exodus by the real contracts.

use super::l2::{forced_exit_op, transfer, user, L2};
use super::{deployed, embedded, on_anvil, Actors};
use alloy::primitives::U256;
use zksettle_core::{AccountIndex, TokenId};
use zksettle_l1::anvil::Anvil;
use zksettle_l1::convert::l1_address;
use zksettle_l1::{Chain, PriorityOp, RollupClient};

/// Routes one queued priority operation as the node does, proves it alone and settles it.
async fn settle_priority<C: Chain + Clone>(
    l2: &mut L2,
    operator: &RollupClient<C>,
    op: &PriorityOp,
) {
    let routed = l2.route(op);
    let batch = l2.batch(vec![routed]);
    operator
        .submit_batch(batch.number, &batch.new_root, &batch.pubdata, &batch.proof)
        .await
        .unwrap();
}

/// Finding 1: the attacker deposits 1 wei to Bob's key naming the attacker's own address, Bob
/// deposits 5,000 from his address, then the attacker forces the exit of every account of
/// Bob's key. Before the fix the router put Bob's deposit into the planted account and the
/// attacker withdrew 5,001; now the attacker gets back exactly the 1 wei it sent.
async fn a_planted_exit_address_takes_nothing_but_its_own_deposit<C: Chain + Clone>(a: Actors<C>) {
    let (deployment, mut l2) = deployed(&a, 3600).await;
    let operator = RollupClient::new(a.operator.clone(), deployment.rollup);
    let attacker = RollupClient::new(a.alice.clone(), deployment.rollup);
    let bob = RollupClient::new(a.bob.clone(), deployment.rollup);
    let (attacker_l1, bob_l1) = (l1_address(a.alice.sender()), l1_address(a.bob.sender()));
    let bob_key = user(2).public_key();

    let planted = attacker
        .deposit_eth(&bob_key.0, attacker_l1, U256::from(1u64))
        .await
        .unwrap();
    settle_priority(&mut l2, &operator, &planted).await;
    let bobs = bob
        .deposit_eth(&bob_key.0, bob_l1, U256::from(5_000u64))
        .await
        .unwrap();
    settle_priority(&mut l2, &operator, &bobs).await;
    assert_eq!(l2.account(1).balance, 1, "the planted account");
    assert_eq!(l2.account(2).balance, 5_000, "Bob's own account");
    assert_eq!(l2.account(2).l1_address, bob_l1);

    for index in [1, 2] {
        let request = attacker
            .request_forced_exit(AccountIndex(index), TokenId(0))
            .await
            .unwrap();
        let batch = l2.batch(vec![forced_exit_op(&request)]);
        operator
            .submit_batch(batch.number, &batch.new_root, &batch.pubdata, &batch.proof)
            .await
            .unwrap();
    }
    assert_eq!(
        attacker
            .pending_balance(a.alice.sender(), TokenId(0))
            .await
            .unwrap(),
        U256::from(1u64),
        "the attacker is paid its own wei and nothing of Bob's"
    );
    assert_eq!(l2.account(2).balance, 5_000);
    assert_eq!(operator.state_root().await.unwrap(), l2.root());
}

/// Finding 2: every account holding value has an exit its owner controls. Alice pays Bob by
/// his key and exit address (opening his account), Bob deposits from that address into the
/// same account, the operator stops, and in exodus Bob takes out everything.
async fn an_owner_exits_everything_in_exodus<C: Chain + Clone>(a: Actors<C>) {
    let window = 600;
    let (deployment, mut l2) = deployed(&a, window).await;
    let operator = RollupClient::new(a.operator.clone(), deployment.rollup);
    let alice = RollupClient::new(a.alice.clone(), deployment.rollup);
    let bob = RollupClient::new(a.bob.clone(), deployment.rollup);
    let (alice_l1, bob_l1) = (l1_address(a.alice.sender()), l1_address(a.bob.sender()));

    let funding = alice
        .deposit_eth(&user(1).public_key().0, alice_l1, U256::from(10_000u64))
        .await
        .unwrap();
    settle_priority(&mut l2, &operator, &funding).await;
    let paid = l2.batch(vec![transfer(&l2, 1, 1, 2, 2, 3_000, bob_l1)]);
    operator
        .submit_batch(paid.number, &paid.new_root, &paid.pubdata, &paid.proof)
        .await
        .unwrap();
    let topped_up = bob
        .deposit_eth(&user(2).public_key().0, bob_l1, U256::from(700u64))
        .await
        .unwrap();
    settle_priority(&mut l2, &operator, &topped_up).await;
    assert_eq!(
        l2.account(2).balance,
        3_700,
        "the deposit joined Bob's account"
    );

    // The operator stops; a request it never processes expires.
    bob.request_forced_exit(AccountIndex(2), TokenId(0))
        .await
        .unwrap();
    a.bob.increase_time(window + 1).await.unwrap();
    bob.activate_exodus().await.unwrap();
    bob.exit(&l2.account(2), &l2.path(2)).await.unwrap();
    assert_eq!(
        bob.pending_balance(a.bob.sender(), TokenId(0))
            .await
            .unwrap(),
        U256::from(3_700u64)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_exit_address_takes_nothing_but_its_own_deposit_on_the_embedded_evm() {
    a_planted_exit_address_takes_nothing_but_its_own_deposit(embedded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_exit_address_takes_nothing_but_its_own_deposit_on_anvil() {
    let anvil = Anvil::start(31337).unwrap();
    a_planted_exit_address_takes_nothing_but_its_own_deposit(on_anvil(&anvil).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_exits_everything_in_exodus_on_the_embedded_evm() {
    an_owner_exits_everything_in_exodus(embedded()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_exits_everything_in_exodus_on_anvil() {
    let anvil = Anvil::start(31337).unwrap();
    an_owner_exits_everything_in_exodus(on_anvil(&anvil).await).await;
}
