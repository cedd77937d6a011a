//! The node end to end: deposits on L1, signed transfers over JSON-RPC from several wallets, a
//! withdrawal and a forced exit, every batch sealed, proven by the real prover and settled by
//! the real contracts; on the embedded EVM and on anvil. Then the node's answers to bad input.

use crate::settlement::l2::{keys, user, SHAPE};
use alloy::primitives::{Address, B256, U256};
use alloy::signers::local::PrivateKeySigner;
use jsonrpsee::core::client::{ClientT, Subscription};
use jsonrpsee::core::ClientError;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use jsonrpsee::ws_client::WsClientBuilder;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zksettle_core::{
    AccountIndex, Domain, L1Address, PrivateKey, SignedTx, TokenId, Transfer, Tx, Withdraw,
};
use zksettle_l1::anvil::{Anvil, DEV_KEYS};
use zksettle_l1::convert::l1_address;
use zksettle_l1::{deploy, Chain, DeployConfig, EmbeddedChain, RollupClient, RpcChain, RpcConfig};
use zksettle_prover::{BatchKeys, BatchProver};
use zksettle_sequencer::node::{self, config, NodeBuilder, NodeConfig, NodeProver};
use zksettle_sequencer::records::{Genesis, TxStatus};
use zksettle_sequencer::rpc::{
    self, error as codes, AccountView, BatchNote, StatusView, TxParam, TxView, ZksApiClient,
    ZksPubSubApiClient,
};
use zksettle_sequencer::{MempoolConfig, NodeDb, SequencerConfig};

/// Longest the test waits for the node to settle everything (a hang fails, it is not a timing
/// assertion).
const SETTLE_DEADLINE: Duration = Duration::from_secs(600);

pub(crate) fn signer(i: usize) -> PrivateKeySigner {
    DEV_KEYS[i].parse().unwrap()
}

pub(crate) struct Running<C: Chain + Clone + 'static> {
    pub(crate) client: HttpClient,
    pub(crate) url: String,
    pub(crate) operator: C,
    pub(crate) alice: C,
    pub(crate) bob: C,
    pub(crate) rollup: Address,
    verifier: Address,
    pub(crate) domain: Domain,
    keys: &'static BatchKeys,
    pub(crate) handle: node::NodeHandle<C>,
    _dir: tempfile::TempDir,
}

async fn start<C: Chain + Clone + 'static>(operator: C, alice: C, bob: C) -> Running<C> {
    start_following(operator, alice, bob, 0, keys()).await
}

/// A node proving with `keys` that includes deposits `confirmations` blocks deep.
pub(crate) async fn start_following<C: Chain + Clone + 'static>(
    operator: C,
    alice: C,
    bob: C,
    confirmations: u64,
    keys: &'static BatchKeys,
) -> Running<C> {
    let rpc = config::RpcConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    start_serving(operator, alice, bob, confirmations, keys, rpc).await
}

/// [`start_following`] with the JSON-RPC server configured by `rpc`.
pub(crate) async fn start_serving<C: Chain + Clone + 'static>(
    operator: C,
    alice: C,
    bob: C,
    confirmations: u64,
    keys: &'static BatchKeys,
    rpc: config::RpcConfig,
) -> Running<C> {
    // The node's logs, shown for failing tests (`RUST_LOG` filters).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("zksettle_sequencer=info")),
        )
        .with_test_writer()
        .try_init();
    let deployment = deploy(
        &operator,
        &DeployConfig::new(
            zksettle_l1::BatchVerifierKey::Groth16(keys.verifying_key().clone()),
            keys.vk_hash,
            crate::settlement::l2::L2::genesis_root(),
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
    let dir = tempfile::tempdir().unwrap();
    let config = NodeConfig {
        data_dir: dir.path().into(),
        rpc,
        metrics: config::MetricsConfig { addr: None },
        batch: config::BatchConfig { max_wait_ms: 300 },
        l1: config::L1FollowConfig {
            confirmations,
            poll_interval_ms: 100,
        },
        prover: config::ProverConfig {
            workers: 1,
            ..Default::default()
        },
        mempool: MempoolConfig::default(),
        storage: config::StorageConfig::default(),
    };
    let sequencer = SequencerConfig {
        genesis: Genesis {
            domain,
            shape: SHAPE,
            vk_hash: hex::encode(keys.vk_hash),
            deploy_block: deployment.block,
        },
        fee_recipients: vec![AccountIndex(1)],
        mempool: config.mempool,
    };
    let db = NodeDb::open(dir.path()).unwrap();
    let prover = Arc::new(BatchProver::new(keys.clone(), domain).unwrap());
    let rollup = RollupClient::new(operator.clone(), deployment.rollup);
    let handle = NodeBuilder::new(config, sequencer, db, rollup)
        .prover(Some(NodeProver::Groth16(prover)))
        .launch()
        .await
        .unwrap();
    let url = format!("http://{}", handle.rpc_addr());
    let client = HttpClientBuilder::default().build(&url).unwrap();
    Running {
        client,
        url,
        operator,
        alice,
        bob,
        rollup: deployment.rollup,
        verifier: deployment.verifier,
        domain,
        keys,
        handle,
        _dir: dir,
    }
}

/// A node on a fresh embedded chain whose operator, Alice and Bob are funded.
async fn start_embedded() -> Running<EmbeddedChain> {
    let rpc = config::RpcConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        ..Default::default()
    };
    start_embedded_serving(rpc).await
}

/// [`start_embedded`] with the JSON-RPC server configured by `rpc`.
pub(crate) async fn start_embedded_serving(rpc: config::RpcConfig) -> Running<EmbeddedChain> {
    let funded: Vec<(Address, U256)> = (0..3)
        .map(|i| (signer(i).address(), U256::from(10u128.pow(22))))
        .collect();
    let chain = EmbeddedChain::new(31337, &funded);
    start_serving(
        chain.with_sender(funded[0].0),
        chain.with_sender(funded[1].0),
        chain.with_sender(funded[2].0),
        0,
        keys(),
        rpc,
    )
    .await
}

/// The account at `index`, `None` while it does not exist.
pub(crate) async fn account(client: &HttpClient, index: u32) -> Option<AccountView> {
    match client.get_account(index).await {
        Ok(view) => Some(view),
        Err(ClientError::Call(e)) if e.code() == codes::NOT_FOUND => None,
        Err(e) => panic!("zks_getAccount({index}): {e}"),
    }
}

pub(crate) async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !done().await {
        assert!(
            start.elapsed() < SETTLE_DEADLINE,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A transfer to the account (`to`'s key, exit address `to_l1`).
pub(crate) fn transfer(
    from: u32,
    signer: u8,
    (to, to_l1): (&PrivateKey, L1Address),
    amount: u128,
    fee: u128,
    nonce: u32,
    domain: &Domain,
) -> SignedTx {
    Tx::Transfer(Transfer {
        from: AccountIndex(from),
        token: TokenId(0),
        amount,
        fee,
        nonce,
        to: to.public_key(),
        to_l1_address: to_l1,
    })
    .sign(&user(signer), domain)
}

/// 0 pending, 1 included, 2 proven, 3 settled (a rejection fails the test).
pub(crate) fn lifecycle_stage(status: &TxStatus) -> u8 {
    match status {
        TxStatus::Pending => 0,
        TxStatus::Included { .. } => 1,
        TxStatus::Proven { .. } => 2,
        TxStatus::Settled { .. } => 3,
        TxStatus::Rejected { reason } => panic!("rejected: {reason}"),
    }
}

async fn send(client: &HttpClient, tx: &SignedTx) -> B256 {
    client.send_transaction((*tx).into()).await.unwrap()
}

pub(crate) async fn end_to_end<C: Chain + Clone + 'static>(n: Running<C>) {
    let alice_l1 = l1_address(n.alice.sender());
    let bob_l1 = l1_address(n.bob.sender());
    let as_operator = RollupClient::new(n.operator.clone(), n.rollup);
    let as_alice = RollupClient::new(n.alice.clone(), n.rollup);
    let as_bob = RollupClient::new(n.bob.clone(), n.rollup);
    // Deposits open the operator's fee account (1), Alice's (2) and Bob's (3).
    as_operator
        .deposit_eth(
            &user(10).public_key().0,
            l1_address(n.operator.sender()),
            U256::from(1),
        )
        .await
        .unwrap();
    as_alice
        .deposit_eth(&user(1).public_key().0, alice_l1, U256::from(1_000_000u64))
        .await
        .unwrap();
    as_bob
        .deposit_eth(&user(2).public_key().0, bob_l1, U256::from(1_000_000u64))
        .await
        .unwrap();
    wait_for("the deposits", async || {
        account(&n.client, 3).await.is_some()
    })
    .await;

    // A wallet following batches over WebSocket, from here on.
    let ws = WsClientBuilder::default()
        .build(n.url.replacen("http://", "ws://", 1))
        .await
        .unwrap();
    let mut batch_notes: Subscription<BatchNote> = ws.subscribe_batches().await.unwrap();
    let sealed_before: StatusView = n.client.status().await.unwrap();

    // Several wallets at once: Alice pays Bob five times, Bob opens Carol's account, Alice
    // withdraws to L1.
    let carol = user(3);
    let mut hashes = Vec::new();
    for nonce in 0..5 {
        hashes.push(
            send(
                &n.client,
                &transfer(2, 1, (&user(2), bob_l1), 1_000, 1, nonce, &n.domain),
            )
            .await,
        );
    }
    hashes.push(
        send(
            &n.client,
            &transfer(3, 2, (&carol, L1Address([3; 20])), 500, 0, 0, &n.domain),
        )
        .await,
    );
    let withdrawal = Tx::Withdraw(Withdraw {
        from: AccountIndex(2),
        token: TokenId(0),
        amount: 2_000,
        fee: 0,
        nonce: 5,
        to_l1_address: alice_l1,
    })
    .sign(&user(1), &n.domain);
    hashes.push(send(&n.client, &withdrawal).await);
    let mut withdrawal_notes: Subscription<Option<TxView>> = ws
        .subscribe_transaction(*hashes.last().unwrap())
        .await
        .unwrap();
    for &hash in &hashes {
        wait_for("a transaction to settle", async || {
            let view = n.client.get_transaction(hash).await.unwrap();
            assert!(
                !matches!(view.status, TxStatus::Rejected { .. }),
                "{view:?}"
            );
            matches!(view.status, TxStatus::Settled { .. })
        })
        .await;
    }
    // Bob forces the exit of his account from L1.
    as_bob
        .request_forced_exit(AccountIndex(3), TokenId(0))
        .await
        .unwrap();
    wait_for("everything to settle", async || {
        let s: StatusView = n.client.status().await.unwrap();
        s.priority_seen == 4 && s.priority_next == 4 && s.settled == s.sealed && s.pending == 0
    })
    .await;

    let status: StatusView = n.client.status().await.unwrap();
    // The withdrawal's notes walk its lifecycle forward, one stage at a time, up to settled
    // (the node stops sending once a status is final; a client stops listening there).
    let mut stages = Vec::new();
    while stages.last() != Some(&3) {
        let note = tokio::time::timeout(SETTLE_DEADLINE, withdrawal_notes.next())
            .await
            .expect("a transaction note")
            .expect("the subscription is open until the final status")
            .unwrap()
            .expect("the node knows the transaction it admitted");
        stages.push(lifecycle_stage(&note.status));
    }
    assert!(stages.windows(2).all(|w| w[0] + 1 == w[1]), "{stages:?}");
    assert_eq!(stages.last(), Some(&3), "{stages:?}");
    // Every batch sealed after the subscription began was announced sealed, proven, then
    // settled, in that order, up to the last one, which the contract holds.
    let mut seen: std::collections::BTreeMap<u64, Vec<String>> = Default::default();
    while seen.get(&status.settled).is_none_or(|e| e.len() < 3) {
        let note = tokio::time::timeout(SETTLE_DEADLINE, batch_notes.next())
            .await
            .expect("a batch note")
            .unwrap()
            .unwrap();
        assert_eq!(note.l1_tx.is_some(), note.event == "settled", "{note:?}");
        seen.entry(note.batch).or_default().push(note.event);
    }
    assert!(status.settled > sealed_before.sealed);
    for (batch, events) in seen.range(sealed_before.sealed + 1..) {
        assert_eq!(events, &["sealed", "proven", "settled"], "batch {batch}");
    }
    let on_chain_root = as_operator.state_root().await.unwrap();
    assert_eq!(
        zksettle_core::field::fr_to_decimal(&on_chain_root),
        status.root
    );
    assert_eq!(as_operator.batch_number().await.unwrap(), status.settled);
    let client = &n.client;
    let balance = |i| async move { account(client, i).await.unwrap().account.balance };
    assert_eq!(balance(1).await, 1 + 5);
    assert_eq!(balance(2).await, 1_000_000 - 5 * 1_001 - 2_000);
    assert_eq!(balance(3).await, 0, "forced exit empties Bob's account");
    assert_eq!(balance(4).await, 500);
    assert_eq!(
        as_operator
            .pending_balance(n.alice.sender(), TokenId(0))
            .await
            .unwrap(),
        U256::from(2_000)
    );
    assert_eq!(
        as_operator
            .pending_balance(n.bob.sender(), TokenId(0))
            .await
            .unwrap(),
        U256::from(1_000_000 + 5 * 1_000 - 500)
    );
    n.handle.shutdown().await.unwrap();
    // With the node stopped, an auditor rebuilds everything from L1 alone.
    crate::audit::audit(&n.operator, n.rollup, n.verifier, n.keys).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_settles_wallet_traffic_on_the_embedded_evm() {
    let n = start_embedded().await;
    end_to_end(n).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_node_settles_wallet_traffic_on_anvil() {
    let anvil = Anvil::start(31337).unwrap();
    let connect = |i| RpcChain::connect(anvil.url(), signer(i), RpcConfig::default());
    let n = start(
        connect(0).await.unwrap(),
        connect(1).await.unwrap(),
        connect(2).await.unwrap(),
    )
    .await;
    end_to_end(n).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deposit_reorged_out_above_the_confirmation_depth_is_never_credited() {
    let anvil = Anvil::start(31337).unwrap();
    let connect = |i| RpcChain::connect(anvil.url(), signer(i), RpcConfig::default());
    let n = start_following(
        connect(0).await.unwrap(),
        connect(1).await.unwrap(),
        connect(2).await.unwrap(),
        3,
        keys(),
    )
    .await;
    let l1 = HttpClientBuilder::default().build(anvil.url()).unwrap();
    let as_alice = RollupClient::new(n.alice.clone(), n.rollup);
    let alice_l1 = l1_address(n.alice.sender());

    // A deposit of 100 is mined, then its block is replaced (two blocks deep, under the
    // node's three confirmations) by a chain where Alice deposited 250 instead.
    let snapshot: String = l1.request("evm_snapshot", rpc_params![]).await.unwrap();
    as_alice
        .deposit_eth(&user(1).public_key().0, alice_l1, U256::from(100u64))
        .await
        .unwrap();
    let _: serde_json::Value = l1.request("evm_mine", rpc_params![]).await.unwrap();
    // The node polls every 100 ms: give it time to see the doomed block at its head.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let reverted: bool = l1
        .request("evm_revert", rpc_params![snapshot])
        .await
        .unwrap();
    assert!(reverted);
    as_alice
        .deposit_eth(&user(1).public_key().0, alice_l1, U256::from(250u64))
        .await
        .unwrap();
    let _: serde_json::Value = l1.request("anvil_mine", rpc_params![4]).await.unwrap();

    wait_for("the surviving deposit", async || {
        account(&n.client, 1).await.is_some()
    })
    .await;
    // Let the watcher pass several more polls: nothing else may arrive.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let alice = account(&n.client, 1).await.unwrap();
    assert_eq!(alice.account.balance, 250);
    let status: StatusView = n.client.status().await.unwrap();
    assert_eq!(status.priority_seen, 1, "{status:?}");
    assert!(account(&n.client, 2).await.is_none());
    n.handle.shutdown().await.unwrap();
}

/// Posts raw bytes to the node's HTTP endpoint and returns the JSON-RPC error code.
async fn raw_error_code(url: &str, body: Vec<u8>) -> Option<i64> {
    raw_error_code_or_closed(url, body)
        .await
        .expect("the node answers")
}

/// As [`raw_error_code`], or `None` if the node closed the connection before the answer could
/// be read.
async fn raw_error_code_or_closed(url: &str, body: Vec<u8>) -> Option<Option<i64>> {
    let sent = alloy::transports::http::reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    let text = match sent {
        Ok(response) => response.text().await.ok()?,
        Err(e) => {
            assert!(e.is_request() || e.is_body(), "{e}");
            return None;
        }
    };
    let value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(value) => value,
        Err(_) => return Some(None),
    };
    Some(value["error"]["code"].as_i64())
}

/// Sends only the request head of a POST announcing a `length`-byte body, then reads the
/// node's answer: the JSON-RPC error code it refused the body with.
async fn announced_oversize_error_code(url: &str, length: usize) -> Option<i64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 4096];
    // Read until the answer holds a whole JSON object (whatever the body's framing) or the node
    // closes the connection.
    loop {
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk))
            .await
            .expect("the node answers an oversized announcement")
            .unwrap();
        answer.extend_from_slice(&chunk[..read]);
        if let Some(value) = json_in_http_answer(&answer) {
            return value["error"]["code"].as_i64();
        }
        if read == 0 {
            return None;
        }
    }
}

/// The JSON object in an HTTP answer's body, once all of it has arrived.
fn json_in_http_answer(answer: &[u8]) -> Option<serde_json::Value> {
    let text = String::from_utf8_lossy(answer);
    let (_, body) = text.split_once("\r\n\r\n")?;
    let json = &body[body.find('{')?..=body.rfind('}')?];
    serde_json::from_str(json).ok()
}

/// The error code of a typed call that the node refuses.
fn refusal<T: std::fmt::Debug>(answer: Result<T, ClientError>) -> i32 {
    match answer {
        Err(ClientError::Call(e)) => e.code(),
        other => panic!("expected a call error, got {other:?}"),
    }
}

/// The error code of a call with parameters no typed client would send.
async fn error_code<T: serde::Serialize + Send + Sync>(
    client: &HttpClient,
    method: &str,
    param: T,
) -> i32 {
    match client
        .request::<serde_json::Value, _>(method, rpc_params![param])
        .await
    {
        Err(ClientError::Call(e)) => e.code(),
        other => panic!("expected a call error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_its_documented_error_and_the_node_keeps_serving() {
    let n = start_embedded().await;
    let as_alice = RollupClient::new(n.alice.clone(), n.rollup);
    as_alice
        .deposit_eth(
            &user(1).public_key().0,
            l1_address(n.alice.sender()),
            U256::from(1_000_000u64),
        )
        .await
        .unwrap();
    wait_for("the deposit", async || {
        account(&n.client, 1).await.is_some()
    })
    .await;

    // Malformed JSON, a wrong type, a huge payload: JSON-RPC's own codes (or a refused body).
    assert_eq!(
        raw_error_code(&n.url, b"{not json".to_vec()).await,
        Some(-32700)
    );
    assert_eq!(
        error_code(&n.client, "zks_getAccount", "one").await,
        jsonrpsee::types::error::INVALID_PARAMS_CODE
    );
    assert_eq!(
        error_code(
            &n.client,
            "zks_sendTransaction",
            serde_json::json!({"tx": 5})
        )
        .await,
        jsonrpsee::types::error::INVALID_PARAMS_CODE
    );
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"zks_sendTransaction","params":["{}"]}}"#,
        "ab".repeat(1 << 20)
    );
    // The server refuses on the announced length alone. A client that announces the size and
    // waits always reads the answer; one still writing the body when the server closes may see
    // the connection reset instead, which is fine as long as any answer it does read is right.
    assert_eq!(
        announced_oversize_error_code(&n.url, huge.len()).await,
        Some(i64::from(jsonrpsee::types::error::OVERSIZED_REQUEST_CODE))
    );
    for _ in 0..3 {
        if let Some(code) = raw_error_code_or_closed(&n.url, huge.clone().into_bytes()).await {
            assert_eq!(
                code,
                Some(i64::from(jsonrpsee::types::error::OVERSIZED_REQUEST_CODE))
            );
        }
    }

    // Protocol refusals, each with its code.
    let good = transfer(1, 1, (&user(2), L1Address([2; 20])), 1_000, 0, 0, &n.domain);
    let wrong_signer = transfer(1, 2, (&user(2), L1Address([2; 20])), 1_000, 0, 0, &n.domain);
    assert_eq!(
        refusal(n.client.send_transaction(wrong_signer.into()).await),
        codes::BAD_SIGNATURE
    );
    let hash = send(&n.client, &good).await;
    assert_eq!(
        refusal(n.client.send_transaction(good.into()).await),
        codes::ALREADY_KNOWN
    );
    let far = transfer(
        1,
        1,
        (&user(2), L1Address([2; 20])),
        1_000,
        0,
        1_000,
        &n.domain,
    );
    assert_eq!(
        refusal(n.client.send_transaction(far.into()).await),
        codes::NONCE_TOO_HIGH
    );
    let broke = transfer(
        1,
        1,
        (&user(2), L1Address([2; 20])),
        2_000_000,
        0,
        1,
        &n.domain,
    );
    assert_eq!(
        refusal(n.client.send_transaction(broke.into()).await),
        codes::INSUFFICIENT_BALANCE
    );
    let nobody = transfer(7, 1, (&user(2), L1Address([2; 20])), 1, 0, 0, &n.domain);
    assert_eq!(
        refusal(n.client.send_transaction(nobody.into()).await),
        codes::UNKNOWN_ACCOUNT
    );
    let unpackable = transfer(
        1,
        1,
        (&user(2), L1Address([2; 20])),
        123_456_789_123,
        0,
        1,
        &n.domain,
    );
    assert_eq!(
        refusal(n.client.send_transaction(unpackable.into()).await),
        codes::NOT_PACKABLE
    );
    // A token the account does not hold.
    let other_token = Tx::Transfer(Transfer {
        from: AccountIndex(1),
        token: TokenId(1),
        amount: 1,
        fee: 0,
        nonce: 1,
        to: user(2).public_key(),
        to_l1_address: L1Address([2; 20]),
    })
    .sign(&user(1), &n.domain);
    assert_eq!(
        refusal(n.client.send_transaction(other_token.into()).await),
        codes::UNKNOWN_TOKEN
    );
    assert_eq!(
        refusal(n.client.get_transaction(B256::ZERO).await),
        codes::NOT_FOUND
    );

    // In bulk: each entry answered in place, in order, with the code it gets alone.
    let next = transfer(1, 1, (&user(2), L1Address([2; 20])), 1_000, 0, 1, &n.domain);
    let entries: Vec<TxParam> = vec![
        good.into(),
        transfer(1, 2, (&user(2), L1Address([2; 20])), 1_000, 0, 1, &n.domain).into(),
        TxParam::Encoded(format!("0x{}", hex::encode(next.encode()))),
        TxParam::Encoded("0xzz".into()),
        transfer(7, 1, (&user(2), L1Address([2; 20])), 1, 0, 0, &n.domain).into(),
    ];
    let answers = n.client.send_transactions(entries).await.unwrap();
    let codes_in_order: Vec<Option<i32>> = answers
        .iter()
        .map(|a| match a {
            rpc::BulkAnswer::Hash(_) => None,
            rpc::BulkAnswer::Error(e) => Some(e.code()),
        })
        .collect();
    assert_eq!(
        codes_in_order,
        vec![
            Some(codes::ALREADY_KNOWN),
            Some(codes::BAD_SIGNATURE),
            None,
            Some(jsonrpsee::types::error::INVALID_PARAMS_CODE),
            Some(codes::UNKNOWN_ACCOUNT),
        ]
    );
    assert!(matches!(&answers[2], rpc::BulkAnswer::Hash(h) if *h == B256::from(next.hash())));
    // Too many in one call, or not an array: the whole call is refused.
    let too_many = vec![TxParam::Encoded("0x00".into()); rpc::MAX_BULK_TRANSACTIONS + 1];
    assert_eq!(
        refusal(n.client.send_transactions(too_many).await),
        jsonrpsee::types::error::INVALID_PARAMS_CODE
    );
    assert_eq!(
        error_code(&n.client, "zks_sendTransactions", 5).await,
        jsonrpsee::types::error::INVALID_PARAMS_CODE
    );

    // A flood of replays and garbage, then the node still serves and settles the good one.
    for _ in 0..200 {
        let _ = n.client.send_transaction(good.into()).await;
        let _ = raw_error_code(&n.url, b"[]".to_vec()).await;
    }
    wait_for("the transfer to settle", async || {
        let view = n.client.get_transaction(hash).await.unwrap();
        matches!(view.status, TxStatus::Settled { .. })
    })
    .await;
    n.handle.shutdown().await.unwrap();
}
