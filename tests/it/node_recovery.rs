//! The node when L1 disagrees with it (review F3): another operator settles a batch under the
//! number the node sealed, the contract refuses the node's submission, L1 reorganizes the
//! node's settled batch away. In each the node follows L1, loses no transaction, and no wallet
//! is told "settled" for a batch that L1 holds otherwise.

use crate::settlement::l2::{deposit_op, keys, user, L2, SHAPE};
use alloy::primitives::{Address, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zksettle_core::{AccountIndex, Domain, L1Address, Op, SignedTx, TokenId, Transfer, Tx};
use zksettle_l1::anvil::{Anvil, DEV_KEYS};
use zksettle_l1::convert::l1_address;
use zksettle_l1::{
    deploy, Chain, DeployConfig, EmbeddedChain, PriorityOp, RollupClient, RpcChain, RpcConfig,
};
use zksettle_prover::BatchProver;
use zksettle_sequencer::node::{self, config, NodeBuilder, NodeConfig, NodeProver};
use zksettle_sequencer::records::{Genesis, TxStatus};
use zksettle_sequencer::rpc::{HealthStatus, HealthView, StatusView, ZksApiClient};
use zksettle_sequencer::{MempoolConfig, NodeDb, SequencerConfig};

/// Longest the test waits for the node (a hang fails; it is not a timing assertion).
const DEADLINE: Duration = Duration::from_secs(600);

/// A deployed rollup and what a node for it needs.
struct Deployed<C> {
    operator: C,
    rollup: Address,
    domain: Domain,
    sequencer: SequencerConfig,
    dir: tempfile::TempDir,
    db: NodeDb,
}

async fn deployed<C: Chain + Clone + 'static>(operator: C) -> Deployed<C> {
    let deployment = deploy(
        &operator,
        &DeployConfig::new(
            zksettle_l1::BatchVerifierKey::Groth16(keys().verifying_key().clone()),
            keys().vk_hash,
            L2::genesis_root(),
            SHAPE,
            3600,
        ),
    )
    .await
    .unwrap();
    let domain = Domain {
        chain_id: operator.chain_id(),
        rollup: l1_address(deployment.rollup),
    };
    let sequencer = SequencerConfig {
        genesis: Genesis {
            domain,
            shape: SHAPE,
            vk_hash: hex::encode(keys().vk_hash),
            deploy_block: deployment.block,
        },
        fee_recipients: vec![],
        mempool: MempoolConfig::default(),
    };
    let dir = tempfile::tempdir().unwrap();
    let db = NodeDb::open(dir.path()).unwrap();
    Deployed {
        operator,
        rollup: deployment.rollup,
        domain,
        sequencer,
        dir,
        db,
    }
}

/// A node over `d`'s database, serving JSON-RPC; proving only with `prove`.
struct Node<C: Chain + Clone + 'static> {
    client: HttpClient,
    handle: node::NodeHandle<C>,
}

impl<C: Chain + Clone + 'static> Node<C> {
    async fn launch(d: &Deployed<C>, prove: bool) -> Self {
        let config = NodeConfig {
            data_dir: d.dir.path().into(),
            rpc: config::RpcConfig {
                addr: "127.0.0.1:0".parse().unwrap(),
                ..Default::default()
            },
            metrics: config::MetricsConfig { addr: None },
            batch: config::BatchConfig { max_wait_ms: 300 },
            l1: config::L1FollowConfig {
                confirmations: 0,
                poll_interval_ms: 100,
            },
            prover: config::ProverConfig {
                workers: 1,
                ..Default::default()
            },
            mempool: MempoolConfig::default(),
            storage: config::StorageConfig::default(),
        };
        let prover = prove.then(|| {
            NodeProver::Groth16(Arc::new(
                BatchProver::new(keys().clone(), d.domain).unwrap(),
            ))
        });
        let rollup = RollupClient::new(d.operator.clone(), d.rollup);
        let handle = NodeBuilder::new(config, d.sequencer.clone(), d.db.clone(), rollup)
            .prover(prover)
            .launch()
            .await
            .unwrap();
        let client = HttpClientBuilder::default()
            .build(format!("http://{}", handle.rpc_addr()))
            .unwrap();
        Node { client, handle }
    }

    async fn stop(self) {
        self.handle.shutdown().await.unwrap();
    }

    async fn status(&self) -> StatusView {
        self.client.status().await.unwrap()
    }

    async fn tx(&self, hash: B256) -> TxStatus {
        self.client.get_transaction(hash).await.unwrap().status
    }

    async fn balance(&self, index: u32) -> u128 {
        self.client
            .get_account(index)
            .await
            .unwrap()
            .account
            .balance
    }

    async fn send(&self, tx: &SignedTx) -> B256 {
        self.client.send_transaction((*tx).into()).await.unwrap()
    }

    async fn wait(&self, what: &str, done: impl Fn(&StatusView) -> bool) -> StatusView {
        let start = Instant::now();
        loop {
            let status = self.status().await;
            if done(&status) {
                return status;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "gave up waiting for {what}: {status:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("zksettle_sequencer=info")),
        )
        .with_test_writer()
        .try_init();
}

fn transfer_tx(
    from: u32,
    signer: u8,
    (to, to_l1): (u8, L1Address),
    amount: u128,
    nonce: u32,
    domain: &Domain,
) -> SignedTx {
    Tx::Transfer(Transfer {
        from: AccountIndex(from),
        token: TokenId(0),
        amount,
        fee: 0,
        nonce,
        to: user(to).public_key(),
        to_l1_address: to_l1,
    })
    .sign(&user(signer), domain)
}

/// The op another operator makes of a transfer the wallet also sent it, into account `to`.
fn as_op(tx: &SignedTx, to: u32) -> Op {
    let Tx::Transfer(transfer) = tx.tx else {
        panic!("not a transfer")
    };
    Op::Transfer {
        to: AccountIndex(to),
        transfer,
        signature: tx.signature,
    }
}

async fn deposit<C: Chain>(as_user: &RollupClient<C>, owner: u8, amount: u64) -> PriorityOp {
    let l1 = l1_address(as_user.chain().sender());
    as_user
        .deposit_eth(&user(owner).public_key().0, l1, U256::from(amount))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_another_operator_settles_first_is_adopted_and_the_nodes_transactions_settle_after_it(
) {
    logs();
    let funded: Vec<Address> = (1..=4u8).map(Address::repeat_byte).collect();
    let chain = EmbeddedChain::new(
        31337,
        &funded
            .iter()
            .map(|a| (*a, U256::from(10u128.pow(22))))
            .collect::<Vec<_>>(),
    );
    let (alice, bob, carol) = (
        chain.with_sender(funded[1]),
        chain.with_sender(funded[2]),
        chain.with_sender(funded[3]),
    );
    let d = deployed(chain.with_sender(funded[0])).await;
    let governance = RollupClient::new(d.operator.clone(), d.rollup);
    governance.set_operator(funded[3], true).await.unwrap();
    let bob_l1 = l1_address(funded[2]);

    // The node seals without proving: its batches wait, unsettled, while Carol settles hers.
    // A deposit fills a batch of the test shape, so each op below is a batch of its own.
    let n = Node::launch(&d, false).await;
    let d_alice = deposit(&RollupClient::new(alice, d.rollup), 1, 1_000).await;
    n.wait("Alice's deposit sealed", |s| s.sealed == 1).await;
    deposit(&RollupClient::new(bob, d.rollup), 2, 1_000).await;
    n.wait("Bob's deposit sealed", |s| s.sealed == 2).await;
    // Alice pays Bob twice.
    let t1 = transfer_tx(1, 1, (2, bob_l1), 100, 0, &d.domain);
    let t1_hash = n.send(&t1).await;
    n.wait("the first transfer sealed", |s| s.sealed == 3).await;
    let t2 = transfer_tx(1, 1, (2, bob_l1), 50, 1, &d.domain);
    let t2_hash = n.send(&t2).await;
    n.wait("the second transfer sealed", |s| s.sealed == 4)
        .await;
    assert_eq!(n.tx(t1_hash).await, TxStatus::Included { batch: 3 });

    // Carol, another operator, settles batch 1 as the node sealed it (the same statement: the
    // node takes it as its own), then her own batch 2: the first transfer (Alice sent it to her
    // too), opening Bob's account at index 2 before his deposit is included.
    let as_carol = RollupClient::new(carol, d.rollup);
    let mut carols = L2::new(d.domain);
    let b1 = carols.batch(vec![deposit_op(&d_alice, 1)]);
    as_carol
        .submit_batch(1, &b1.new_root, &b1.pubdata, &b1.proof)
        .await
        .unwrap();
    let b2 = carols.batch(vec![as_op(&t1, 2)]);
    let carol_tx = as_carol
        .submit_batch(2, &b2.new_root, &b2.pubdata, &b2.proof)
        .await
        .unwrap()
        .tx_hash;

    // The node adopts it: its batches 2 to 4 are discarded, the first transfer is settled in
    // Carol's batch, Bob's deposit (into the account Carol's batch opened with his key and
    // address) and the second transfer are sealed again after it.
    let status = n
        .wait("Carol's batch adopted and the rest sealed again", |s| {
            s.settled == 2 && s.sealed == 4 && s.pending == 0
        })
        .await;
    assert_eq!(status.priority_next, 2, "{status:?}");
    assert_eq!(
        n.tx(t1_hash).await,
        TxStatus::Settled {
            batch: 2,
            l1_tx: carol_tx.to_string()
        }
    );
    assert_eq!(n.tx(t2_hash).await, TxStatus::Included { batch: 4 });
    n.stop().await;

    // Refused submission: governance takes the node's operator out of the set. The node
    // proves batch 2, the contract refuses it, and nothing is reported settled.
    let operator = d.operator.sender();
    governance.set_operator(operator, false).await.unwrap();
    let n = Node::launch(&d, true).await;
    n.wait("batches 3 and 4 proven", |s| s.proven == 4).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(governance.batch_number().await.unwrap(), 2);
    assert_eq!(n.status().await.settled, 2);
    assert_eq!(n.tx(t2_hash).await, TxStatus::Proven { batch: 4 });

    // Back in the set, the node settles on top of Carol's batch.
    governance.set_operator(operator, true).await.unwrap();
    let status = n.wait("batch 4 settled", |s| s.settled == 4).await;
    assert_eq!(governance.batch_number().await.unwrap(), 4);
    assert_eq!(
        governance.state_root().await.unwrap(),
        zksettle_core::field::fr_from_decimal(&status.root).unwrap()
    );
    assert!(matches!(
        n.tx(t2_hash).await,
        TxStatus::Settled { batch: 4, .. }
    ));
    assert_eq!(n.balance(1).await, 1_000 - 150);
    assert_eq!(n.balance(2).await, 1_000 + 150);
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_settled_batch_that_an_l1_reorganization_removes_is_sent_again() {
    logs();
    let anvil = Anvil::start(31337).unwrap();
    let connect = |i: usize| {
        let signer: PrivateKeySigner = DEV_KEYS[i].parse().unwrap();
        RpcChain::connect(anvil.url(), signer, RpcConfig::default())
    };
    let d = deployed(connect(0).await.unwrap()).await;
    let l1 = HttpClientBuilder::default().build(anvil.url()).unwrap();
    let governance = RollupClient::new(d.operator.clone(), d.rollup);
    let operator = d.operator.sender();
    // The node's first submission is refused, so that L1 can be snapshotted with batch 1
    // proven and unsent.
    governance.set_operator(operator, false).await.unwrap();
    let n = Node::launch(&d, true).await;
    deposit(
        &RollupClient::new(connect(1).await.unwrap(), d.rollup),
        1,
        700,
    )
    .await;
    n.wait("batch 1 proven", |s| s.proven == 1).await;
    let snapshot: String = l1.request("evm_snapshot", rpc_params![]).await.unwrap();
    governance.set_operator(operator, true).await.unwrap();
    n.wait("batch 1 settled", |s| s.settled == 1).await;

    // L1 returns to before the operator was let back in: batch 1 is gone.
    let reverted: bool = l1
        .request("evm_revert", rpc_params![snapshot])
        .await
        .unwrap();
    assert!(reverted);
    assert_eq!(governance.batch_number().await.unwrap(), 0);
    n.wait("batch 1 unsettled again", |s| s.settled == 0).await;
    governance.set_operator(operator, true).await.unwrap();
    let status = n.wait("batch 1 settled again", |s| s.settled == 1).await;
    assert_eq!(governance.batch_number().await.unwrap(), 1);
    assert_eq!(
        governance.state_root().await.unwrap(),
        zksettle_core::field::fr_from_decimal(&status.root).unwrap()
    );
    assert_eq!(n.balance(1).await, 700);
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reorganization_deeper_than_the_confirmation_depth_halts_the_watcher_instead_of_crediting_the_new_chain(
) {
    logs();
    let anvil = Anvil::start(31337).unwrap();
    let connect = |i: usize| {
        let signer: PrivateKeySigner = DEV_KEYS[i].parse().unwrap();
        RpcChain::connect(anvil.url(), signer, RpcConfig::default())
    };
    let d = deployed(connect(0).await.unwrap()).await;
    let l1 = HttpClientBuilder::default().build(anvil.url()).unwrap();
    let as_user = RollupClient::new(connect(1).await.unwrap(), d.rollup);
    // The node acts on blocks as soon as they are mined (confirmations 0).
    let n = Node::launch(&d, false).await;
    let snapshot: String = l1.request("evm_snapshot", rpc_params![]).await.unwrap();
    deposit(&as_user, 1, 100).await;
    n.wait("the deposit read", |s| s.priority_seen == 1).await;

    // L1 drops that block for one where user 2 deposited 250 under the same serial.
    let reverted: bool = l1
        .request("evm_revert", rpc_params![snapshot])
        .await
        .unwrap();
    assert!(reverted);
    deposit(&as_user, 2, 250).await;
    let _: serde_json::Value = l1.request("anvil_mine", rpc_params![3]).await.unwrap();

    let started = Instant::now();
    let health = loop {
        let health: HealthView = n.client.health().await.unwrap();
        if health.l1.halted.is_some() {
            break health;
        }
        assert!(started.elapsed() < DEADLINE, "never halted: {health:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(health.status, HealthStatus::Degraded);
    let why = health.l1.halted.unwrap();
    assert!(why.contains("deeper than l1.confirmations"), "{why}");
    // The new chain's deposit, reusing serial 0, was not taken as a further operation.
    assert_eq!(n.status().await.priority_seen, 1);
    n.stop().await;
}
