//! The node's JSON-RPC 2.0 API (namespace `zks_`), over HTTP and WebSocket on one port, with
//! `GET /health` answered from `zks_health`.
//!
//! | method | params | result |
//! |---|---|---|
//! | `zks_sendTransaction` | signed transaction (JSON, or hex of its binary encoding) | tx hash |
//! | `zks_sendTransactions` | array of up to 1,024 signed transactions, as above | per transaction, in order: `{"hash"}` or `{"error": {code, message}}` |
//! | `zks_getTransaction` | tx hash | transaction and lifecycle status |
//! | `zks_getAccount` | index | account, next nonce (pool included) |
//! | `zks_getAccountsByKey` | packed public key (hex), token | indices |
//! | `zks_getBatch` | number | roots, commitment, transactions, status, L1 tx |
//! | `zks_status` | — | sealed / proven / settled batch, root, pool and queue depth |
//! | `zks_estimateFee` | token | a fee that makes the next batch, and the fee tokens |
//! | `zks_health` | — | `ok` or `degraded` (L1 unreachable: admission, sealing and proving go on), the L1 link, batches awaiting L1 |
//! | `zks_subscribeBatches` | — | notifications: sealed, proven, settled |
//! | `zks_subscribeTransaction` | tx hash | notifications: its status until final |
//!
//! Error codes are in [`error`].

pub mod error;
mod subscriptions;
pub mod views;

pub use error::{error_reason, submit_error};
pub use subscriptions::SubscriptionsView;
pub use views::{
    AccountView, BatchNote, BatchView, FeeEstimate, HealthStatus, HealthView, StatusView, TxView,
};

use crate::node::NodeContext;
use crate::store::tables::Settled;
use alloy::primitives::{Bytes, B256};
use jsonrpsee::core::{async_trait, RpcResult, SubscriptionResult};
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::server::{PendingSubscriptionSink, Server, ServerConfig, ServerHandle};
use jsonrpsee::types::ErrorObjectOwned;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use zksettle_core::{AccountIndex, PublicKey, SignedTx, TokenId};
use zksettle_l1::Chain;

/// The node's API, defined once: the server implements [`ZksApiServer`], and every client (the
/// wallet, the load bench, the tests) calls the generated [`ZksApiClient`] on any jsonrpsee
/// client (HTTP or WebSocket) instead of naming methods by string.
#[rpc(server, client, namespace = "zks")]
pub trait ZksApi {
    /// Admits one signed transaction; its hash.
    #[method(name = "sendTransaction")]
    async fn send_transaction(&self, tx: TxParam) -> RpcResult<B256>;

    /// Admits up to [`MAX_BULK_TRANSACTIONS`] transactions; each answered in place.
    #[method(name = "sendTransactions")]
    async fn send_transactions(&self, txs: Vec<TxParam>) -> RpcResult<Vec<BulkAnswer>>;

    /// A transaction and its lifecycle status.
    #[method(name = "getTransaction", blocking)]
    fn get_transaction(&self, hash: B256) -> RpcResult<TxView>;

    /// An account and the nonce its next transaction should carry.
    #[method(name = "getAccount", blocking)]
    fn get_account(&self, index: u32) -> RpcResult<AccountView>;

    /// The indices of a (packed public key, token)'s accounts.
    #[method(name = "getAccountsByKey", blocking)]
    fn get_accounts_by_key(&self, key: B256, token: u32) -> RpcResult<Vec<u32>>;

    /// A batch and its status.
    #[method(name = "getBatch", blocking)]
    fn get_batch(&self, number: u64) -> RpcResult<BatchView>;

    /// The node's progress.
    #[method(name = "status", blocking)]
    fn status(&self) -> RpcResult<StatusView>;

    /// A fee that makes the next batch, in a token.
    #[method(name = "estimateFee", blocking)]
    fn estimate_fee(&self, token: u32) -> RpcResult<FeeEstimate>;

    /// How the node is (also `GET /health`): serving, and whether it reaches L1.
    #[method(name = "health", blocking)]
    fn health(&self) -> RpcResult<HealthView>;
}

/// The node's subscriptions (WebSocket only), a trait of their own so that the HTTP client
/// implements [`ZksApiClient`] (as reth splits `eth_subscribe` from the `eth` API).
#[rpc(server, client, namespace = "zks")]
pub trait ZksPubSubApi {
    /// Batch notes: sealed, proven, settled, discarded, unsettled.
    #[subscription(name = "subscribeBatches" => "batch", unsubscribe = "unsubscribeBatches", item = BatchNote)]
    async fn subscribe_batches(&self) -> SubscriptionResult;

    /// A transaction's view at each status change until final (`null` while unknown).
    #[subscription(name = "subscribeTransaction" => "transaction", unsubscribe = "unsubscribeTransaction", item = Option<TxView>)]
    async fn subscribe_transaction(&self, hash: B256) -> SubscriptionResult;
}

/// A transaction as a client sends it.
#[derive(Debug, Clone)]
pub enum TxParam {
    /// Either form already serialized, sent as is (a load generator's pre-built requests); the
    /// server never produces it.
    Serialized(Box<serde_json::value::RawValue>),
    /// Hex of [`SignedTx::encode`], `0x` optional; decoded per entry, so one bad entry of a bulk
    /// call is answered in place.
    Encoded(String),
    /// The JSON form.
    Json(Box<SignedTx>),
}

impl From<SignedTx> for TxParam {
    fn from(tx: SignedTx) -> Self {
        TxParam::Json(Box::new(tx))
    }
}

impl Serialize for TxParam {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            TxParam::Serialized(raw) => raw.serialize(serializer),
            TxParam::Encoded(hex) => serializer.serialize_str(hex),
            TxParam::Json(tx) => tx.serialize(serializer),
        }
    }
}

/// A string is the hex form, an object the JSON form. Chosen by the first token, where
/// `#[serde(untagged)]` would buffer every transaction and parse it twice.
impl<'de> Deserialize<'de> for TxParam {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TxParamVisitor;

        impl<'de> serde::de::Visitor<'de> for TxParamVisitor {
            type Value = TxParam;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a signed transaction: hex of its encoding, or its JSON object")
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<TxParam, E> {
                Ok(TxParam::Encoded(v.to_owned()))
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<TxParam, A::Error> {
                let deserializer = serde::de::value::MapAccessDeserializer::new(map);
                Ok(TxParam::Json(Box::new(SignedTx::deserialize(
                    deserializer,
                )?)))
            }
        }

        deserializer.deserialize_any(TxParamVisitor)
    }
}

impl TxParam {
    /// The transaction, or the `invalid params` error its form earns (what the server answers).
    pub fn into_signed(self) -> Result<SignedTx, ErrorObjectOwned> {
        match self {
            TxParam::Serialized(raw) => serde_json::from_str::<TxParam>(raw.get())
                .map_err(|e| invalid_params(format!("transaction: {e}")))?
                .into_signed(),
            TxParam::Json(tx) => Ok(*tx),
            TxParam::Encoded(s) => {
                let bytes = Bytes::from_str(&s).map_err(|e| invalid_params(format!("hex: {e}")))?;
                SignedTx::decode(&bytes)
                    .map_err(|e| invalid_params(format!("transaction encoding: {e}")))
            }
        }
    }
}

/// Most transactions one `zks_sendTransactions` call takes.
pub const MAX_BULK_TRANSACTIONS: usize = 1024;

/// One transaction's answer in `zks_sendTransactions`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BulkAnswer {
    /// Accepted: its hash.
    Hash(B256),
    /// Refused, with the error `zks_sendTransaction` would give.
    Error(ErrorObjectOwned),
}

fn invalid_params(message: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(
        jsonrpsee::types::error::INVALID_PARAMS_CODE,
        message.to_string(),
        None::<()>,
    )
}

/// The API over a node.
#[derive(Debug)]
pub struct ZksRpc<C: Chain + Clone + 'static> {
    ctx: Arc<NodeContext<C>>,
    subscriptions: Arc<subscriptions::SubscriptionStats>,
}

impl<C: Chain + Clone + 'static> ZksRpc<C> {
    /// The API of this node.
    pub fn new(ctx: Arc<NodeContext<C>>) -> Self {
        ZksRpc {
            ctx,
            subscriptions: Arc::default(),
        }
    }
}

#[async_trait]
impl<C: Chain + Clone + 'static> ZksApiServer for ZksRpc<C> {
    async fn send_transaction(&self, tx: TxParam) -> RpcResult<B256> {
        let hash = self
            .ctx
            .submit(tx.into_signed()?)
            .await
            .map_err(|e| submit_error(&e))?;
        Ok(B256::from(hash))
    }

    async fn send_transactions(&self, txs: Vec<TxParam>) -> RpcResult<Vec<BulkAnswer>> {
        if txs.len() > MAX_BULK_TRANSACTIONS {
            return Err(invalid_params(format!(
                "{} transactions in one call, at most {MAX_BULK_TRANSACTIONS}",
                txs.len()
            )));
        }
        // Entries that do not decode are answered in place; the rest go to admission together.
        let decoded: Vec<Result<SignedTx, ErrorObjectOwned>> =
            txs.into_iter().map(TxParam::into_signed).collect();
        let valid: Vec<SignedTx> = decoded
            .iter()
            .filter_map(|d| d.as_ref().ok().copied())
            .collect();
        let mut admitted = self.ctx.submit_many(valid).await.into_iter();
        let mut answers = Vec::with_capacity(decoded.len());
        for entry in decoded {
            answers.push(match entry {
                Err(e) => BulkAnswer::Error(e),
                // `submit_many` answers every transaction it is given, in order.
                Ok(_) => match admitted.next() {
                    Some(Ok(hash)) => BulkAnswer::Hash(B256::from(hash)),
                    Some(Err(e)) => BulkAnswer::Error(submit_error(&e)),
                    None => {
                        return Err(error::internal_invariant(
                            "admission answered fewer transactions",
                        ))
                    }
                },
            });
        }
        Ok(answers)
    }

    fn get_transaction(&self, hash: B256) -> RpcResult<TxView> {
        views::transaction(&self.ctx, &hash.0)
    }

    fn get_account(&self, index: u32) -> RpcResult<AccountView> {
        views::account(&self.ctx, AccountIndex(index))
    }

    fn get_accounts_by_key(&self, key: B256, token: u32) -> RpcResult<Vec<u32>> {
        let key = PublicKey::unpack(&key.0).map_err(|e| invalid_params(format!("key: {e}")))?;
        let state = self.ctx.state();
        let found = state
            .tree()
            .accounts_by_key(&key, TokenId(token))
            .map_err(error::internal)?;
        Ok(found.into_iter().map(|i| i.0).collect())
    }

    fn get_batch(&self, number: u64) -> RpcResult<BatchView> {
        views::batch(&self.ctx, number)
    }

    fn status(&self) -> RpcResult<StatusView> {
        views::status(&self.ctx)
    }

    fn estimate_fee(&self, token: u32) -> RpcResult<FeeEstimate> {
        views::fee_estimate(&self.ctx, TokenId(token))
    }

    fn health(&self) -> RpcResult<HealthView> {
        views::health(&self.ctx, self.subscriptions.view())
    }
}

#[async_trait]
impl<C: Chain + Clone + 'static> ZksPubSubApiServer for ZksRpc<C> {
    async fn subscribe_batches(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        subscriptions::batch_notes(pending, self.ctx.clone(), self.subscriptions.clone()).await
    }

    async fn subscribe_transaction(
        &self,
        pending: PendingSubscriptionSink,
        hash: B256,
    ) -> SubscriptionResult {
        let stats = self.subscriptions.clone();
        subscriptions::transaction_notes(pending, self.ctx.clone(), stats, hash.0).await
    }
}

/// Starts the server; returns its handle and bound address.
pub async fn serve<C: Chain + Clone + 'static>(
    ctx: Arc<NodeContext<C>>,
) -> Result<(ServerHandle, SocketAddr), std::io::Error> {
    let rpc = ctx.config().rpc.clone();
    let config = ServerConfig::builder()
        .max_request_body_size(rpc.max_request_bytes)
        .max_response_body_size(16 * 1024 * 1024)
        .max_connections(rpc.max_connections)
        .max_subscriptions_per_connection(rpc.max_subscriptions_per_connection)
        .set_message_buffer_capacity(rpc.message_buffer.get())
        .build();
    let health =
        jsonrpsee::server::middleware::http::ProxyGetRequestLayer::new([("/health", "zks_health")])
            .map_err(std::io::Error::other)?;
    let server = Server::builder()
        .set_config(config)
        .set_http_middleware(tower::ServiceBuilder::new().layer(health))
        .build(rpc.addr)
        .await?;
    let addr = server.local_addr()?;
    // One API value serves both traits, so `/health` counts the subscriptions.
    let api = ZksRpc::new(ctx);
    let pubsub = ZksRpc {
        ctx: api.ctx.clone(),
        subscriptions: api.subscriptions.clone(),
    };
    let mut methods = ZksApiServer::into_rpc(api);
    methods
        .merge(ZksPubSubApiServer::into_rpc(pubsub))
        .map_err(std::io::Error::other)?;
    Ok((server.start(methods), addr))
}

/// The highest batch the contract verified.
pub(crate) fn settled<C: Chain + Clone + 'static>(ctx: &NodeContext<C>) -> u64 {
    ctx.db().counter::<Settled>().unwrap_or(0)
}
