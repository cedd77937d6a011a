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
//! | `zks_health` | — | `"ok"` |
//! | `zks_subscribeBatches` | — | notifications: sealed, proven, settled |
//! | `zks_subscribeTransaction` | tx hash | notifications: its status until final |
//!
//! Error codes are in [`error`].

pub mod error;
pub mod views;

pub use error::{error_reason, submit_error};
pub use views::{AccountView, BatchNote, BatchView, FeeEstimate, StatusView, TxView};

use crate::node::{NodeContext, NodeEvent};
use crate::store::META_SETTLED;
use jsonrpsee::core::error::SubscriptionError;
use jsonrpsee::server::{
    PendingSubscriptionSink, RpcModule, Server, ServerConfig, ServerHandle, SubscriptionMessage,
};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use serde::Deserialize;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use zksettle_core::{AccountIndex, PublicKey, SignedTx, TokenId};
use zksettle_l1::Chain;

/// A transaction as a client sends it.
#[derive(Debug)]
enum TxParam {
    /// Hex of [`SignedTx::encode`], `0x` optional.
    Encoded(String),
    /// The JSON form.
    Json(Box<SignedTx>),
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
    fn into_signed(self) -> Result<SignedTx, ErrorObjectOwned> {
        match self {
            TxParam::Json(tx) => Ok(*tx),
            TxParam::Encoded(s) => SignedTx::decode(&decode_hex(&s)?)
                .map_err(|e| invalid_params(format!("transaction encoding: {e}"))),
        }
    }
}

/// Most transactions one `zks_sendTransactions` call takes.
pub const MAX_BULK_TRANSACTIONS: usize = 1024;

/// One transaction's answer in `zks_sendTransactions`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BulkAnswer {
    /// Accepted: its hash.
    Hash(String),
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

fn decode_hex(s: &str) -> Result<Vec<u8>, ErrorObjectOwned> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s)).map_err(|e| invalid_params(format!("hex: {e}")))
}

fn parse_hash(params: &Params<'_>) -> Result<[u8; 32], ErrorObjectOwned> {
    let s: String = params.one()?;
    decode_hex(&s)?
        .try_into()
        .map_err(|_| invalid_params("a transaction hash is 32 bytes"))
}

/// `0x`-prefixed hex.
pub fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Builds the method table over a node.
pub fn module<C: Chain + Clone + 'static>(
    ctx: Arc<NodeContext<C>>,
) -> Result<RpcModule<NodeContext<C>>, jsonrpsee::core::RegisterMethodError> {
    let mut module = RpcModule::from_arc(ctx);
    module.register_async_method("zks_sendTransaction", |params, ctx, _| async move {
        let tx = params.one::<TxParam>()?.into_signed()?;
        let hash = ctx.submit(tx).await.map_err(|e| submit_error(&e))?;
        Ok::<_, ErrorObjectOwned>(hex0x(&hash))
    })?;
    module.register_async_method("zks_sendTransactions", |params, ctx, _| async move {
        let txs: Vec<TxParam> = params.one()?;
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
        let mut admitted = ctx.submit_many(valid).await.into_iter();
        let answers: Vec<BulkAnswer> = decoded
            .into_iter()
            .map(|d| match d {
                Err(e) => BulkAnswer::Error(e),
                Ok(_) => match admitted
                    .next()
                    .expect("one answer per submitted transaction")
                {
                    Ok(hash) => BulkAnswer::Hash(hex0x(&hash)),
                    Err(e) => BulkAnswer::Error(submit_error(&e)),
                },
            })
            .collect();
        Ok::<_, ErrorObjectOwned>(answers)
    })?;
    module.register_blocking_method("zks_getTransaction", |params, ctx, _| {
        let hash = parse_hash(&params)?;
        views::transaction(&ctx, &hash)
    })?;
    module.register_blocking_method("zks_getAccount", |params, ctx, _| {
        let index: u32 = params.one()?;
        views::account(&ctx, AccountIndex(index))
    })?;
    module.register_blocking_method("zks_getAccountsByKey", |params, ctx, _| {
        let (key, token): (String, u32) = params.parse()?;
        let packed: [u8; 32] = decode_hex(&key)?
            .try_into()
            .map_err(|_| invalid_params("a packed public key is 32 bytes"))?;
        let key = PublicKey::unpack(&packed).map_err(|e| invalid_params(format!("key: {e}")))?;
        let state = ctx.state();
        let found = state
            .tree()
            .accounts_by_key(&key, TokenId(token))
            .map_err(error::internal)?;
        Ok::<_, ErrorObjectOwned>(found.into_iter().map(|i| i.0).collect::<Vec<_>>())
    })?;
    module.register_blocking_method("zks_getBatch", |params, ctx, _| {
        let number: u64 = params.one()?;
        views::batch(&ctx, number)
    })?;
    module.register_blocking_method("zks_status", |_, ctx, _| views::status(&ctx))?;
    module.register_blocking_method("zks_estimateFee", |params, ctx, _| {
        let token: u32 = params.one()?;
        views::fee_estimate(&ctx, TokenId(token))
    })?;
    module.register_method("zks_health", |_, _, _| "ok")?;
    module.register_subscription(
        "zks_subscribeBatches",
        "zks_batch",
        "zks_unsubscribeBatches",
        |_, pending, ctx, _| batch_notes(pending, ctx),
    )?;
    module.register_subscription(
        "zks_subscribeTransaction",
        "zks_transaction",
        "zks_unsubscribeTransaction",
        |params, pending, ctx, _| async move {
            match parse_hash(&params) {
                Ok(hash) => transaction_notes(pending, ctx, hash).await,
                Err(e) => {
                    pending.reject(e).await;
                    Ok(())
                }
            }
        },
    )?;
    Ok(module)
}

type SubscriptionResult = Result<(), SubscriptionError>;

async fn batch_notes<C: Chain + Clone + 'static>(
    pending: PendingSubscriptionSink,
    ctx: Arc<NodeContext<C>>,
) -> SubscriptionResult {
    let mut events = ctx.subscribe();
    let sink = pending.accept().await?;
    loop {
        let event = tokio::select! {
            _ = sink.closed() => return Ok(()),
            event = events.recv() => event,
        };
        let note = match event {
            Ok(NodeEvent::Sealed(n)) => views::BatchNote::new("sealed", n, None),
            Ok(NodeEvent::Proven(n)) => views::BatchNote::new("proven", n, None),
            Ok(NodeEvent::Settled(n, tx)) => views::BatchNote::new("settled", n, Some(tx)),
            Ok(NodeEvent::Discarded(n)) => views::BatchNote::new("discarded", n, None),
            Ok(NodeEvent::Unsettled(n)) => views::BatchNote::new("unsettled", n, None),
            Ok(NodeEvent::Dropped(..)) | Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => return Ok(()),
        };
        let msg: SubscriptionMessage = serde_json::value::to_raw_value(&note)?.into();
        sink.send(msg).await?;
    }
}

async fn transaction_notes<C: Chain + Clone + 'static>(
    pending: PendingSubscriptionSink,
    ctx: Arc<NodeContext<C>>,
    hash: [u8; 32],
) -> SubscriptionResult {
    let mut events = ctx.subscribe();
    let sink = pending.accept().await?;
    let mut last = None;
    loop {
        let view = views::transaction(&ctx, &hash).ok();
        let status = view.as_ref().map(|v| v.status.clone());
        if status != last {
            let msg: SubscriptionMessage = serde_json::value::to_raw_value(&view)?.into();
            sink.send(msg).await?;
            last = status;
        }
        if last.as_ref().is_some_and(views::is_final) {
            return Ok(());
        }
        tokio::select! {
            _ = sink.closed() => return Ok(()),
            _ = events.recv() => {}
            _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
        }
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
    let methods = module(ctx).map_err(std::io::Error::other)?;
    Ok((server.start(methods), addr))
}

/// The highest batch the contract verified.
pub(crate) fn settled<C: Chain + Clone + 'static>(ctx: &NodeContext<C>) -> u64 {
    ctx.db().meta_u64(META_SETTLED).unwrap_or(0)
}
