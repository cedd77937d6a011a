//! The seam between zksettle and a base chain: send a transaction, make a call, read logs.
//! `EmbeddedChain` (feature `embedded`) runs the EVM in-process (revm); [`crate::RpcChain`] talks to any
//! Ethereum JSON-RPC node. Everything typed (the rollup's calls and events) is built on this
//! trait once, in [`crate::rollup`].

use alloy::primitives::{Address, Bytes, Log, B256, U256};

use std::future::Future;

/// The chain ids of local development chains (anvil and Hardhat: 31337; geth `--dev` and
/// Ganache: 1337), the ones `Rollup.sol` allows a short priority window on, and the only ones
/// zksettle runs the public development keys on without `--dev`.
pub const LOCAL_CHAIN_IDS: [u64; 2] = [31337, 1337];

/// A transaction to send from the chain handle's account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TxRequest {
    /// Callee; `None` deploys `input` as init code.
    pub to: Option<Address>,
    /// Calldata or init code.
    pub input: Bytes,
    /// Wei sent along.
    pub value: U256,
}

impl TxRequest {
    /// A call of `to` with `input`.
    pub fn call(to: Address, input: impl Into<Bytes>) -> Self {
        TxRequest {
            to: Some(to),
            input: input.into(),
            value: U256::ZERO,
        }
    }

    /// A deployment of `init_code`.
    pub fn deploy(init_code: impl Into<Bytes>) -> Self {
        TxRequest {
            to: None,
            input: init_code.into(),
            value: U256::ZERO,
        }
    }

    /// The same request sending `value` wei.
    pub fn with_value(mut self, value: U256) -> Self {
        self.value = value;
        self
    }
}

/// A mined transaction that succeeded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// Transaction hash.
    pub tx_hash: B256,
    /// Block it was mined in.
    pub block_number: u64,
    /// Gas used, intrinsic cost included.
    pub gas_used: u64,
    /// Logs emitted.
    pub logs: Vec<Log>,
    /// The deployed contract, for a deployment.
    pub contract_address: Option<Address>,
}

/// What a mined transaction called, as [`Chain::transaction_input`] returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinedInput {
    /// Callee; `None` for a deployment.
    pub to: Option<Address>,
    /// Calldata or init code.
    pub input: Bytes,
}

/// A log with where it was emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLog {
    /// The log.
    pub log: Log,
    /// Block number.
    pub block_number: u64,
    /// Transaction hash.
    pub tx_hash: B256,
}

/// An error from a layer below (alloy's transport, revm), kept as the source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why a chain operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    /// The transaction or call reverted; `data` is the revert data (a custom error, usually).
    #[error("reverted{}", revert_reason(.data))]
    Reverted {
        /// Revert data.
        data: Bytes,
    },
    /// The EVM halted (out of gas, invalid opcode, …): the halt reason's name, as the EVM
    /// reports it (data, not an error of ours).
    #[error("halted: {0}")]
    Halted(String),
    /// The node or EVM refused the transaction before running it.
    #[error("transaction refused")]
    Refused(#[source] BoxError),
    /// The node could not be reached or answered nonsense.
    #[error("base-chain node")]
    Transport(#[source] BoxError),
    /// The node's URL does not parse.
    #[error("bad node URL {url}")]
    BadUrl {
        /// The URL given.
        url: String,
        /// Why it does not parse.
        #[source]
        source: BoxError,
    },
    /// The transaction was not mined after every retry.
    #[error("transaction dropped after {attempts} attempts")]
    Dropped {
        /// Sends tried.
        attempts: u32,
    },
    /// This chain cannot do that (e.g. move time on a public network).
    #[error("unsupported on this chain: {0}")]
    Unsupported(&'static str),
}

fn revert_reason(data: &Bytes) -> String {
    if data.is_empty() {
        String::new()
    } else {
        format!(" with 0x{}", hex::encode(data))
    }
}

/// A base chain as zksettle uses it, from one sending account.
pub trait Chain: Send + Sync {
    /// The chain id (`block.chainid`).
    fn chain_id(&self) -> u64;

    /// The account this handle sends from.
    fn sender(&self) -> Address;

    /// Sends `tx` and waits until it is mined (and, for nodes, confirmed); a reverted
    /// transaction is [`ChainError::Reverted`] with its revert data.
    fn send(&self, tx: TxRequest) -> impl Future<Output = Result<Receipt, ChainError>> + Send;

    /// Runs a call against the latest state without a transaction.
    fn call(
        &self,
        to: Address,
        input: Bytes,
    ) -> impl Future<Output = Result<Bytes, ChainError>> + Send;

    /// Logs emitted by `address` in blocks `from..=to`.
    fn logs(
        &self,
        address: Address,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<Vec<ChainLog>, ChainError>> + Send;

    /// The callee and input of the mined transaction `tx_hash`, or `None` if the chain does not
    /// know it. An auditor reads batch pubdata this way: it lives in calldata, not in state.
    fn transaction_input(
        &self,
        tx_hash: B256,
    ) -> impl Future<Output = Result<Option<MinedInput>, ChainError>> + Send;

    /// The latest block number.
    fn block_number(&self) -> impl Future<Output = Result<u64, ChainError>> + Send;

    /// The hash of block `number` on the chain as it is now (`None` above the head): a reader
    /// that stored it notices when a reorganization replaced the block.
    fn block_hash(
        &self,
        number: u64,
    ) -> impl Future<Output = Result<Option<B256>, ChainError>> + Send;

    /// Ether balance of `address`.
    fn balance(&self, address: Address) -> impl Future<Output = Result<U256, ChainError>> + Send;

    /// Moves the chain's clock `seconds` forward (development chains only).
    fn increase_time(&self, seconds: u64) -> impl Future<Output = Result<(), ChainError>> + Send;
}
