//! Sealing a batch: choosing its ops, applying them, and writing the outcome atomically.

use super::{unix_now, Sealed, SequencerState, StateError};
use crate::mempool::{DropReason, SenderState, TxHash};
use crate::records::BatchRecord;
use crate::routing::Router;
use crate::store::tables::{Batches, NextPriority, Pool, PriorityOps, Txs};
use std::collections::{HashMap, HashSet};
use zksettle_core::op::{
    OP_DEPOSIT, OP_FORCED_EXIT, OP_NOOP, OP_TRANSFER, OP_TRANSFER_TO_NEW, OP_WITHDRAW,
};
use zksettle_core::stf::{AppliedBatch, BatchError, OpError};
use zksettle_core::{apply_batch, AccountIndex, BatchInput, BatchShape, Op};

/// A proposed batch before the state transition has seen it.
struct Proposal {
    input: BatchInput,
    /// Per op: the pool transaction it came from, `None` for a priority op.
    origins: Vec<Option<TxHash>>,
    priority_count: usize,
    priority_end: u64,
}

/// Chunks `op` takes; a transfer that opens its recipient's account is a transfer-to-new.
fn op_chunks(shape: &BatchShape, op: &Op, opens: bool) -> usize {
    let code = match op {
        Op::Noop => OP_NOOP,
        Op::Deposit(_) => OP_DEPOSIT,
        Op::Transfer { .. } if opens => OP_TRANSFER_TO_NEW,
        Op::Transfer { .. } => OP_TRANSFER,
        Op::Withdraw { .. } => OP_WITHDRAW,
        Op::ForcedExit(_) => OP_FORCED_EXIT,
    };
    shape.op_chunks(code).unwrap_or(1)
}

/// Accounts whose state an op changes (senders, exited accounts, deposit targets): their pool
/// transactions are re-checked after the batch.
fn touched(op: &Op) -> Option<AccountIndex> {
    match op {
        Op::Transfer { transfer, .. } => Some(transfer.from),
        Op::Withdraw { withdraw, .. } => Some(withdraw.from),
        Op::ForcedExit(f) => Some(f.index),
        Op::Deposit(d) => Some(d.to),
        Op::Noop => None,
    }
}

/// Refusals that depend on the moment (no room left after the router's size guess was off, a
/// nonce gap left by such an op, a balance that may grow) leave the transaction to the pool's own
/// rules; every other refusal is final.
fn is_final(error: &OpError) -> bool {
    !matches!(
        error,
        OpError::ExceedsBatchCapacity { .. }
            | OpError::NonceTooHigh { .. }
            | OpError::InsufficientBalance { .. }
    )
}

impl SequencerState {
    /// Whether a batch could be sealed with something in it.
    pub fn has_work(&self) -> Result<bool, StateError> {
        Ok(self.pool.pending_len() > 0 || self.db.priority_end()? > self.next_priority)
    }

    fn propose(&self, number: u64) -> Result<Proposal, StateError> {
        let shape = self.config.genesis.shape;
        let mut router = Router::new(&self.tree)?;
        let (mut ops, mut origins) = (Vec::new(), Vec::new());
        let mut chunks_left = shape.chunks;
        let mut priority_end = self.next_priority;
        for (_, stored) in self
            .db
            .entries::<PriorityOps>(Some(&self.next_priority), shape.chunks)?
        {
            let op = router.priority(&stored.op)?;
            let needed = op_chunks(&shape, &op, router.last_opened());
            if needed > chunks_left {
                router.forget(&op);
                break;
            }
            chunks_left -= needed;
            priority_end = stored.op.serial() + 1;
            ops.push(op);
            origins.push(None);
        }
        let priority_count = ops.len();
        for pooled in self.pool.best(chunks_left) {
            let op = match router.transaction(&pooled.tx) {
                Ok(op) => op,
                // The recipient cannot get an account now (tree full): others still can.
                Err(crate::routing::RouteError::TreeFull) => continue,
                Err(e) => return Err(e.into()),
            };
            let needed = op_chunks(&shape, &op, router.last_opened());
            if needed > chunks_left {
                router.forget(&op);
                continue;
            }
            chunks_left -= needed;
            ops.push(op);
            origins.push(Some(pooled.hash));
        }
        Ok(Proposal {
            input: BatchInput {
                number,
                ops,
                fee_recipients: self.fee_recipients(),
            },
            origins,
            priority_count,
            priority_end,
        })
    }

    /// Seals the next batch (see the module docs); `None` if nothing could go in it.
    pub fn seal(&mut self) -> Result<Option<Sealed>, StateError> {
        let number = self.last_batch + 1;
        let proposal = self.propose(number)?;
        if proposal.input.ops.is_empty() {
            return Ok(None);
        }
        // On error the state transition leaves the tree as it was.
        let applied = apply_batch(&mut self.tree, &self.config.stf(), &proposal.input)
            .map_err(|source| StateError::Batch { number, source })?;
        let result = self.commit(number, &proposal, applied);
        if result.is_err() {
            // Nothing was written: drop the batch's changes so the next attempt starts clean.
            self.tree.discard();
        }
        result
    }

    fn commit(
        &mut self,
        number: u64,
        proposal: &Proposal,
        applied: AppliedBatch,
    ) -> Result<Option<Sealed>, StateError> {
        if let Some(r) = applied
            .rejected
            .iter()
            .find(|r| r.position < proposal.priority_count)
        {
            // The contract requires the queue consumed in order; a refused priority op would
            // stall every later batch. Refuse to seal rather than post something L1 rejects.
            return Err(StateError::Batch {
                number,
                source: BatchError::Replay {
                    position: r.position,
                    error: r.error.clone(),
                },
            });
        }
        let origins = &proposal.origins;
        let included: Vec<TxHash> = applied
            .included
            .iter()
            .filter_map(|p| origins[*p])
            .collect();
        let refused: Vec<(TxHash, DropReason)> = applied
            .rejected
            .iter()
            .filter(|r| is_final(&r.error))
            .filter_map(|r| {
                origins[r.position].map(|h| {
                    let rule = r.error.to_string();
                    (h, DropReason::Refused { rule })
                })
            })
            .collect();
        let touched: HashSet<AccountIndex> =
            proposal.input.ops.iter().filter_map(touched).collect();
        let mut write = self.db.write();
        let mut staged = HashMap::new();
        for (hash, reason) in &refused {
            self.retire(&mut write, &mut staged, hash, reason.clone())?;
        }
        if applied.included.is_empty() {
            // Nothing went in: no batch, but the refusals are final and recorded.
            self.tree.discard();
            write.commit()?;
            self.follow_state(touched, &HashSet::new(), &refused);
            return Ok(None);
        }
        write.put_tree_changes(self.tree.store(), &self.tree.changes());
        let record = BatchRecord {
            number,
            ops: applied
                .included
                .iter()
                .map(|p| proposal.input.ops[*p])
                .collect(),
            tx_hashes: included.clone(),
            priority: (self.next_priority, proposal.priority_end),
            witness: applied.witness,
            sealed_at: unix_now(),
            l1_tx: None,
            foreign: false,
        };
        for hash in &included {
            if let Some(arrival) = self.arrivals.remove(hash) {
                write.delete::<Pool>(&arrival);
            }
            if let Some(mut tx) = self.db.get::<Txs>(hash)? {
                tx.batch = Some(number);
                write.put::<Txs>(hash, &tx);
            }
        }
        write.put::<Batches>(&record.number, &record);
        write.put_meta::<NextPriority>(&proposal.priority_end);
        write.commit()?;
        self.tree.mark_committed();
        self.last_batch = number;
        self.next_priority = proposal.priority_end;
        let included: HashSet<TxHash> = included.into_iter().collect();
        let dropped = self.follow_state(touched, &included, &refused);
        Ok(Some(Sealed {
            batch: record,
            dropped,
        }))
    }

    /// Brings the pool in line with the state after a batch and records what it drops. The
    /// records are written apart from the batch: a crash before they land only means the
    /// restart re-checks those transactions, so a failure here is logged, not returned.
    fn follow_state(
        &mut self,
        touched: HashSet<AccountIndex>,
        included: &HashSet<TxHash>,
        refused: &[(TxHash, DropReason)],
    ) -> Vec<crate::mempool::Dropped> {
        let tree = &self.tree;
        let dropped = self.pool.reconcile(touched, included, refused, |i| {
            tree.account(i).ok().flatten().map(|a| SenderState {
                nonce: a.nonce,
                balance: a.balance,
            })
        });
        let mut write = self.db.write();
        let mut staged = HashMap::new();
        for d in &dropped {
            if refused.iter().any(|(h, _)| *h == d.hash) {
                continue;
            }
            if let Err(e) = self.retire(&mut write, &mut staged, &d.hash, d.reason.clone()) {
                tracing::warn!(error = %crate::ErrorChain(&e), "recording a dropped transaction");
            }
        }
        if let Err(e) = write.commit() {
            tracing::warn!(error = %crate::ErrorChain(&e), "recording dropped transactions");
        }
        dropped
    }
}
