//! `zksettle wallet …`: a user's side. L2 commands talk to a node's JSON-RPC; `deposit` and
//! `forced-exit` are L1 transactions to the rollup contract.

use super::l1::RpcArgs;
use alloy::primitives::{Address, B256, U256};
use clap::{Args, Subcommand};
use eyre::WrapErr;
use indicatif::{ProgressBar, ProgressStyle};
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use std::time::Duration;
use zksettle_core::{
    AccountIndex, Domain, L1Address, PrivateKey, PublicKey, TokenId, Transfer, Tx, Withdraw,
};
use zksettle_l1::convert::l1_address;
use zksettle_l1::RollupClient;
use zksettle_sequencer::records::TxStatus;
use zksettle_sequencer::rpc::{AccountView, ZksApiClient};

#[derive(Debug, Subcommand)]
pub(crate) enum WalletCommand {
    /// Generate a key pair (circomlibjs / zk-kit compatible).
    New(super::keygen::KeygenArgs),
    /// Accounts of a key and their balances.
    Balance(BalanceArgs),
    /// Send a transfer.
    Transfer(TransferArgs),
    /// Withdraw to an L1 address.
    Withdraw(WithdrawArgs),
    /// A transaction's status; `--wait` follows it until settled.
    Status(StatusArgs),
    /// Deposit ether (or an approved ERC-20) from L1 to a key's L2 account.
    Deposit(DepositArgs),
    /// Ask the rollup on L1 to pay out an account's whole balance to its L1 address.
    ForcedExit(ForcedExitArgs),
}

/// How to reach the node.
#[derive(Debug, Args)]
pub(crate) struct NodeRpc {
    /// The node's JSON-RPC URL.
    #[arg(
        long = "rpc-url",
        default_value = "http://127.0.0.1:8545",
        env = "ZKSETTLE_RPC_URL"
    )]
    rpc_url: String,
}

impl NodeRpc {
    fn client(&self) -> eyre::Result<HttpClient> {
        HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(30))
            .build(&self.rpc_url)
            .wrap_err_with(|| format!("node at {}", self.rpc_url))
    }
}

/// The signing key.
#[derive(Debug, Args)]
pub(crate) struct KeyArg {
    /// Private key, 32 bytes hex.
    #[arg(long = "key", env = "ZKSETTLE_WALLET_KEY", hide_env_values = true)]
    key: String,
}

impl KeyArg {
    fn private_key(&self) -> eyre::Result<PrivateKey> {
        let bytes: [u8; 32] = hex::decode(self.key.trim_start_matches("0x"))
            .wrap_err("--key is not hex")?
            .try_into()
            .map_err(|v: Vec<u8>| eyre::eyre!("a private key is 32 bytes, got {}", v.len()))?;
        Ok(PrivateKey::from_bytes(bytes))
    }
}

#[derive(Debug, Args)]
pub(crate) struct BalanceArgs {
    #[command(flatten)]
    node: NodeRpc,
    #[command(flatten)]
    key: KeyArg,
    /// Token id.
    #[arg(long = "token", default_value_t = 0)]
    token: u32,
}

#[derive(Debug, Args)]
pub(crate) struct TransferArgs {
    #[command(flatten)]
    node: NodeRpc,
    #[command(flatten)]
    key: KeyArg,
    /// Recipient's packed public key (hex).
    #[arg(long = "to")]
    to: String,
    /// Amount in the token's smallest unit (must have an exact 24-bit packed form).
    #[arg(long = "amount")]
    amount: u128,
    /// Fee, same token.
    #[arg(long = "fee", default_value_t = 0)]
    fee: u128,
    /// Token id.
    #[arg(long = "token", default_value_t = 0)]
    token: u32,
    /// The recipient's exit address on L1. With the key it names the recipient's account: the
    /// transfer goes only to an account of that key whose exit address this is (or opens one),
    /// never to an account whose exit address someone else chose.
    #[arg(long = "to-l1")]
    to_l1: Address,
    /// Follow the transaction until it settles on L1.
    #[arg(long = "wait")]
    wait: bool,
}

#[derive(Debug, Args)]
pub(crate) struct WithdrawArgs {
    #[command(flatten)]
    node: NodeRpc,
    #[command(flatten)]
    key: KeyArg,
    /// L1 recipient.
    #[arg(long = "to-l1")]
    to_l1: Address,
    /// Amount.
    #[arg(long = "amount")]
    amount: u128,
    /// Fee.
    #[arg(long = "fee", default_value_t = 0)]
    fee: u128,
    /// Token id.
    #[arg(long = "token", default_value_t = 0)]
    token: u32,
    /// Follow the transaction until it settles on L1.
    #[arg(long = "wait")]
    wait: bool,
}

#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    #[command(flatten)]
    node: NodeRpc,
    /// Transaction hash.
    hash: B256,
    /// Follow it until it settles on L1 (or is rejected).
    #[arg(long = "wait")]
    wait: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DepositArgs {
    #[command(flatten)]
    l1: RpcArgs,
    /// The rollup contract.
    #[arg(long = "l1.rollup", env = "ZKSETTLE_L1_ROLLUP")]
    rollup: Address,
    /// Packed public key (hex) of the L2 owner.
    #[arg(long = "to")]
    to: String,
    /// Amount (wei, or token units).
    #[arg(long = "amount")]
    amount: u128,
    /// An ERC-20 to deposit instead of ether (approve the rollup first).
    #[arg(long = "erc20")]
    erc20: Option<Address>,
}

#[derive(Debug, Args)]
pub(crate) struct ForcedExitArgs {
    #[command(flatten)]
    l1: RpcArgs,
    /// The rollup contract.
    #[arg(long = "l1.rollup", env = "ZKSETTLE_L1_ROLLUP")]
    rollup: Address,
    /// Account index.
    #[arg(long = "index")]
    index: u32,
    /// Token id.
    #[arg(long = "token", default_value_t = 0)]
    token: u32,
}

pub(crate) fn run(command: &WalletCommand) -> eyre::Result<()> {
    if let WalletCommand::New(args) = command {
        return super::keygen::run(args);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        match command {
            WalletCommand::New(_) => unreachable!("handled above"),
            WalletCommand::Balance(a) => balance(a).await,
            WalletCommand::Transfer(a) => transfer(a).await,
            WalletCommand::Withdraw(a) => withdraw(a).await,
            WalletCommand::Status(a) => {
                let client = a.node.client()?;
                if a.wait {
                    follow(&client, a.hash).await
                } else {
                    let view = client.get_transaction(a.hash).await?;
                    println!("{}", serde_json::to_string_pretty(&view)?);
                    Ok(())
                }
            }
            WalletCommand::Deposit(a) => deposit(a).await,
            WalletCommand::ForcedExit(a) => forced_exit(a).await,
        }
    })
}

fn parse_key(hex_key: &str) -> eyre::Result<PublicKey> {
    let packed: [u8; 32] = hex::decode(hex_key.trim_start_matches("0x"))
        .wrap_err("a packed public key is hex")?
        .try_into()
        .map_err(|v: Vec<u8>| eyre::eyre!("a packed public key is 32 bytes, got {}", v.len()))?;
    PublicKey::unpack(&packed).map_err(|e| eyre::eyre!("not a public key: {e}"))
}

/// The first account of `key` in `token`, with its next nonce.
async fn sender(client: &HttpClient, key: &PrivateKey, token: u32) -> eyre::Result<AccountView> {
    let packed = B256::from(key.public_key().pack());
    let indices = client.get_accounts_by_key(packed, token).await?;
    let Some(index) = indices.first() else {
        eyre::bail!("this key holds no account in token {token} (deposit first)");
    };
    Ok(client.get_account(*index).await?)
}

async fn domain(client: &HttpClient) -> eyre::Result<Domain> {
    let status = client.status().await?;
    Ok(Domain {
        chain_id: status.chain_id,
        rollup: L1Address(status.rollup.0 .0),
    })
}

async fn balance(args: &BalanceArgs) -> eyre::Result<()> {
    let client = args.node.client()?;
    let key = args.key.private_key()?;
    let packed = B256::from(key.public_key().pack());
    let indices = client.get_accounts_by_key(packed, args.token).await?;
    let mut accounts = Vec::new();
    for index in indices {
        accounts.push(client.get_account(index).await?);
    }
    println!("{}", serde_json::to_string_pretty(&accounts)?);
    Ok(())
}

async fn send(client: &HttpClient, key: &PrivateKey, tx: Tx, wait: bool) -> eyre::Result<()> {
    let signed = tx.sign(key, &domain(client).await?);
    let hash = client
        .send_transaction(signed.into())
        .await
        .wrap_err("the node refused the transaction")?;
    println!("{hash}");
    if wait {
        follow(client, hash).await?;
    }
    Ok(())
}

async fn transfer(args: &TransferArgs) -> eyre::Result<()> {
    let client = args.node.client()?;
    let key = args.key.private_key()?;
    let from = sender(&client, &key, args.token).await?;
    let tx = Tx::Transfer(Transfer {
        from: AccountIndex(from.index),
        token: TokenId(args.token),
        amount: args.amount,
        fee: args.fee,
        nonce: from.next_nonce,
        to: parse_key(&args.to)?,
        to_l1_address: l1_address(args.to_l1),
    });
    send(&client, &key, tx, args.wait).await
}

async fn withdraw(args: &WithdrawArgs) -> eyre::Result<()> {
    let client = args.node.client()?;
    let key = args.key.private_key()?;
    let from = sender(&client, &key, args.token).await?;
    let tx = Tx::Withdraw(Withdraw {
        from: AccountIndex(from.index),
        token: TokenId(args.token),
        amount: args.amount,
        fee: args.fee,
        nonce: from.next_nonce,
        to_l1_address: l1_address(args.to_l1),
    });
    send(&client, &key, tx, args.wait).await
}

/// Shows a transaction's progress until it is settled or rejected.
async fn follow(client: &HttpClient, hash: B256) -> eyre::Result<()> {
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template(
        "{spinner} {elapsed:>4} {msg}",
    )?);
    bar.enable_steady_tick(Duration::from_millis(120));
    loop {
        let view = client.get_transaction(hash).await?;
        let (message, done) = match &view.status {
            TxStatus::Pending => ("pending in the pool".to_string(), false),
            TxStatus::Included { batch } => (format!("in batch {batch}, proving"), false),
            TxStatus::Proven { batch } => (format!("batch {batch} proven, settling on L1"), false),
            TxStatus::Settled { batch, l1_tx } => (
                format!("settled: batch {batch}, L1 transaction {l1_tx}"),
                true,
            ),
            TxStatus::Rejected { reason } => (format!("rejected: {reason}"), true),
        };
        bar.set_message(message.clone());
        if done {
            bar.finish_with_message(message);
            return match view.status {
                TxStatus::Rejected { .. } => Err(eyre::eyre!("transaction rejected")),
                _ => Ok(()),
            };
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn deposit(args: &DepositArgs) -> eyre::Result<()> {
    let chain = args.l1.connect().await?;
    let from = l1_address(zksettle_l1::Chain::sender(&chain));
    let rollup = RollupClient::new(chain, args.rollup);
    let key = parse_key(&args.to)?;
    let op = match args.erc20 {
        None => {
            rollup
                .deposit_eth(&key.0, from, U256::from(args.amount))
                .await?
        }
        Some(token) => {
            rollup
                .deposit_erc20(token, U256::from(args.amount), &key.0, from)
                .await?
        }
    };
    println!("{}", serde_json::to_string_pretty(&op)?);
    Ok(())
}

async fn forced_exit(args: &ForcedExitArgs) -> eyre::Result<()> {
    let chain = args.l1.connect().await?;
    let rollup = RollupClient::new(chain, args.rollup);
    // The fee goes to the rollup's fee recipient and is not refunded: show it first.
    let fee = rollup.forced_exit_fee().await?;
    eprintln!("paying the rollup's forced-exit fee: {fee} wei");
    let op = rollup
        .request_forced_exit_paying(AccountIndex(args.index), TokenId(args.token), fee)
        .await?;
    println!("{}", serde_json::to_string_pretty(&op)?);
    Ok(())
}
