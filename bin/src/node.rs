//! `zksettle node`: the production shape: a node on a JSON-RPC base chain, with proving keys
//! from disk and a database that outlives restarts.
//!
//! Settings come from `--config file.toml` (see `NodeConfig`), then environment variables and
//! flags, which win.

use super::l1::RpcArgs;
use super::proof_system::SystemArgs;
use super::prover::{KeyArgs, MsmArgs, ShapeArgs};
use alloy::primitives::Address;
use clap::Args;
use eyre::WrapErr;
use std::net::SocketAddr;
use std::path::PathBuf;
use zksettle_core::{AccountIndex, Domain};
use zksettle_l1::convert::l1_address;
use zksettle_l1::{Chain, RollupClient};
use zksettle_sequencer::node::{NodeBuilder, NodeConfig};
use zksettle_sequencer::records::Genesis;
use zksettle_sequencer::{NodeDb, SequencerConfig};

#[derive(Debug, Args)]
pub(crate) struct NodeArgs {
    /// TOML configuration file (every key optional).
    #[arg(long = "config", env = "ZKSETTLE_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory (overrides the file's `data_dir`).
    #[arg(long = "datadir", env = "ZKSETTLE_DATADIR")]
    data_dir: Option<PathBuf>,
    /// JSON-RPC listen address (overrides `[rpc] addr`).
    #[arg(long = "rpc.addr", env = "ZKSETTLE_RPC_ADDR")]
    rpc_addr: Option<SocketAddr>,
    /// Prometheus listen address (overrides `[metrics] addr`).
    #[arg(long = "metrics.addr", env = "ZKSETTLE_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// Address of the deployed rollup contract.
    #[arg(long = "l1.rollup", env = "ZKSETTLE_L1_ROLLUP")]
    rollup: Address,
    /// Block the rollup was deployed in (where event scans start).
    #[arg(long = "l1.deploy-block", env = "ZKSETTLE_L1_DEPLOY_BLOCK")]
    deploy_block: u64,
    /// Blocks on top of a deposit before it is included (overrides `[l1] confirmations`).
    #[arg(
        long = "l1.follow-confirmations",
        env = "ZKSETTLE_L1_FOLLOW_CONFIRMATIONS"
    )]
    follow_confirmations: Option<u64>,
    /// The operator's fee accounts, one per fee token.
    #[arg(
        long = "fees.recipient",
        env = "ZKSETTLE_FEES_RECIPIENT",
        value_delimiter = ','
    )]
    fee_recipients: Vec<u32>,
    /// Prove through the PostgreSQL job queue at this URL (overrides `[prover] queue`), with
    /// `zksettle prover worker` processes anywhere, instead of in this process.
    #[arg(long = "prover.queue", env = "ZKSETTLE_PROVER_QUEUE")]
    queue: Option<String>,
    // `--prover.msm` overrides `[prover] msm`.
    #[command(flatten)]
    msm: MsmArgs,
    #[command(flatten)]
    rpc: RpcArgs,
    #[command(flatten)]
    shape: ShapeArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    system: SystemArgs,
    /// The base chain is a development chain: run the insecure development keys on it even
    /// though its chain id is not a local one.
    #[arg(long = "dev", env = "ZKSETTLE_DEV")]
    dev: bool,
}

pub(crate) fn run(args: &NodeArgs) -> eyre::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run_node(args))
}

/// Starts the Prometheus exporter on `addr` (if any).
pub(crate) fn install_metrics(addr: Option<SocketAddr>) -> eyre::Result<()> {
    if let Some(addr) = addr {
        metrics_exporter_prometheus::PrometheusBuilder::new()
            .with_http_listener(addr)
            .install()
            .wrap_err_with(|| format!("starting the metrics exporter on {addr}"))?;
    }
    Ok(())
}

async fn run_node(args: &NodeArgs) -> eyre::Result<()> {
    super::init_tracing();
    let mut config = match &args.config {
        Some(path) => NodeConfig::from_file(path)?,
        None => NodeConfig::default(),
    };
    if let Some(dir) = &args.data_dir {
        config.data_dir = dir.clone();
    }
    if let Some(addr) = args.rpc_addr {
        config.rpc.addr = addr;
    }
    if let Some(addr) = args.metrics_addr {
        config.metrics.addr = Some(addr);
    }
    if let Some(c) = args.follow_confirmations {
        config.l1.confirmations = c;
    }
    if let Some(url) = &args.queue {
        config.prover.queue = Some(url.clone());
    }
    if let Some(device) = args.msm.msm {
        config.prover.msm = device;
    }
    let shape = args.shape.shape();
    let chain = args.rpc.connect().await?;
    let keys = args
        .system
        .load_for_chain(&args.keys, shape, chain.chain_id(), args.dev)?;
    // The key's fixed-base tables are kept beside it unless the file says otherwise.
    config
        .prover
        .table_dir
        .get_or_insert_with(|| args.keys.keys_dir.clone());
    let rollup = RollupClient::new(chain.clone(), args.rollup);
    let on_chain = rollup
        .vk_hash()
        .await
        .wrap_err("reading the rollup's key hash")?;
    eyre::ensure!(
        on_chain == keys.vk_hash(),
        "the rollup at {} verifies key {}, these {} keys hash to {}",
        args.rollup,
        hex::encode(on_chain),
        args.system.system,
        hex::encode(keys.vk_hash())
    );
    // A node whose key is not an operator can only submit once the permissionless fallback
    // opens: say so now rather than through failed submissions.
    let sender = chain.sender();
    if !rollup
        .is_operator(sender)
        .await
        .wrap_err("reading the rollup's operators")?
    {
        tracing::warn!(
            %sender,
            "this key is not an operator of the rollup: its batches are refused until no operator \
             has submitted for the fallback delay (governance adds operators with setOperator)"
        );
    }
    let domain = Domain {
        chain_id: chain.chain_id(),
        rollup: l1_address(args.rollup),
    };
    let sequencer = SequencerConfig {
        genesis: Genesis {
            domain,
            shape,
            vk_hash: hex::encode(keys.vk_hash()),
            deploy_block: args.deploy_block,
        },
        fee_recipients: args
            .fee_recipients
            .iter()
            .map(|i| AccountIndex(*i))
            .collect(),
        mempool: config.mempool,
    };
    let db = NodeDb::open(&config.data_dir)
        .wrap_err_with(|| format!("opening {}", config.data_dir.display()))?;
    // Batches proven by the queue's workers need no MSM backend here.
    let prover = keys.prover(domain, config.prover.msm, config.prover.queue.is_none())?;
    install_metrics(config.metrics.addr)?;
    let mut handle = NodeBuilder::new(config, sequencer, db, rollup)
        .prover(Some(prover))
        .launch()
        .await?;
    tracing::info!(rpc = %handle.rpc_addr(), "node running");
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let failed = tokio::select! {
        stop = tokio::signal::ctrl_c() => { stop?; None }
        _ = terminate.recv() => None,
        e = handle.failed() => Some(e),
    };
    tracing::info!("stopping");
    let stopped = handle.shutdown().await;
    if let Some(e) = failed {
        return Err(e.into());
    }
    Ok(stopped?)
}
