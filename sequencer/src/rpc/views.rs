//! What the RPC returns: views over the stored records with the lifecycle status resolved.

use super::error::{internal, not_found};
use crate::node::NodeContext;
use crate::records::TxStatus;
use crate::store::tables::{Batches, Proofs, Proven, Txs};
use alloy::primitives::{Address, Bytes, B256};
use jsonrpsee::types::ErrorObjectOwned;
use serde::{Deserialize, Serialize};
use zksettle_core::amount::FEE_FORMAT;
use zksettle_core::field::fr_to_decimal;
use zksettle_core::{Account, AccountIndex, SignedTx, TokenId};
use zksettle_l1::Chain;

/// A transaction and where it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TxView {
    /// Its hash.
    pub hash: B256,
    /// The transaction.
    pub tx: SignedTx,
    /// Its status.
    pub status: TxStatus,
}

/// A batch and where it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchView {
    /// Number.
    pub number: u64,
    /// `sealed`, `proven` or `settled`.
    pub status: String,
    /// Root before (decimal).
    pub old_root: String,
    /// Root after (decimal).
    pub new_root: String,
    /// Public input (decimal).
    pub commitment: String,
    /// Hashes of the L2 transactions, in order.
    pub transactions: Vec<B256>,
    /// Priority serials consumed: `[first, end)`.
    pub priority_ops: (u64, u64),
    /// Pubdata.
    pub pubdata: Bytes,
    /// The L1 transaction that settled it.
    pub l1_tx: Option<String>,
    /// Unix seconds when sealed.
    pub sealed_at: u64,
}

/// The node's progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatusView {
    /// L1 chain id.
    pub chain_id: u64,
    /// Rollup contract.
    pub rollup: Address,
    /// Tree depth, chunks per batch, fee slots.
    pub shape: zksettle_core::BatchShape,
    /// Last sealed batch.
    pub sealed: u64,
    /// Every batch up to this one is proven.
    pub proven: u64,
    /// Last batch verified on L1.
    pub settled: u64,
    /// Root after the last sealed batch (decimal).
    pub root: String,
    /// Executable transactions in the pool.
    pub pending: usize,
    /// Future-nonce transactions in the pool.
    pub queued: usize,
    /// Next priority serial to include.
    pub priority_next: u64,
    /// Priority operations seen on L1 (confirmed).
    pub priority_seen: u64,
}

/// How the node is, for `GET /health` and `zks_health`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HealthView {
    /// `ok`, or `degraded` while the base chain cannot be reached or the node stopped reading
    /// it (`l1.halted`).
    pub status: HealthStatus,
    /// The base chain as the node's L1 tasks last found it.
    pub l1: crate::node::L1LinkView,
    /// Sealed batches L1 has not verified yet.
    pub unsettled: u64,
    /// WebSocket subscriptions open, and dropped for not keeping up.
    pub subscriptions: super::SubscriptionsView,
    /// Memory, open files and database size, sampled every few seconds.
    pub resources: crate::node::ResourcesView,
}

/// The node's condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    /// Serving and settling.
    Ok,
    /// Serving (admitting, sealing, proving) but the base chain cannot be reached: settlement
    /// and new priority operations wait for it.
    Degraded,
}

/// A fee suggestion.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FeeEstimate {
    /// A fee (decimal string, token units) above the lowest that would make the next batch.
    pub fee: String,
    /// Whether fees can be paid in the token at all.
    pub accepted: bool,
}

/// An account with the nonce its next transaction should carry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountView {
    /// Index.
    pub index: u32,
    /// The leaf.
    pub account: Account,
    /// Nonce for the next transaction, counting the sender's pending ones.
    pub next_nonce: u32,
}

/// A batch subscription notification.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BatchNote {
    /// `sealed`, `proven` or `settled`.
    pub event: String,
    /// The batch.
    pub batch: u64,
    /// The L1 transaction, when settled.
    pub l1_tx: Option<String>,
}

impl BatchNote {
    pub(super) fn new(event: &'static str, batch: u64, l1_tx: Option<String>) -> Self {
        BatchNote {
            event: event.into(),
            batch,
            l1_tx,
        }
    }
}

/// Whether a status will not change again.
pub(super) fn is_final(status: &TxStatus) -> bool {
    matches!(status, TxStatus::Settled { .. } | TxStatus::Rejected { .. })
}

fn batch_status<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    number: u64,
) -> Result<&'static str, ErrorObjectOwned> {
    if super::settled(ctx) >= number {
        Ok("settled")
    } else if ctx.db().get::<Proofs>(&number).map_err(internal)?.is_some() {
        Ok("proven")
    } else {
        Ok("sealed")
    }
}

pub(super) fn transaction<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    hash: &[u8; 32],
) -> Result<TxView, ErrorObjectOwned> {
    let record = ctx
        .db()
        .get::<Txs>(hash)
        .map_err(internal)?
        .ok_or_else(|| not_found("transaction"))?;
    let status = match (record.rejected, record.batch) {
        (Some(reason), _) => TxStatus::Rejected { reason },
        (None, None) => TxStatus::Pending,
        (None, Some(batch)) => match batch_status(ctx, batch)? {
            "settled" => TxStatus::Settled {
                batch,
                l1_tx: ctx
                    .db()
                    .get::<Batches>(&batch)
                    .map_err(internal)?
                    .and_then(|b| b.l1_tx)
                    .unwrap_or_default(),
            },
            "proven" => TxStatus::Proven { batch },
            _ => TxStatus::Included { batch },
        },
    };
    Ok(TxView {
        hash: B256::from(*hash),
        tx: record.tx,
        status,
    })
}

pub(super) fn account<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    index: AccountIndex,
) -> Result<AccountView, ErrorObjectOwned> {
    let state = ctx.state();
    let account = match state.tree().account(index) {
        Ok(Some(a)) => a,
        Ok(None) | Err(zksettle_core::tree::TreeError::IndexOutOfRange { .. }) => {
            return Err(not_found(format!("account {}", index.0)))
        }
        Err(e) => return Err(internal(e)),
    };
    let next_nonce = state.next_nonce(index).map_err(internal)?;
    Ok(AccountView {
        index: index.0,
        account,
        next_nonce,
    })
}

pub(super) fn batch<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    number: u64,
) -> Result<BatchView, ErrorObjectOwned> {
    let record = ctx
        .db()
        .get::<Batches>(&number)
        .map_err(internal)?
        .ok_or_else(|| not_found(format!("batch {number}")))?;
    Ok(BatchView {
        number,
        status: batch_status(ctx, number)?.into(),
        old_root: fr_to_decimal(&record.witness.old_root),
        new_root: fr_to_decimal(&record.witness.new_root),
        commitment: fr_to_decimal(&record.witness.commitment),
        transactions: record.tx_hashes.iter().copied().map(B256::from).collect(),
        priority_ops: record.priority,
        pubdata: Bytes::copy_from_slice(&record.witness.pubdata),
        l1_tx: record.l1_tx,
        sealed_at: record.sealed_at,
    })
}

pub(super) fn status<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
) -> Result<StatusView, ErrorObjectOwned> {
    let genesis = ctx.genesis().clone();
    let proven = ctx.db().counter::<Proven>().map_err(internal)?;
    let priority_seen = ctx.db().priority_end().map_err(internal)?;
    let state = ctx.state();
    Ok(StatusView {
        chain_id: genesis.domain.chain_id,
        rollup: Address::from(genesis.domain.rollup.0),
        shape: genesis.shape,
        sealed: state.last_batch(),
        proven,
        settled: super::settled(ctx),
        root: fr_to_decimal(&state.tree().root().map_err(internal)?),
        pending: state.pool().pending_len(),
        queued: state.pool().queued_len(),
        priority_next: state.next_priority(),
        priority_seen,
    })
}

pub(super) fn health<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    subscriptions: super::SubscriptionsView,
) -> Result<HealthView, ErrorObjectOwned> {
    let l1 = ctx.l1_link();
    let sealed = ctx.state().last_batch();
    Ok(HealthView {
        status: if l1.reachable && l1.halted.is_none() {
            HealthStatus::Ok
        } else {
            HealthStatus::Degraded
        },
        l1,
        unsettled: sealed.saturating_sub(super::settled(ctx)),
        subscriptions,
        resources: ctx.resources(),
    })
}

pub(super) fn fee_estimate<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    token: TokenId,
) -> Result<FeeEstimate, ErrorObjectOwned> {
    let state = ctx.state();
    let accepted = state.fee_tokens().contains(&token);
    let capacity = state.config().genesis.shape.chunks;
    // With a full batch waiting, beat the cheapest transaction that would still make it.
    let best = state.pool().best(capacity);
    let fee = if accepted && best.len() >= capacity {
        let beat = best
            .iter()
            .map(|t| t.tx.tx.fee())
            .min()
            .unwrap_or(0)
            .saturating_add(1);
        // A fee must be packable to be signed at all: the next representable one, or the
        // largest if nothing above `beat` is.
        FEE_FORMAT
            .round_up(beat)
            .unwrap_or_else(|| FEE_FORMAT.unpack(u32::MAX >> (32 - FEE_FORMAT.bits())))
    } else {
        0
    };
    Ok(FeeEstimate {
        fee: fee.to_string(),
        accepted,
    })
}
