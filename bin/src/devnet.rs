//! `zksettle devnet`: the whole system in one process on a fresh machine: the contracts on an
//! embedded EVM, the node with its prover, and a funded development account.
//!
//! The embedded chain lives in memory, so every devnet starts from genesis in a fresh data
//! directory. Keys come from the insecure development setup (cached on disk after the first
//! run), or from a ceremony's `.zkey` (`--prover.zkey`).

use super::proof_system::SystemArgs;
use super::prover::{KeyArgs, MsmArgs};
use alloy::primitives::{Address, U256};
use clap::Args;
use eyre::WrapErr;
use std::net::SocketAddr;
use std::path::PathBuf;
use zksettle_core::{AccountIndex, BatchShape, Domain, PrivateKey};
use zksettle_l1::convert::l1_address;
use zksettle_l1::{Chain, EmbeddedChain, ProofSystem, RollupClient};
use zksettle_sequencer::node::{self, NodeBuilder, NodeConfig};
use zksettle_sequencer::records::Genesis;
use zksettle_sequencer::{MempoolConfig, NodeDb, SequencerConfig};

/// Chain id of the embedded base chain (anvil's, so wallets configured for anvil sign for it).
const DEVNET_CHAIN_ID: u64 = 31337;
/// Wei the development account deposits to its L2 account at start.
const DEV_DEPOSIT_WEI: u128 = 100_000_000_000_000_000_000;

#[derive(Debug, Args)]
pub(crate) struct DevnetArgs {
    /// Account tree depth (2^depth accounts).
    #[arg(long = "tree.depth", default_value_t = 16, env = "ZKSETTLE_TREE_DEPTH")]
    depth: u8,
    /// Chunks per batch (B): a transfer takes one.
    #[arg(
        long = "batch.chunks",
        default_value_t = 16,
        env = "ZKSETTLE_BATCH_CHUNKS"
    )]
    chunks: usize,
    /// Milliseconds a partly filled batch waits before it is sealed.
    #[arg(
        long = "batch.max-wait-ms",
        default_value_t = 2000,
        env = "ZKSETTLE_BATCH_MAX_WAIT_MS"
    )]
    max_wait_ms: u64,
    /// JSON-RPC listen address (HTTP and WebSocket).
    #[arg(
        long = "rpc.addr",
        default_value = "127.0.0.1:8545",
        env = "ZKSETTLE_RPC_ADDR"
    )]
    rpc_addr: SocketAddr,
    /// Prometheus `/metrics` listen address.
    #[arg(
        long = "metrics.addr",
        default_value = "127.0.0.1:9100",
        env = "ZKSETTLE_METRICS_ADDR"
    )]
    metrics_addr: SocketAddr,
    /// Data directory (must be empty or absent); a temporary one if omitted.
    #[arg(long = "datadir", env = "ZKSETTLE_DATADIR")]
    data_dir: Option<PathBuf>,
    /// Prove through the PostgreSQL job queue at this URL, with `zksettle prover worker`
    /// processes (same shape and keys: `--tree.depth`, `--batch.chunks`, `--batch.fee-slots 1`),
    /// instead of in this process.
    #[arg(long = "prover.queue", env = "ZKSETTLE_PROVER_QUEUE")]
    queue: Option<String>,
    #[command(flatten)]
    msm: MsmArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    system: SystemArgs,
}

/// A development key derived from a public label: anyone can spend what it holds.
pub(crate) fn dev_key(label: &str) -> PrivateKey {
    PrivateKey::from_public_label(label)
}

pub(crate) fn run(args: &DevnetArgs) -> eyre::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(devnet(args))
}

async fn devnet(args: &DevnetArgs) -> eyre::Result<()> {
    super::init_tracing();
    let shape = BatchShape {
        depth: args.depth,
        chunks: args.chunks,
        fee_slots: 1,
    };
    shape.validate().wrap_err("devnet shape")?;
    let keys = args.system.load(&args.keys, shape)?;

    let operator = Address::repeat_byte(0x0a);
    let developer = Address::repeat_byte(0xde);
    let funding = U256::from(10u128.pow(24));
    let chain = EmbeddedChain::new(
        DEVNET_CHAIN_ID,
        &[(operator, funding), (developer, funding)],
    );
    // The operator account deploys, so it governs, operates, guards and takes forced-exit fees.
    let config = super::l1::empty_genesis_config(&keys, 24 * 3600)?;
    let deployment = super::l1::deploy_config(&chain, &config)
        .await
        .wrap_err("on the embedded chain")?;
    let domain = Domain {
        chain_id: DEVNET_CHAIN_ID,
        rollup: l1_address(deployment.rollup),
    };

    let (_temp, data_dir) = match &args.data_dir {
        Some(dir) => (None, dir.clone()),
        None => {
            let temp = tempfile::tempdir()?;
            let path = temp.path().to_path_buf();
            (Some(temp), path)
        }
    };
    let db = NodeDb::open(&data_dir).wrap_err_with(|| format!("opening {}", data_dir.display()))?;
    let config = NodeConfig {
        data_dir: data_dir.clone(),
        rpc: node::config::RpcConfig {
            addr: args.rpc_addr,
            ..Default::default()
        },
        metrics: node::config::MetricsConfig {
            addr: Some(args.metrics_addr),
        },
        batch: node::config::BatchConfig {
            max_wait_ms: args.max_wait_ms,
        },
        l1: node::config::L1FollowConfig {
            confirmations: 0,
            poll_interval_ms: 250,
        },
        prover: node::config::ProverConfig {
            table_dir: Some(args.keys.keys_dir.clone()),
            queue: args.queue.clone(),
            msm: args.msm.msm.unwrap_or_default(),
            ..Default::default()
        },
        mempool: MempoolConfig::default(),
        storage: node::config::StorageConfig::default(),
    };
    let sequencer = SequencerConfig {
        genesis: Genesis {
            domain,
            shape,
            vk_hash: hex::encode(keys.vk_hash()),
            deploy_block: deployment.block,
        },
        // The operator's deposit below is the first priority operation: it opens index 1.
        fee_recipients: vec![AccountIndex(1)],
        mempool: config.mempool,
    };
    let keys_kind = match (keys.verifier_key().system(), keys.insecure()) {
        (ProofSystem::Groth16, true) => "Groth16, insecure development keys",
        (ProofSystem::Groth16, false) => "Groth16, the ceremony's keys",
        (ProofSystem::Halo2, true) => "halo2, insecure development KZG parameters",
        (ProofSystem::Halo2, false) => "halo2, KZG parameters of the powers of tau",
    };
    let prover = keys.prover(domain, config.prover.msm, config.prover.queue.is_none())?;
    super::node::install_metrics(config.metrics.addr)?;
    let rollup = RollupClient::new(chain.clone(), deployment.rollup);
    let mut handle = NodeBuilder::new(config, sequencer, db, rollup)
        .prover(Some(prover))
        .launch()
        .await?;
    let rpc_addr = handle.rpc_addr();

    // Fund the operator's fee account and the developer's account through real L1 deposits.
    let operator_key = dev_key("zksettle devnet operator");
    let developer_key = dev_key("zksettle devnet developer");
    let from_operator = RollupClient::new(chain.with_sender(operator), deployment.rollup);
    from_operator
        .deposit_eth(
            &operator_key.public_key().0,
            l1_address(operator),
            U256::from(1),
        )
        .await?;
    let from_developer = RollupClient::new(chain.with_sender(developer), deployment.rollup);
    from_developer
        .deposit_eth(
            &developer_key.public_key().0,
            l1_address(developer),
            U256::from(DEV_DEPOSIT_WEI),
        )
        .await?;
    // The commands printed below need the development account, which exists once the node has
    // sealed its deposit: wait for that, so they work as soon as they are shown.
    eprintln!("==> waiting for the development account's deposit to be sealed");
    let developer_pub = developer_key.public_key();
    loop {
        let opened = handle
            .context
            .state()
            .tree()
            .accounts_by_key(&developer_pub, zksettle_core::TokenId(0))?;
        if !opened.is_empty() {
            break;
        }
        tokio::select! {
            e = handle.failed() => return Err(e.into()),
            () = tokio::time::sleep(std::time::Duration::from_millis(100)) => {}
        }
    }

    let recipient = dev_key("zksettle devnet recipient");
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "zksettle".into());
    println!(
        "\nzksettle devnet is running ({keys_kind}; state lives in memory)\n\
         \n  JSON-RPC   http://{rpc_addr}  (WebSocket on the same port)\
         \n  metrics    http://{metrics}/metrics\
         \n  health     http://{rpc_addr}/health\
         \n  L1         embedded EVM, chain id {DEVNET_CHAIN_ID}, rollup {rollup}\
         \n  shape      depth {depth}, {chunks} chunks per batch\
         \n\nA development account holds 100 ETH on L2 (account 2; its deposit is sealed, and settles with the first batch).\
         \nIts key (public, for development only): {dev}\
         \n\nTry, in another terminal:\
         \n  {exe} wallet balance  --rpc-url http://{rpc_addr} --key {dev}\
         \n  {exe} wallet transfer --rpc-url http://{rpc_addr} --key {dev} --to {to} --to-l1 {to_l1} --amount 1000000000000000 --wait\
         \n\nCtrl-C (or SIGTERM) stops the devnet.",
        metrics = args.metrics_addr,
        rollup = deployment.rollup,
        depth = shape.depth,
        chunks = shape.chunks,
        dev = hex::encode(developer_key.to_bytes()),
        to = hex::encode(recipient.public_key().pack()),
        // The recipient is named by key and exit address (protocol §4); any address the
        // recipient controls on L1 will do, here the developer's own.
        to_l1 = developer,
    );
    let _ = chain.block_number().await?;
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let failed = tokio::select! {
        stop = tokio::signal::ctrl_c() => { stop?; None }
        _ = terminate.recv() => None,
        e = handle.failed() => Some(e),
    };
    println!("stopping");
    let stopped = handle.shutdown().await;
    if let Some(e) = failed {
        return Err(e.into());
    }
    Ok(stopped?)
}
