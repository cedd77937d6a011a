//! The load harness behind `zksettle bench load`: how many signed transfers a node accepts per
//! second over loopback JSON-RPC, and how long a submitter waits (p50/p99), against the target
//! of 10,000/s with p99 under 50 ms.
//!
//! The node is the real one (JSON-RPC server, admission groups with batched signature checks,
//! the durable RocksDB pool) on an embedded EVM. Its senders get their accounts through real
//! L1 deposits that the node seals; then sealing is stopped and the node runs without a prover,
//! so the measurement is admission alone, not proving competing for the same cores. The
//! clients run in the same process, on their own runtime, sharing the machine.

use alloy::primitives::{Address, U256};
use eyre::ensure;
use indicatif::{ProgressBar, ProgressStyle};
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use rayon::prelude::*;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use zksettle_core::{AccountIndex, BatchShape, Domain, PrivateKey, TokenId};
use zksettle_core::{Transfer, Tx};
use zksettle_l1::convert::l1_address;
use zksettle_l1::{BatchVerifierKey, DeployConfig, EmbeddedChain, RollupClient};
use zksettle_prover::BatchKeys;
use zksettle_sequencer::node::{self, NodeBuilder, NodeConfig};
use zksettle_sequencer::records::Genesis;
use zksettle_sequencer::rpc::{TxParam, ZksApiClient};
use zksettle_sequencer::{rpc, MempoolConfig, NodeDb, SequencerConfig};

/// The figures the load bench must beat.
pub const TARGET_TPS: f64 = 10_000.0;
/// Submit latency the load bench must stay under at the 99th percentile.
pub const TARGET_P99_MS: f64 = 50.0;
const CHAIN_ID: u64 = 31337;

/// JSON-RPC transport of the load clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// HTTP/1.1, a keep-alive connection per submitter.
    Http,
    /// WebSocket, [`SUBMITTERS_PER_WS`] submitters per connection.
    Ws,
}

/// Submitters sharing one WebSocket connection.
pub const SUBMITTERS_PER_WS: usize = 16;

/// What the load run sends, and how.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// Sending accounts (each sends `transactions / senders` transfers in nonce order).
    pub senders: usize,
    /// Transfers sent in all.
    pub transactions: usize,
    /// Concurrent submitters, each with one request in flight.
    pub connections: usize,
    /// Transfers per request: 1 sends each with `zks_sendTransaction`; more send that many per
    /// `zks_sendTransactions` call.
    pub per_request: usize,
    /// Transfers sent before the clock starts (spread over the submitters).
    pub warmup: usize,
    /// How submitters reach the node.
    pub transport: Transport,
}

/// The L1 account that funds every sender, and so every sender account's exit address.
const DEPOSITOR: Address = Address::repeat_byte(0xbe);

fn sender_key(i: usize) -> PrivateKey {
    PrivateKey::from_public_label(&format!("zksettle bench sender {i}"))
}

fn bar(len: usize, label: &str) -> eyre::Result<ProgressBar> {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(ProgressStyle::with_template(&format!(
        "  {label} [{{bar:30}}] {{pos}}/{{len}} ({{elapsed}})"
    ))?);
    Ok(bar)
}

/// Starts a node for `shape` with `keys` (their shape must be `shape`; the node seals without
/// proving), funds the senders through L1 deposits, then sends `plan`'s transfers and measures.
pub fn run(plan: &LoadPlan, shape: BatchShape, keys: &BatchKeys) -> eyre::Result<LoadReport> {
    let args = plan;
    ensure!(
        args.senders > 0 && args.connections > 0,
        "need senders and connections"
    );
    ensure!(
        args.senders < 1 << shape.depth,
        "{} senders do not fit a depth-{} tree",
        args.senders,
        shape.depth
    );
    let per_sender = args.transactions.div_ceil(args.senders);
    let node_runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let node = node_runtime.block_on(start_node(args, shape, keys, per_sender))?;
    let domain = node.handle.context.genesis().domain;

    let signing = bar(args.senders * per_sender, "signing")?;
    let keys: Vec<PrivateKey> = (0..args.senders).map(sender_key).collect();
    // Requests are serialised before the clock starts: the clients measure the node.
    let requests: Vec<Vec<Box<RawValue>>> = (0..args.senders)
        .into_par_iter()
        .map(|i| {
            let to = keys[(i + 1) % args.senders].public_key();
            (0..per_sender as u32)
                .map(|nonce| {
                    let signed = Tx::Transfer(Transfer {
                        from: AccountIndex(i as u32 + 1),
                        token: TokenId(0),
                        amount: 1,
                        fee: 0,
                        nonce,
                        to,
                        // Every sender's account was opened by the depositor's deposits.
                        to_l1_address: l1_address(DEPOSITOR),
                    })
                    .sign(&keys[i], &domain);
                    signing.inc(1);
                    serde_json::value::to_raw_value(&signed).expect("a transaction serialises")
                })
                .collect()
        })
        .collect();
    signing.finish_and_clear();

    let clients = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let report = clients.block_on(drive(&node.url, args, requests))?;
    node_runtime.block_on(node.handle.shutdown())?;
    Ok(report)
}

/// The node under load.
struct Running {
    handle: node::NodeHandle<EmbeddedChain>,
    url: String,
    _dir: tempfile::TempDir,
}

async fn start_node(
    args: &LoadPlan,
    shape: BatchShape,
    keys: &zksettle_prover::BatchKeys,
    per_sender: usize,
) -> eyre::Result<Running> {
    let depositor = DEPOSITOR;
    let chain = EmbeddedChain::new(CHAIN_ID, &[(depositor, U256::from(10u128.pow(27)))]);
    // The senders' deposits are queued at once: declare one batch a second (the bench's node
    // seals without proving) so the queue cap leaves room for every sender.
    let mut config = DeployConfig::with_empty_genesis(
        BatchVerifierKey::Groth16(keys.verifying_key().clone()),
        keys.vk_hash,
        shape,
        24 * 3600,
    )?;
    config.batch_interval_seconds = 1;
    config.max_priority_ops = zksettle_l1::DeployConfig::largest_queue(
        &shape,
        config.priority_window_seconds,
        config.fallback_delay_seconds,
        config.batch_interval_seconds,
    );
    let deployment = zksettle_l1::deploy(&chain, &config).await?;
    let domain = Domain {
        chain_id: CHAIN_ID,
        rollup: l1_address(deployment.rollup),
    };
    let temp = tempfile::tempdir()?;
    let dir = temp.path().to_path_buf();
    let mempool = MempoolConfig {
        global_pending: args.senders * per_sender + 1024,
        account_pending: per_sender + 16,
        ..MempoolConfig::default()
    };
    let config = NodeConfig {
        data_dir: dir.clone(),
        rpc: node::config::RpcConfig {
            addr: "127.0.0.1:0".parse()?,
            max_connections: (args.connections as u32).max(16) * 2,
            ..Default::default()
        },
        metrics: node::config::MetricsConfig { addr: None },
        batch: node::config::BatchConfig { max_wait_ms: 100 },
        l1: node::config::L1FollowConfig {
            confirmations: 0,
            poll_interval_ms: 100,
        },
        prover: node::config::ProverConfig::default(),
        mempool,
        storage: node::config::StorageConfig::default(),
    };
    let sequencer = SequencerConfig {
        genesis: Genesis {
            domain,
            shape,
            vk_hash: hex::encode(keys.vk_hash),
            deploy_block: deployment.block,
        },
        fee_recipients: vec![],
        mempool,
    };
    let db = NodeDb::open(&dir)?;
    let rollup = RollupClient::new(chain.with_sender(depositor), deployment.rollup);
    let handle = NodeBuilder::new(config, sequencer, db, rollup.clone())
        .launch()
        .await?;
    let addr = handle.rpc_addr();

    let funding = bar(args.senders, "funding senders on L1")?;
    for i in 0..args.senders {
        rollup
            .deposit_eth(
                &sender_key(i).public_key().0,
                l1_address(depositor),
                U256::from(10u128.pow(18)),
            )
            .await?;
        funding.inc(1);
    }
    funding.finish_and_clear();
    let last = AccountIndex(args.senders as u32);
    let sealing = bar(args.senders, "sealing the deposits")?;
    let deadline = Instant::now() + Duration::from_secs(600);
    while handle.context.account(last)?.is_none() {
        ensure!(Instant::now() < deadline, "the deposits were not sealed");
        let opened = (1..=args.senders as u32)
            .take_while(|i| matches!(handle.context.account(AccountIndex(*i)), Ok(Some(_))))
            .count();
        sealing.set_position(opened as u64);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sealing.finish_and_clear();
    handle.context.set_sealing(false);
    Ok(Running {
        handle,
        url: format!("http://{addr}"),
        _dir: temp,
    })
}

/// One submitter's client.
enum Client {
    Http(jsonrpsee::http_client::HttpClient),
    Ws(Arc<WsClient>),
}

impl Client {
    /// Sends `txs` (one call for one, a bulk call for more); one refusal reason per refused
    /// transaction.
    async fn send(&self, mut txs: Vec<Box<RawValue>>) -> Vec<String> {
        if txs.len() == 1 {
            let tx = TxParam::Serialized(txs.pop().expect("one"));
            let answer = match self {
                Client::Http(c) => c.send_transaction(tx).await,
                Client::Ws(c) => c.send_transaction(tx).await,
            };
            return answer.err().map(|e| e.to_string()).into_iter().collect();
        }
        let count = txs.len();
        let txs: Vec<TxParam> = txs.into_iter().map(TxParam::Serialized).collect();
        let answer = match self {
            Client::Http(c) => c.send_transactions(txs).await,
            Client::Ws(c) => c.send_transactions(txs).await,
        };
        match answer {
            Ok(answers) => answers
                .into_iter()
                .filter_map(|a| match a {
                    rpc::BulkAnswer::Hash(_) => None,
                    rpc::BulkAnswer::Error(e) => Some(e.to_string()),
                })
                .collect(),
            Err(e) => vec![e.to_string(); count],
        }
    }
}

/// What a load run measured.
#[derive(Debug)]
pub struct LoadReport {
    /// Transfers sent before the clock started.
    warmed: usize,
    accepted: usize,
    refused: BTreeMap<String, usize>,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

async fn drive(
    url: &str,
    args: &LoadPlan,
    requests: Vec<Vec<Box<RawValue>>>,
) -> eyre::Result<LoadReport> {
    let connections = args.connections;
    let per_request = args.per_request.clamp(1, rpc::MAX_BULK_TRANSACTIONS);
    // Connection `c` sends for senders c, c + connections, …, each in nonce order.
    let mut lanes: Vec<Vec<Box<RawValue>>> = vec![Vec::new(); connections];
    let mut per_sender: Vec<std::vec::IntoIter<Box<RawValue>>> =
        requests.into_iter().map(Vec::into_iter).collect();
    loop {
        let mut any = false;
        for (s, txs) in per_sender.iter_mut().enumerate() {
            if let Some(tx) = txs.next() {
                lanes[s % connections].push(tx);
                any = true;
            }
        }
        if !any {
            break;
        }
    }
    let lanes_total: usize = lanes.iter().map(Vec::len).sum();
    let mut clients = Vec::with_capacity(connections);
    let mut ws: Option<Arc<WsClient>> = None;
    for n in 0..connections {
        clients.push(Arc::new(match args.transport {
            Transport::Http => Client::Http(
                HttpClientBuilder::default()
                    .request_timeout(Duration::from_secs(60))
                    .build(url)?,
            ),
            Transport::Ws => {
                if n % SUBMITTERS_PER_WS == 0 {
                    let ws_url = url.replacen("http://", "ws://", 1);
                    ws = Some(Arc::new(
                        WsClientBuilder::default()
                            .request_timeout(Duration::from_secs(60))
                            .build(&ws_url)
                            .await?,
                    ));
                }
                Client::Ws(ws.clone().expect("made for the first submitter"))
            }
        }));
    }
    // Warm-up: each lane's first transfers (senders stay in nonce order within a lane).
    let warm_per_lane = args.warmup.div_ceil(connections);
    let mut warmups = tokio::task::JoinSet::new();
    let mut timed_lanes = Vec::with_capacity(connections);
    for (lane, client) in lanes.into_iter().zip(&clients) {
        let mut lane = lane.into_iter();
        let warm: Vec<Box<RawValue>> = lane.by_ref().take(warm_per_lane).collect();
        timed_lanes.push(lane.collect::<Vec<_>>());
        let client = client.clone();
        warmups.spawn(async move {
            let mut refused = 0;
            for txs in warm.chunks(per_request) {
                refused += client.send(txs.to_vec()).await.len();
            }
            refused
        });
    }
    let mut warm_refused = 0;
    while let Some(done) = warmups.join_next().await {
        warm_refused += done?;
    }
    ensure!(
        warm_refused == 0,
        "{warm_refused} warm-up transfers were refused"
    );
    let warmed = lanes_total - timed_lanes.iter().map(Vec::len).sum::<usize>();

    let total: usize = timed_lanes.iter().map(Vec::len).sum();
    let progress = bar(total, "sending")?;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (lane, client) in timed_lanes.into_iter().zip(clients) {
        let progress = progress.clone();
        tasks.spawn(async move {
            let mut latencies = Vec::with_capacity(lane.len());
            let mut refused: BTreeMap<String, usize> = BTreeMap::new();
            let mut lane = lane.into_iter().peekable();
            while lane.peek().is_some() {
                let txs: Vec<Box<RawValue>> = lane.by_ref().take(per_request).collect();
                let count = txs.len();
                let sent = Instant::now();
                let reasons = client.send(txs).await;
                let waited = sent.elapsed();
                latencies.extend(std::iter::repeat_n(waited, count));
                for reason in reasons {
                    *refused.entry(reason).or_default() += 1;
                }
                progress.inc(count as u64);
            }
            (latencies, refused)
        });
    }
    let mut report = LoadReport {
        warmed,
        accepted: 0,
        refused: BTreeMap::new(),
        elapsed: Duration::ZERO,
        latencies: Vec::with_capacity(total),
    };
    while let Some(done) = tasks.join_next().await {
        let (latencies, refused) = done?;
        report.latencies.extend(latencies);
        for (reason, n) in refused {
            *report.refused.entry(reason).or_default() += n;
        }
    }
    report.elapsed = started.elapsed();
    progress.finish_and_clear();
    report.accepted = total - report.refused.values().sum::<usize>();
    report.latencies.sort();
    Ok(report)
}

impl LoadReport {
    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let rank =
            ((self.latencies.len() as f64 * p).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[rank - 1].as_secs_f64() * 1e3
    }

    /// Prints the figures beside the targets, and every refusal reason with its count.
    pub fn print(&self, args: &LoadPlan) {
        let connections = args.connections;
        let tps = self.accepted as f64 / self.elapsed.as_secs_f64();
        let (p50, p99) = (self.percentile_ms(0.50), self.percentile_ms(0.99));
        println!(
            "load: {} transfers (after {} to warm up) from {connections} submitters over {:?}, {} per request, in {:.2} s",
            self.latencies.len(),
            self.warmed,
            args.transport,
            args.per_request,
            self.elapsed.as_secs_f64()
        );
        println!(
            "accepted  {:>9} ({:.0} tx/s; target {TARGET_TPS:.0} tx/s: {:.2}x)",
            self.accepted,
            tps,
            tps / TARGET_TPS
        );
        println!(
            "latency   p50 {p50:.1} ms, p99 {p99:.1} ms (target p99 < {TARGET_P99_MS:.0} ms: {:.2}x), max {:.1} ms",
            TARGET_P99_MS / p99.max(f64::MIN_POSITIVE),
            self.percentile_ms(1.0)
        );
        for (reason, n) in &self.refused {
            println!("refused   {n:>9}  {reason}");
        }
    }
}
