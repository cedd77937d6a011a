//! Any Ethereum JSON-RPC node (anvil, geth, a testnet) through alloy: a local signer, nonces
//! and gas filled by alloy's recommended fillers, a configurable number of confirmations, and
//! a dropped transaction sent again (same nonce, higher fee) until it is mined.

use crate::chain::{Chain, ChainError, ChainLog, MinedInput, Receipt, TxRequest};
use alloy::consensus::Transaction as _;
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, Bytes, B256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::{Filter, TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::{RpcError, TransportErrorKind};
use std::time::Duration;

/// How transactions are sent and awaited.
#[derive(Debug, Clone)]
pub struct RpcConfig {
    /// Blocks on top of the transaction's before it counts as mined.
    pub confirmations: u64,
    /// How long to wait for a receipt before treating the transaction as dropped.
    pub receipt_timeout: Duration,
    /// Sends of one transaction before giving up.
    pub max_attempts: u32,
    /// Fee increase per resend, in percent (nodes demand at least 10% to replace).
    pub fee_bump_percent: u128,
    /// Longest one JSON-RPC request may take, connection included: an endpoint that accepts
    /// and never answers fails the request instead of holding the caller forever.
    pub request_timeout: Duration,
}

impl Default for RpcConfig {
    fn default() -> Self {
        RpcConfig {
            confirmations: 1,
            receipt_timeout: Duration::from_secs(120),
            max_attempts: 5,
            fee_bump_percent: 25,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// A handle on a JSON-RPC node, sending from one local key.
#[derive(Debug, Clone)]
pub struct RpcChain {
    provider: DynProvider,
    sender: Address,
    chain_id: u64,
    config: RpcConfig,
}

fn transport(e: RpcError<TransportErrorKind>) -> ChainError {
    // A node's error response to eth_call/eth_estimateGas carries the revert data.
    if let Some(payload) = e.as_error_resp() {
        if let Some(data) = payload.as_revert_data() {
            return ChainError::Reverted { data };
        }
    }
    ChainError::Transport(Box::new(e))
}

/// An HTTP JSON-RPC client whose every request (connection included) ends within `timeout`.
fn http_client(
    url: alloy::transports::http::reqwest::Url,
    timeout: Duration,
) -> Result<alloy::rpc::client::RpcClient, ChainError> {
    let client = alloy::transports::http::reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| ChainError::Transport(Box::new(e)))?;
    let http = alloy::transports::http::Http::with_client(client, url);
    let is_local = http.guess_local();
    Ok(alloy::rpc::client::RpcClient::new(http, is_local))
}

impl RpcChain {
    /// Connects to `url` and signs with `signer`.
    pub async fn connect(
        url: &str,
        signer: PrivateKeySigner,
        config: RpcConfig,
    ) -> Result<Self, ChainError> {
        let url = url.parse().map_err(|e| ChainError::BadUrl {
            url: url.to_owned(),
            source: Box::new(e),
        })?;
        let sender = signer.address();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_client(http_client(url, config.request_timeout)?)
            .erased();
        let chain_id = provider.get_chain_id().await.map_err(transport)?;
        Ok(RpcChain {
            provider,
            sender,
            chain_id,
            config,
        })
    }

    /// Connects to `url` to read only (an auditor's handle): calls, logs and transactions
    /// work; sending is refused by the node, as no key signs.
    pub async fn connect_read_only(url: &str) -> Result<Self, ChainError> {
        let url = url.parse().map_err(|e| ChainError::BadUrl {
            url: url.to_owned(),
            source: Box::new(e),
        })?;
        let config = RpcConfig::default();
        let provider = ProviderBuilder::new()
            .connect_client(http_client(url, config.request_timeout)?)
            .erased();
        let chain_id = provider.get_chain_id().await.map_err(transport)?;
        Ok(RpcChain {
            provider,
            sender: Address::ZERO,
            chain_id,
            config,
        })
    }

    /// The provider, for what the [`Chain`] trait does not cover.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    async fn send_once(&self, request: TransactionRequest) -> Result<Option<Receipt>, ChainError> {
        let pending = self
            .provider
            .send_transaction(request)
            .await
            .map_err(transport)?;
        let tx_hash = *pending.tx_hash();
        // Not mined in time: dropped, or stuck behind a low fee.
        let Some(receipt) = self.confirmed_receipt(tx_hash).await? else {
            return Ok(None);
        };
        if !receipt.status() {
            return Err(self.revert_data(tx_hash).await);
        }
        Ok(Some(Receipt {
            tx_hash,
            block_number: receipt.block_number.unwrap_or_default(),
            gas_used: receipt.gas_used,
            logs: receipt.logs().iter().map(|l| l.inner.clone()).collect(),
            contract_address: receipt.contract_address,
        }))
    }

    /// Polls the node for `tx_hash`'s receipt until it has `confirmations` blocks, or until
    /// the receipt timeout (`None`).
    ///
    /// Why not alloy's pending-transaction watcher: it remembers the transactions of recent
    /// blocks, and after a reorganisation a transaction sent again with the same hash (same
    /// nonce, fees and payload: exactly what the node does when its batch is reorged out) is
    /// taken as mined from a block that no longer exists, and its receipt lookup fails with
    /// `NullResp`. The node's own answer is the only truth here.
    async fn confirmed_receipt(
        &self,
        tx_hash: B256,
    ) -> Result<Option<TransactionReceipt>, ChainError> {
        let deadline = tokio::time::Instant::now() + self.config.receipt_timeout;
        let poll_interval = self.provider.client().poll_interval();
        loop {
            let receipt = self
                .provider
                .get_transaction_receipt(tx_hash)
                .await
                .map_err(transport)?;
            if let Some(receipt) = receipt {
                let mined_at = receipt.block_number.unwrap_or_default();
                let head = self.provider.get_block_number().await.map_err(transport)?;
                if head + 1 >= mined_at + self.config.confirmations.max(1) {
                    return Ok(Some(receipt));
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(poll_interval).await;
        }
    }

    /// A mined transaction that reverted: replays it as a call at its block for the revert data.
    async fn revert_data(&self, tx_hash: B256) -> ChainError {
        let Ok(Some(tx)) = self.provider.get_transaction_by_hash(tx_hash).await else {
            return ChainError::Reverted { data: Bytes::new() };
        };
        let block = tx.block_number.map(|n| n.saturating_sub(1));
        let mut request: TransactionRequest = tx.into_request();
        request.nonce = None;
        let call = self.provider.call(request);
        let call = match block {
            Some(n) => call.block(n.into()),
            None => call,
        };
        match call.await {
            Err(e) => transport(e),
            Ok(_) => ChainError::Reverted { data: Bytes::new() },
        }
    }
}

impl Chain for RpcChain {
    fn chain_id(&self) -> u64 {
        self.chain_id
    }

    fn sender(&self) -> Address {
        self.sender
    }

    async fn send(&self, tx: TxRequest) -> Result<Receipt, ChainError> {
        let mut request = TransactionRequest::default()
            .with_from(self.sender)
            .with_input(tx.input)
            .with_value(tx.value);
        request = match tx.to {
            Some(to) => request.with_to(to),
            None => request.into_create(),
        };
        // Fix the nonce and gas once, so that a resend replaces the same transaction.
        let nonce = self
            .provider
            .get_transaction_count(self.sender)
            .pending()
            .await
            .map_err(transport)?;
        let gas = self
            .provider
            .estimate_gas(request.clone())
            .await
            .map_err(transport)?;
        let fees = self
            .provider
            .estimate_eip1559_fees()
            .await
            .map_err(transport)?;
        let (mut max_fee, mut priority_fee) = (fees.max_fee_per_gas, fees.max_priority_fee_per_gas);
        request = request
            .with_nonce(nonce)
            .with_gas_limit(gas + gas / 5)
            .with_chain_id(self.chain_id);
        for attempt in 1..=self.config.max_attempts {
            let attempt_request = request
                .clone()
                .with_max_fee_per_gas(max_fee)
                .with_max_priority_fee_per_gas(priority_fee);
            if let Some(receipt) = self.send_once(attempt_request).await? {
                return Ok(receipt);
            }
            tracing::warn!(
                attempt,
                nonce,
                "transaction not mined in time; resending with a higher fee"
            );
            let bump = |fee: u128| fee + (fee * self.config.fee_bump_percent).div_ceil(100).max(1);
            max_fee = bump(max_fee);
            priority_fee = bump(priority_fee);
        }
        Err(ChainError::Dropped {
            attempts: self.config.max_attempts,
        })
    }

    async fn call(&self, to: Address, input: Bytes) -> Result<Bytes, ChainError> {
        let request = TransactionRequest::default()
            .with_from(self.sender)
            .with_to(to)
            .with_input(input);
        self.provider
            .call(request)
            .block(alloy::eips::BlockId::latest())
            .await
            .map_err(transport)
    }

    async fn logs(
        &self,
        address: Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<ChainLog>, ChainError> {
        let filter = Filter::new().address(address).from_block(from).to_block(to);
        let logs = self.provider.get_logs(&filter).await.map_err(transport)?;
        Ok(logs
            .into_iter()
            .map(|l| ChainLog {
                block_number: l.block_number.unwrap_or_default(),
                tx_hash: l.transaction_hash.unwrap_or_default(),
                log: l.inner,
            })
            .collect())
    }

    async fn transaction_input(&self, tx_hash: B256) -> Result<Option<MinedInput>, ChainError> {
        let tx = self
            .provider
            .get_transaction_by_hash(tx_hash)
            .await
            .map_err(transport)?;
        Ok(tx.map(|tx| MinedInput {
            to: tx.to(),
            input: tx.input().clone(),
        }))
    }

    async fn block_number(&self) -> Result<u64, ChainError> {
        self.provider.get_block_number().await.map_err(transport)
    }

    async fn block_hash(&self, number: u64) -> Result<Option<B256>, ChainError> {
        let block = self
            .provider
            .get_block_by_number(number.into())
            .await
            .map_err(transport)?;
        Ok(block.map(|b| b.header.hash))
    }

    async fn balance(&self, address: Address) -> Result<U256, ChainError> {
        self.provider.get_balance(address).await.map_err(transport)
    }

    async fn increase_time(&self, seconds: u64) -> Result<(), ChainError> {
        let _: serde_json::Value = self
            .provider
            .raw_request("evm_increaseTime".into(), (seconds,))
            .await
            .map_err(|_| ChainError::Unsupported("evm_increaseTime"))?;
        let _: serde_json::Value = self
            .provider
            .raw_request("evm_mine".into(), ())
            .await
            .map_err(|_| ChainError::Unsupported("evm_mine"))?;
        Ok(())
    }
}
