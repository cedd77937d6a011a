//! `zksettle l1 …`: the base chain.

use super::proof_system::{SystemArgs, SystemKeys};
use super::prover::{KeyArgs, ShapeArgs};
use alloy::primitives::{Address, U256};
use alloy::signers::local::PrivateKeySigner;
use clap::{Args, Subcommand};
use eyre::WrapErr;
use zksettle_core::field::fr_to_decimal;
use zksettle_l1::{deploy, Chain, DeployConfig, RpcChain, RpcConfig};

#[derive(Debug, Subcommand)]
pub(crate) enum L1Command {
    /// Deploy the Poseidon, Verifier and Rollup contracts for a shape's verifying key, with an
    /// empty genesis state, and print their addresses.
    Deploy(DeployArgs),
}

/// How to reach a JSON-RPC node and sign for it.
#[derive(Debug, Args)]
pub(crate) struct RpcArgs {
    /// JSON-RPC endpoint of the base chain.
    #[arg(long = "l1.rpc-url", env = "ZKSETTLE_L1_RPC_URL")]
    rpc_url: String,
    /// Private key (hex) of the sending account.
    #[arg(
        long = "l1.private-key",
        env = "ZKSETTLE_L1_PRIVATE_KEY",
        hide_env_values = true
    )]
    private_key: String,
    /// Blocks on top of a transaction before it counts.
    #[arg(
        long = "l1.confirmations",
        default_value_t = 1,
        env = "ZKSETTLE_L1_CONFIRMATIONS"
    )]
    confirmations: u64,
}

impl RpcArgs {
    pub(crate) async fn connect(&self) -> eyre::Result<RpcChain> {
        let signer: PrivateKeySigner = self
            .private_key
            .parse()
            .wrap_err("--l1.private-key is not a private key")?;
        let config = RpcConfig {
            confirmations: self.confirmations,
            ..RpcConfig::default()
        };
        RpcChain::connect(&self.rpc_url, signer, config)
            .await
            .wrap_err_with(|| format!("connecting to {}", self.rpc_url))
    }
}

#[derive(Debug, Args)]
pub(crate) struct DeployArgs {
    #[command(flatten)]
    rpc: RpcArgs,
    #[command(flatten)]
    shape: ShapeArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    system: SystemArgs,
    /// Seconds a deposit or forced exit may wait before anyone can stop the rollup (exodus);
    /// at least a day except on the local chain ids 31337 and 1337.
    #[arg(
        long = "l1.priority-window",
        default_value_t = 24 * 3600,
        env = "ZKSETTLE_L1_PRIORITY_WINDOW"
    )]
    priority_window: u64,
    #[command(flatten)]
    limits: LimitArgs,
    /// The base chain is a development chain: deploy for the insecure development keys even
    /// though its chain id is not a local one.
    #[arg(long = "dev", env = "ZKSETTLE_DEV")]
    dev: bool,
}

/// The rollup's roles and limits at deployment; each defaults to `DeployConfig::new`'s.
#[derive(Debug, Args)]
pub(crate) struct LimitArgs {
    /// Seconds without an operator's batch after which anyone may submit batches (default:
    /// half the priority window; must be below it).
    #[arg(long = "l1.fallback-delay", env = "ZKSETTLE_L1_FALLBACK_DELAY")]
    fallback_delay: Option<u64>,
    /// Seconds between scheduling an upgrade and executing it (default: two priority windows;
    /// must exceed one).
    #[arg(long = "l1.upgrade-notice", env = "ZKSETTLE_L1_UPGRADE_NOTICE")]
    upgrade_notice: Option<u64>,
    /// Seconds one batch takes to prove and land, as declared to the contract (default 60).
    #[arg(long = "l1.batch-interval", env = "ZKSETTLE_L1_BATCH_INTERVAL")]
    batch_interval: Option<u64>,
    /// Most priority operations open at once (default: the largest the timings allow).
    #[arg(long = "l1.max-priority-ops", env = "ZKSETTLE_L1_MAX_PRIORITY_OPS")]
    max_priority_ops: Option<u64>,
    /// Most open forced exits per account index (default 2).
    #[arg(
        long = "l1.max-forced-exits-per-index",
        env = "ZKSETTLE_L1_MAX_FORCED_EXITS_PER_INDEX"
    )]
    max_forced_exits_per_index: Option<u32>,
    /// Wei a forced-exit request pays (default 0.001 ether).
    #[arg(long = "l1.forced-exit-fee", env = "ZKSETTLE_L1_FORCED_EXIT_FEE")]
    forced_exit_fee: Option<u128>,
    /// Governance address (default: the deployer).
    #[arg(long = "l1.governance", env = "ZKSETTLE_L1_GOVERNANCE")]
    governance: Option<Address>,
    /// First operator (default: the deployer).
    #[arg(long = "l1.operator", env = "ZKSETTLE_L1_OPERATOR")]
    operator: Option<Address>,
    /// Guardian, who may pause batch submission (default: the deployer).
    #[arg(long = "l1.guardian", env = "ZKSETTLE_L1_GUARDIAN")]
    guardian: Option<Address>,
    /// Receiver of forced-exit fees (default: the deployer).
    #[arg(long = "l1.fee-recipient", env = "ZKSETTLE_L1_FEE_RECIPIENT")]
    fee_recipient: Option<Address>,
}

impl LimitArgs {
    /// `config` with every value given on the command line; the queue cap, unless given, is
    /// recomputed for the timings.
    fn apply(&self, mut config: DeployConfig) -> DeployConfig {
        if let Some(v) = self.fallback_delay {
            config.fallback_delay_seconds = v;
        }
        if let Some(v) = self.upgrade_notice {
            config.upgrade_notice_seconds = v;
        }
        if let Some(v) = self.batch_interval {
            config.batch_interval_seconds = v;
        }
        config.max_priority_ops = self.max_priority_ops.unwrap_or_else(|| {
            DeployConfig::largest_queue(
                &config.shape,
                config.priority_window_seconds,
                config.fallback_delay_seconds,
                config.batch_interval_seconds,
            )
        });
        if let Some(v) = self.max_forced_exits_per_index {
            config.max_forced_exits_per_index = v;
        }
        if let Some(v) = self.forced_exit_fee {
            config.forced_exit_fee_wei = U256::from(v);
        }
        let roles = &mut config.roles;
        roles.governance = self.governance.or(roles.governance);
        roles.operator = self.operator.or(roles.operator);
        roles.guardian = self.guardian.or(roles.guardian);
        roles.fee_recipient = self.fee_recipient.or(roles.fee_recipient);
        config
    }
}

pub(crate) fn run(command: &L1Command) -> eyre::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match command {
        L1Command::Deploy(args) => runtime.block_on(deploy_command(args)),
    }
}

/// The deployment of `keys` with an empty genesis tree and development defaults
/// (`DeployConfig::new`: the deployer holds every role).
pub(crate) fn empty_genesis_config(
    keys: &SystemKeys,
    priority_window_seconds: u64,
) -> eyre::Result<DeployConfig> {
    Ok(DeployConfig::with_empty_genesis(
        keys.verifier_key(),
        keys.vk_hash(),
        keys.shape(),
        priority_window_seconds,
    )?)
}

/// Deploys the contracts as `config` says.
pub(crate) async fn deploy_config<C: Chain>(
    chain: &C,
    config: &DeployConfig,
) -> eyre::Result<zksettle_l1::Deployment> {
    deploy(chain, config)
        .await
        .wrap_err("deploying the contracts")
}

async fn deploy_command(args: &DeployArgs) -> eyre::Result<()> {
    let shape = args.shape.shape();
    let chain = args.rpc.connect().await?;
    let keys = args
        .system
        .load_for_chain(&args.keys, shape, chain.chain_id(), args.dev)?;
    let config = args
        .limits
        .apply(empty_genesis_config(&keys, args.priority_window)?);
    let deployment = deploy_config(&chain, &config).await?;
    let genesis_root = config.genesis_root;
    let role = |r: Option<Address>| r.unwrap_or(chain.sender());
    let out = serde_json::json!({
        "chain_id": chain.chain_id(),
        "rollup": deployment.rollup,
        "implementation": deployment.implementation,
        "verifier": deployment.verifier,
        "poseidon4": deployment.poseidon4,
        "poseidon6": deployment.poseidon6,
        "block": deployment.block,
        "proof_system": keys.verifier_key().system(),
        "vk_hash": format!("0x{}", hex::encode(keys.vk_hash())),
        "genesis_root": fr_to_decimal(&genesis_root),
        "shape": { "depth": shape.depth, "chunks": shape.chunks, "fee_slots": shape.fee_slots },
        "priority_window_seconds": config.priority_window_seconds,
        "fallback_delay_seconds": config.fallback_delay_seconds,
        "upgrade_notice_seconds": config.upgrade_notice_seconds,
        "batch_interval_seconds": config.batch_interval_seconds,
        "max_priority_ops": config.max_priority_ops,
        "max_forced_exits_per_index": config.max_forced_exits_per_index,
        "forced_exit_fee_wei": config.forced_exit_fee_wei.to_string(),
        "governance": role(config.roles.governance),
        "operator": role(config.roles.operator),
        "guardian": role(config.roles.guardian),
        "fee_recipient": role(config.roles.fee_recipient),
        "insecure_keys": keys.insecure(),
        "notice": if keys.insecure() { keys.insecure_notice() } else { "" },
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
