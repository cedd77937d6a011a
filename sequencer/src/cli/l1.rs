//! `zksettle l1 …`: the base chain.

use super::prover::{KeyArgs, ShapeArgs};
use alloy::signers::local::PrivateKeySigner;
use clap::{Args, Subcommand};
use eyre::WrapErr;
use zksettle_core::field::fr_to_decimal;
use zksettle_core::{AccountTree, MemoryStore};
use zksettle_l1::{deploy, Chain, DeployConfig, RpcChain, RpcConfig};
use zksettle_prover::INSECURE_SETUP_NOTICE;

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
    /// Seconds a deposit or forced exit may wait before anyone can stop the rollup (exodus).
    #[arg(
        long = "l1.priority-window",
        default_value_t = 24 * 3600,
        env = "ZKSETTLE_L1_PRIORITY_WINDOW"
    )]
    priority_window: u64,
}

pub(crate) fn run(command: &L1Command) -> eyre::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match command {
        L1Command::Deploy(args) => runtime.block_on(deploy_command(args)),
    }
}

/// Deploys the contracts for `keys` with an empty genesis tree; returns them and the root.
pub(crate) async fn deploy_with_empty_genesis<C: Chain>(
    chain: &C,
    keys: &zksettle_prover::BatchKeys,
    priority_window_seconds: u64,
) -> eyre::Result<(zksettle_l1::Deployment, zksettle_core::Fr)> {
    let shape = keys.shape;
    let genesis_root = AccountTree::open(MemoryStore::new(), shape.depth)?.root()?;
    let deployment = deploy(
        chain,
        &DeployConfig {
            verifying_key: keys.verifying_key().clone(),
            vk_hash: keys.vk_hash,
            genesis_root,
            shape,
            priority_window_seconds,
        },
    )
    .await
    .wrap_err("deploying the contracts")?;
    Ok((deployment, genesis_root))
}

async fn deploy_command(args: &DeployArgs) -> eyre::Result<()> {
    let shape = args.shape.shape();
    let keys = args.keys.load_or_setup(shape)?;
    let chain = args.rpc.connect().await?;
    let (deployment, genesis_root) =
        deploy_with_empty_genesis(&chain, &keys, args.priority_window).await?;
    let out = serde_json::json!({
        "chain_id": chain.chain_id(),
        "rollup": deployment.rollup,
        "verifier": deployment.verifier,
        "poseidon4": deployment.poseidon4,
        "poseidon6": deployment.poseidon6,
        "block": deployment.block,
        "vk_hash": format!("0x{}", hex::encode(keys.vk_hash)),
        "genesis_root": fr_to_decimal(&genesis_root),
        "shape": { "depth": shape.depth, "chunks": shape.chunks, "fee_slots": shape.fee_slots },
        "priority_window_seconds": args.priority_window,
        "insecure_keys": keys.insecure,
        "notice": if keys.insecure { INSECURE_SETUP_NOTICE } else { "" },
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
