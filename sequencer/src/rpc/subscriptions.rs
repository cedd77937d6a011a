//! The WebSocket subscriptions: batch notes, and one transaction's statuses.
//!
//! A subscription forwards the node's event broadcast (a ring of
//! [`EVENT_CAPACITY`](crate::node::EVENT_CAPACITY) events that never makes the node wait) to its
//! connection's queue (`[rpc] message_buffer` messages) with `try_send`, so a client that stops
//! reading costs the node nothing. A subscriber whose queue is full, or whose batch notes fell
//! more than a ring behind, is dropped: its subscription closes with the reason and is counted
//! in `/health` (`subscriptions.dropped_slow`) and `zksettle_rpc_subscribers_dropped_total`.
//! It is never left with a silent gap in what it was told.
//!
//! A transaction's statuses are read from the database at each event; when one read finds the
//! transaction further on than the last (its batch proven and settled between two reads), the
//! steps in between are sent first ([`steps`]), so a subscriber sees every status in order.

use super::views::{self, BatchNote, TxView};
use crate::node::{NodeContext, NodeEvent};
use crate::records::TxStatus;
use jsonrpsee::core::server::TrySendError;
use jsonrpsee::core::SubscriptionResult;
use jsonrpsee::server::{PendingSubscriptionSink, SubscriptionMessage, SubscriptionSink};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use zksettle_l1::Chain;

/// How often a transaction subscription re-reads its transaction without an event (an
/// eviction from the pool sends none).
const REREAD: Duration = Duration::from_secs(2);

/// Subscriptions open and dropped, for `/health`.
#[derive(Debug, Default)]
pub(crate) struct SubscriptionStats {
    open: AtomicU64,
    dropped_slow: AtomicU64,
}

/// What `/health` shows of the subscriptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscriptionsView {
    /// Subscriptions open now.
    pub open: u64,
    /// Subscriptions closed because their subscriber did not keep up.
    pub dropped_slow: u64,
}

impl SubscriptionStats {
    pub(crate) fn view(&self) -> SubscriptionsView {
        SubscriptionsView {
            open: self.open.load(Ordering::Relaxed),
            dropped_slow: self.dropped_slow.load(Ordering::Relaxed),
        }
    }

    fn opened(self: &Arc<Self>) -> OpenSubscription {
        self.open.fetch_add(1, Ordering::Relaxed);
        metrics::gauge!("zksettle_rpc_subscriptions").increment(1.0);
        OpenSubscription(self.clone())
    }

    fn dropped(&self, why: &'static str) {
        self.dropped_slow.fetch_add(1, Ordering::Relaxed);
        metrics::counter!("zksettle_rpc_subscribers_dropped_total", "reason" => why).increment(1);
    }
}

/// Counts a subscription as open until dropped.
struct OpenSubscription(Arc<SubscriptionStats>);

impl Drop for OpenSubscription {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
        metrics::gauge!("zksettle_rpc_subscriptions").decrement(1.0);
    }
}

/// Whether the subscriber is still there after a note.
enum Delivery {
    Queued,
    Gone,
}

/// Queues `note` for the subscriber without waiting; a full queue drops the subscriber.
fn deliver(
    sink: &mut SubscriptionSink,
    stats: &SubscriptionStats,
    note: &impl Serialize,
) -> Result<Delivery, jsonrpsee::core::SubscriptionError> {
    let msg: SubscriptionMessage = serde_json::value::to_raw_value(note)?.into();
    match sink.try_send(msg) {
        Ok(()) => Ok(Delivery::Queued),
        Err(TrySendError::Closed(_)) => Ok(Delivery::Gone),
        Err(TrySendError::Full(_)) => {
            stats.dropped("queue_full");
            Err(
                "subscriber too slow: its connection's message queue is full; subscription \
                 dropped (subscribe again and read the current state)"
                    .into(),
            )
        }
    }
}

pub(super) async fn batch_notes<C: Chain + Clone + 'static>(
    pending: PendingSubscriptionSink,
    ctx: Arc<NodeContext<C>>,
    stats: Arc<SubscriptionStats>,
) -> SubscriptionResult {
    let mut events = ctx.subscribe();
    let mut sink = pending.accept().await?;
    let _open = stats.opened();
    loop {
        let event = tokio::select! {
            _ = sink.closed() => return Ok(()),
            event = events.recv() => event,
        };
        let note = match event {
            Ok(NodeEvent::Sealed(n)) => BatchNote::new("sealed", n, None),
            Ok(NodeEvent::Proven(n)) => BatchNote::new("proven", n, None),
            Ok(NodeEvent::Settled(n, tx)) => BatchNote::new("settled", n, Some(tx)),
            Ok(NodeEvent::Discarded(n)) => BatchNote::new("discarded", n, None),
            Ok(NodeEvent::Unsettled(n)) => BatchNote::new("unsettled", n, None),
            Ok(NodeEvent::Dropped(..)) => continue,
            Err(RecvError::Lagged(missed)) => {
                stats.dropped("lagged");
                return Err(format!(
                    "subscriber fell {missed} events behind the node; subscription dropped \
                     (subscribe again and read the current state)"
                )
                .into());
            }
            Err(RecvError::Closed) => return Ok(()),
        };
        if let Delivery::Gone = deliver(&mut sink, &stats, &note)? {
            return Ok(());
        }
    }
}

pub(super) async fn transaction_notes<C: Chain + Clone + 'static>(
    pending: PendingSubscriptionSink,
    ctx: Arc<NodeContext<C>>,
    stats: Arc<SubscriptionStats>,
    hash: [u8; 32],
) -> SubscriptionResult {
    let mut events = ctx.subscribe();
    let mut sink = pending.accept().await?;
    let _open = stats.opened();
    // `None` until the first note; then the view last sent (`None` while unknown).
    let mut sent: Option<Option<TxView>> = None;
    loop {
        let reader = ctx.clone();
        let view = tokio::task::spawn_blocking(move || views::transaction(&reader, &hash).ok())
            .await
            .unwrap_or(None);
        let notes: Vec<Option<TxView>> = match (&sent, &view) {
            (None, _) => vec![view.clone()],
            (Some(last), Some(now)) => {
                let last = last.as_ref().map(|v| &v.status);
                if last == Some(&now.status) {
                    Vec::new()
                } else {
                    steps(last, &now.status)
                        .into_iter()
                        .map(|status| {
                            Some(TxView {
                                status,
                                ..now.clone()
                            })
                        })
                        .collect()
                }
            }
            // Unknown still, or (never) gone from the database.
            (Some(_), None) => Vec::new(),
        };
        for note in &notes {
            if let Delivery::Gone = deliver(&mut sink, &stats, note)? {
                return Ok(());
            }
        }
        if let Some(last) = notes.into_iter().last() {
            sent = Some(last);
        }
        if let Some(Some(last)) = &sent {
            if views::is_final(&last.status) {
                return Ok(());
            }
        }
        tokio::select! {
            _ = sink.closed() => return Ok(()),
            // A lag loses nothing here: the next read finds the status, [`steps`] the way.
            _ = events.recv() => {}
            _ = tokio::time::sleep(REREAD) => {}
        }
    }
}

/// Where a status is in the lifecycle `pending → included → proven → settled`, and its batch.
fn stage(status: &TxStatus) -> Option<(u8, Option<u64>)> {
    match status {
        TxStatus::Pending => Some((0, None)),
        TxStatus::Included { batch } => Some((1, Some(*batch))),
        TxStatus::Proven { batch } => Some((2, Some(*batch))),
        TxStatus::Settled { batch, .. } => Some((3, Some(*batch))),
        TxStatus::Rejected { .. } => None,
    }
}

/// The statuses a transaction went through from `last` (`None`: unknown to the node) to `now`,
/// `now` included. Moving forward in one batch, the skipped stages of that batch are filled in;
/// reaching a batch from before it (unknown, pending, or a batch discarded since) starts from
/// `pending`. Backward moves (a discarded batch returns its transactions to the pool; a
/// reorganization unsettles a batch) and rejections are reported as they are.
pub(crate) fn steps(last: Option<&TxStatus>, now: &TxStatus) -> Vec<TxStatus> {
    let Some((to, Some(batch))) = stage(now) else {
        return vec![now.clone()];
    };
    let from = match last.and_then(stage) {
        Some((stage, Some(b))) if b == batch => {
            if stage >= to {
                return vec![now.clone()];
            }
            stage + 1
        }
        Some((0, None)) => 1,
        // Unknown, rejected (never revived), or in a batch that was replaced.
        _ if last.is_some_and(|s| matches!(s, TxStatus::Rejected { .. })) => {
            return vec![now.clone()]
        }
        _ => 0,
    };
    (from..to)
        .map(|stage| match stage {
            0 => TxStatus::Pending,
            1 => TxStatus::Included { batch },
            _ => TxStatus::Proven { batch },
        })
        .chain(std::iter::once(now.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settled(batch: u64) -> TxStatus {
        TxStatus::Settled {
            batch,
            l1_tx: "0xab".into(),
        }
    }

    #[test]
    fn a_status_read_late_is_reported_with_every_step_before_it() {
        use TxStatus::*;
        assert_eq!(
            steps(Some(&Pending), &settled(4)),
            [Included { batch: 4 }, Proven { batch: 4 }, settled(4)]
        );
        assert_eq!(
            steps(Some(&Included { batch: 4 }), &settled(4)),
            [Proven { batch: 4 }, settled(4)]
        );
        assert_eq!(
            steps(None, &Proven { batch: 2 }),
            [Pending, Included { batch: 2 }, Proven { batch: 2 }]
        );
        assert_eq!(
            steps(Some(&Included { batch: 4 }), &Proven { batch: 4 }),
            [Proven { batch: 4 }]
        );
    }

    #[test]
    fn a_transaction_moved_to_another_batch_restarts_from_pending() {
        use TxStatus::*;
        assert_eq!(
            steps(Some(&Proven { batch: 3 }), &Included { batch: 5 }),
            [Pending, Included { batch: 5 }]
        );
    }

    #[test]
    fn backward_moves_and_rejections_are_reported_as_they_are() {
        use TxStatus::*;
        let rejected = Rejected {
            reason: crate::mempool::DropReason::Expired,
        };
        assert_eq!(steps(Some(&Proven { batch: 3 }), &Pending), [Pending]);
        assert_eq!(
            steps(Some(&settled(3)), &Proven { batch: 3 }),
            [Proven { batch: 3 }]
        );
        assert_eq!(steps(Some(&Pending), &rejected), vec![rejected.clone()]);
        assert_eq!(steps(None, &rejected), vec![rejected]);
    }
}
