//! The node's L1 tasks: the sender (settles proven batches in order, following the contract:
//! claims its own, adopts anyone else's, resends what a reorganization removed) and the watcher
//! (stores priority operations of confirmed blocks, checking the last block read by hash). Both
//! back off while L1 cannot be reached and report it through [`super::l1_link`].

use super::l1_link::Backoff;
use super::pipeline::{record_pool_gauges, PipelineError};
use super::{NodeContext, NodeEvent};
use crate::error_chain::ErrorChain;
use crate::state::ForeignBatch;
use crate::store::tables::{Batches, L1NextBlock, L1ScannedHash, PriorityOps, Proofs, Settled};
use std::sync::Arc;
use std::time::Duration;
use zksettle_l1::convert::u256_of_fr;
use zksettle_l1::{Chain, VerifiedBatch};

/// Most blocks one log query spans (providers limit ranges).
const LOG_RANGE: u64 = 10_000;

pub(super) async fn l1_sender<C: Chain + Clone + 'static>(ctx: Arc<NodeContext<C>>) {
    let mut backoff = Backoff::default();
    loop {
        match send_next(&ctx).await {
            Ok(progressed) => {
                // Every step starts by reading the contract: L1 answered.
                ctx.l1.answered(None);
                backoff.succeeded();
                if !progressed {
                    tokio::select! {
                        _ = ctx.proven.notified() => {}
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
            Err(e) => {
                let wait = backoff.failed();
                if e.l1_unreachable() {
                    ctx.l1.unreachable(ErrorChain(&e).to_string());
                }
                tracing::error!(
                    error = %ErrorChain(&e),
                    retry_in_seconds = wait.as_secs(),
                    "settling on L1 failed; retrying"
                );
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// Moves settlement one step; `Ok(false)` when there is nothing to do yet.
///
/// The contract is the truth. A batch counts as settled once its `BatchVerified` event is
/// `l1.confirmations` blocks deep; it is claimed as this node's only if the event proves exactly
/// this node's statement (old and new root, commitment), and otherwise adopted: this node's
/// unsettled batches are discarded and the state follows L1 ([`SequencerState::adopt`]). A
/// submission is never taken as settlement by itself: the next step finds its event.
async fn send_next<C: Chain + Clone + 'static>(
    ctx: &Arc<NodeContext<C>>,
) -> Result<bool, PipelineError> {
    let settled = ctx.db.counter::<Settled>()?;
    let on_chain = ctx.rollup.batch_number().await?;
    if on_chain < settled {
        rewind(ctx, on_chain, settled).await?;
        return Ok(true);
    }
    let next = settled + 1;
    if on_chain >= next {
        let verified = find_verified(ctx, next).await?;
        let head = l1_head(ctx).await?;
        if verified
            .block_number
            .saturating_add(ctx.config.l1.confirmations)
            > head
        {
            return Ok(false);
        }
        let record = ctx.db.get::<Batches>(&next)?;
        match record {
            Some(record) if is_statement_of(&record, &verified) => claim(ctx, record, &verified)?,
            _ => adopt(ctx, settled, &verified).await?,
        }
        return Ok(true);
    }
    let Some(proof) = ctx.db.get::<Proofs>(&next)? else {
        return Ok(false);
    };
    let record = ctx
        .db
        .get::<Batches>(&next)?
        .ok_or(PipelineError::MissingBatch(next))?;
    let receipt = ctx
        .rollup
        .submit_batch(
            next,
            &record.new_root(),
            &record.witness.pubdata,
            proof.as_slice(),
        )
        .await?;
    metrics::counter!("zksettle_l1_gas_used_total").increment(receipt.gas_used);
    tracing::info!(batch = next, l1_tx = %receipt.tx_hash, "submitted");
    Ok(true)
}

/// Whether the contract's event for a batch proves exactly `record`'s statement.
fn is_statement_of(record: &crate::records::BatchRecord, verified: &VerifiedBatch) -> bool {
    !record.foreign
        && verified.old_root == record.witness.old_root
        && verified.new_root == record.new_root()
        && verified.commitment == u256_of_fr(&record.witness.commitment)
}

/// The `BatchVerified` event of batch `number`, searched from the head back (it is almost always
/// in the last range).
async fn find_verified<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    number: u64,
) -> Result<VerifiedBatch, PipelineError> {
    let floor = ctx.sequencer.genesis.deploy_block;
    let mut to = l1_head(ctx).await?;
    loop {
        let from = to.saturating_sub(LOG_RANGE - 1).max(floor);
        let found = ctx
            .rollup
            .verified_batches(from, to)
            .await?
            .into_iter()
            .find(|b| b.number == number);
        if let Some(found) = found {
            return Ok(found);
        }
        if from <= floor {
            return Err(PipelineError::MissingEvent(number));
        }
        to = from - 1;
    }
}

/// Records batch `record` as settled by this node's statement.
fn claim<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    mut record: crate::records::BatchRecord,
    verified: &VerifiedBatch,
) -> Result<(), PipelineError> {
    let next = record.number;
    let l1_tx = verified.tx_hash.to_string();
    record.l1_tx = Some(l1_tx.clone());
    let mut write = ctx.db.write();
    write.put::<Batches>(&record.number, &record);
    write.put_meta::<Settled>(&next);
    write.commit()?;
    tracing::info!(batch = next, l1_tx = %l1_tx, "settled");
    metrics::counter!("zksettle_batches_settled_total").increment(1);
    let _ = ctx.events.send(NodeEvent::Settled(next, l1_tx));
    Ok(())
}

/// Follows a batch someone else settled: reads its pubdata from the `submitBatch` calldata and
/// has the state adopt it.
async fn adopt<C: Chain + Clone + 'static>(
    ctx: &Arc<NodeContext<C>>,
    settled: u64,
    verified: &VerifiedBatch,
) -> Result<(), PipelineError> {
    let number = verified.number;
    let call = ctx.rollup.batch_submission(verified.tx_hash).await?;
    if call.number != number || call.new_root != verified.new_root {
        return Err(PipelineError::CalldataMismatch {
            number,
            l1_tx: verified.tx_hash,
        });
    }
    let foreign = ForeignBatch {
        number,
        old_root: verified.old_root,
        new_root: verified.new_root,
        commitment: zksettle_core::field::fr_from_be_bytes(
            &verified.commitment.to_be_bytes::<32>(),
        )
        .map_err(|_| PipelineError::CommitmentNotReduced(number))?,
        pubdata: call.pubdata,
        l1_tx: verified.tx_hash.to_string(),
    };
    metrics::counter!("zksettle_l1_foreign_batches_total").increment(1);
    let worker = ctx.clone();
    let adopted = tokio::task::spawn_blocking(move || {
        let mut state = worker.state();
        let adopted = state.adopt(&foreign, settled);
        record_pool_gauges(&state);
        adopted
    })
    .await??;
    tracing::warn!(
        batch = number,
        l1_tx = %verified.tx_hash,
        discarded = ?adopted.discarded,
        carried = adopted.carried.len(),
        returned = adopted.returned,
        refused = adopted.refused.len(),
        "batch settled by someone else adopted; this node's unsettled batches discarded"
    );
    for n in &adopted.discarded {
        let _ = ctx.events.send(NodeEvent::Discarded(*n));
    }
    for (hash, reason) in adopted.refused {
        let _ = ctx.events.send(NodeEvent::Dropped(hash, reason));
    }
    let _ = ctx
        .events
        .send(NodeEvent::Settled(number, verified.tx_hash.to_string()));
    ctx.sealed.notify_one();
    Ok(())
}

/// L1 no longer holds batches `on_chain + 1 ..= settled` that it had verified (a
/// reorganization deeper than the node waited for): they are unsettled again and sent again.
async fn rewind<C: Chain + Clone + 'static>(
    ctx: &NodeContext<C>,
    on_chain: u64,
    settled: u64,
) -> Result<(), PipelineError> {
    let mut write = ctx.db.write();
    for n in on_chain + 1..=settled {
        let mut record = ctx
            .db
            .get::<Batches>(&n)?
            .ok_or(PipelineError::MissingBatch(n))?;
        if record.foreign {
            return Err(PipelineError::AdoptedBatchReorganized(n));
        }
        record.l1_tx = None;
        write.put::<Batches>(&record.number, &record);
    }
    write.put_meta::<Settled>(&on_chain);
    write.commit()?;
    metrics::counter!("zksettle_l1_reorganized_batches_total").increment(settled - on_chain);
    tracing::warn!(
        from = on_chain + 1,
        to = settled,
        "L1 no longer holds these settled batches; sending them again"
    );
    for n in on_chain + 1..=settled {
        let _ = ctx.events.send(NodeEvent::Unsettled(n));
    }
    Ok(())
}

pub(super) async fn l1_watcher<C: Chain + Clone + 'static>(ctx: Arc<NodeContext<C>>) {
    let poll = Duration::from_millis(ctx.config.l1.poll_interval_ms);
    let mut backoff = Backoff::default();
    loop {
        let wait = match watch_once(&ctx).await {
            Ok(()) => {
                backoff.succeeded();
                poll
            }
            Err(e @ PipelineError::ReorganizedBelowDepth { .. }) => {
                // Reading on would credit the new chain's operations on top of the old ones.
                tracing::error!(error = %ErrorChain(&e), "L1 watcher halted");
                metrics::counter!("zksettle_l1_reorganized_below_depth_total").increment(1);
                ctx.l1.halted(ErrorChain(&e).to_string());
                return std::future::pending().await;
            }
            Err(e) => {
                let wait = backoff.failed().max(poll);
                if e.l1_unreachable() {
                    ctx.l1.unreachable(ErrorChain(&e).to_string());
                }
                tracing::warn!(
                    error = %ErrorChain(&e),
                    retry_in_seconds = wait.as_secs(),
                    "reading L1 priority operations; retrying"
                );
                wait
            }
        };
        tokio::time::sleep(wait).await;
    }
}

/// The base chain's latest block number.
async fn l1_head<C: Chain + Clone + 'static>(ctx: &NodeContext<C>) -> Result<u64, PipelineError> {
    let head = ctx.rollup.chain().block_number().await?;
    ctx.l1.answered(Some(head));
    Ok(head)
}

/// Stores the priority operations of newly confirmed blocks, after checking that the last block
/// read is still on L1 (a reorganization deeper than the confirmation depth would otherwise go
/// unnoticed: its replacement operations reuse serials the node already stored).
async fn watch_once<C: Chain + Clone + 'static>(ctx: &NodeContext<C>) -> Result<(), PipelineError> {
    let head = l1_head(ctx).await?;
    let from = ctx
        .db
        .counter::<L1NextBlock>()?
        .max(ctx.sequencer.genesis.deploy_block);
    if let (Some(stored), Some(last)) = (ctx.db.meta::<L1ScannedHash>()?, from.checked_sub(1)) {
        let found = ctx.rollup.chain().block_hash(last).await?;
        if found.map(|h| h.0) != Some(stored) {
            return Err(PipelineError::ReorganizedBelowDepth {
                block: last,
                stored: stored.into(),
                found,
            });
        }
    }
    let Some(confirmed) = head.checked_sub(ctx.config.l1.confirmations) else {
        return Ok(());
    };
    let to = confirmed.min(from + LOG_RANGE - 1);
    if to < from {
        return Ok(());
    }
    // The hash of `to` before and after reading its logs: equal, the logs are that block's.
    let before = ctx.rollup.chain().block_hash(to).await?;
    let ops = ctx.rollup.priority_ops(from, to).await?;
    let after = ctx.rollup.chain().block_hash(to).await?;
    let Some(scanned) = before.filter(|_| before == after) else {
        return Err(PipelineError::ChangedWhileRead(to));
    };
    let mut end = ctx.db.priority_end()?;
    let mut write = ctx.db.write();
    for op in ops {
        let serial = op.serial();
        if serial < end {
            continue; // stored by an earlier scan
        }
        if serial > end {
            return Err(PipelineError::PriorityGap {
                expected: end,
                found: serial,
            });
        }
        write.put::<PriorityOps>(&serial, &crate::records::StoredPriorityOp { op });
        end += 1;
    }
    write.put_meta::<L1NextBlock>(&(to + 1));
    write.put_meta::<L1ScannedHash>(&scanned.0);
    Ok(write.commit()?)
}
