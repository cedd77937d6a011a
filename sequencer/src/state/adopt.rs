//! Adopting a batch someone else settled (review F3).
//!
//! The contract accepts a batch from any operator governance names, and from anyone once no
//! operator has made progress for the fallback delay. When the batch the contract verified
//! under number `n` is not the one this node sealed as `n`, L1 is the truth and the node
//! follows it:
//!
//! 1. Its own batches `n..=last` (sealed, perhaps proven, never settled) are undone, newest
//!    first, from their witnesses: every leaf write holds the account before it, so setting
//!    the `before` values in reverse order gives back the tree after `n − 1` exactly (checked:
//!    the root must come out as each batch's old root).
//! 2. The L1 batch's pubdata is replayed with the same rules an auditor uses
//!    ([`zksettle_core::stf::replay_batch`]); its roots and commitment must be the ones the
//!    contract's event names.
//! 3. Transactions of the discarded batches that the L1 batch carried (the same sender and
//!    nonce, amount and fee: the circuit checked the owner's signature over them) are recorded
//!    as included in `n`; the others go back to the pool in their original arrival order, where
//!    the pool's own rules keep or refuse each against the new state.
//! 4. The priority cursor continues after the priority ops the L1 batch consumed.
//!
//! All of it is one atomic write; a crash before it leaves the node as it was, and the sender
//! finds the same foreign batch again on restart.
//!
//! Account indices that a discarded batch opened are not handed out again (the tree's highest
//! index only grows): harmless, since the protocol lets any empty leaf be opened.

use super::{unix_now, SequencerState, StateError};
use crate::mempool::{DropReason, Mempool, TxHash};
use crate::records::{BatchRecord, TxRecord};
use crate::store::tables::{Batches, NextPriority, Pool, Proofs, Proven, Settled, Txs};
use std::collections::HashMap;
use zksettle_core::op::PubdataOp;
use zksettle_core::stf::{replay_batch, BatchWitness};
use zksettle_core::{AccountIndex, Fr, Tx};

/// A batch the contract verified that this node did not make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignBatch {
    /// Its number.
    pub number: u64,
    /// Root before, from its `BatchVerified` event.
    pub old_root: Fr,
    /// Root after, from its `BatchVerified` event.
    pub new_root: Fr,
    /// The proof's public input, from its `BatchVerified` event.
    pub commitment: Fr,
    /// Its pubdata, from the `submitBatch` calldata.
    pub pubdata: Vec<u8>,
    /// The L1 transaction that settled it.
    pub l1_tx: String,
}

/// What adopting a foreign batch changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Adopted {
    /// The adopted batch's number.
    pub number: u64,
    /// This node's batches that were discarded, in ascending order.
    pub discarded: Vec<u64>,
    /// Transactions of this node that the foreign batch carried.
    pub carried: Vec<TxHash>,
    /// Transactions returned to the pool.
    pub returned: usize,
    /// Transactions the pool refused on return, with why.
    pub refused: Vec<(TxHash, DropReason)>,
}

/// Why a foreign batch could not be adopted; the node stops settling and says so.
#[derive(Debug, thiserror::Error)]
pub enum AdoptError {
    /// The node has not settled the batches before it.
    #[error("batch {number} cannot be adopted: the node has settled only up to {settled}")]
    NotNext {
        /// The foreign batch.
        number: u64,
        /// The node's settled cursor.
        settled: u64,
    },
    /// Undoing a discarded batch did not give back its old root (a corrupt record).
    #[error("undoing batch {number} gave root {got}, its record says {expected}")]
    Undo {
        /// The batch.
        number: u64,
        /// Its recorded old root.
        expected: String,
        /// What undoing gave.
        got: String,
    },
    /// A discarded batch's record is missing or was itself adopted from L1.
    #[error("batch {0} cannot be undone: its record is missing or holds no witness")]
    NotUndoable(u64),
    /// The foreign batch starts from another root than the node's settled state.
    #[error("batch {number} starts from root {l1}, the node's settled state is {ours}")]
    OldRoot {
        /// The batch.
        number: u64,
        /// The event's old root.
        l1: String,
        /// The node's root after undoing.
        ours: String,
    },
    /// The pubdata does not replay (the circuit accepts only batches that replay, so this
    /// means the calldata read is not the batch's).
    #[error("batch {number}: its pubdata does not replay: {source}")]
    Replay {
        /// The batch.
        number: u64,
        /// Why.
        source: zksettle_core::stf::BatchError,
    },
    /// Replaying gave other roots or commitment than the contract's event.
    #[error("batch {number}: replaying its pubdata gives root {got}, its event says {expected}")]
    Mismatch {
        /// The batch.
        number: u64,
        /// The event's new root.
        expected: String,
        /// The replayed root.
        got: String,
    },
}

impl From<AdoptError> for StateError {
    fn from(e: AdoptError) -> Self {
        StateError::Adopt(Box::new(e))
    }
}

fn decimal(x: &Fr) -> String {
    zksettle_core::field::fr_to_decimal(x)
}

/// Whether signed transaction `tx`, sent when its sender's nonce was `nonce`, is the L1 op `op`.
fn carries(op: &PubdataOp, tx: &Tx, nonce: u32) -> bool {
    if tx.nonce() != nonce {
        return false;
    }
    match (op, tx) {
        (
            PubdataOp::Transfer {
                from, amount, fee, ..
            }
            | PubdataOp::TransferToNew {
                from, amount, fee, ..
            },
            Tx::Transfer(t),
        ) => *from == t.from && *amount == t.amount && *fee == t.fee,
        (
            PubdataOp::Withdraw {
                from,
                token,
                amount,
                fee,
                to_l1_address,
            },
            Tx::Withdraw(w),
        ) => {
            *from == w.from
                && *token == w.token
                && *amount == w.amount
                && *fee == w.fee
                && *to_l1_address == w.to_l1_address
        }
        _ => false,
    }
}

/// The signed op's sender, if `op` is an L2 transaction.
fn sender(op: &PubdataOp) -> Option<AccountIndex> {
    match op {
        PubdataOp::Transfer { from, .. }
        | PubdataOp::TransferToNew { from, .. }
        | PubdataOp::Withdraw { from, .. } => Some(*from),
        _ => None,
    }
}

impl SequencerState {
    /// Replaces this node's unsettled batches from `foreign.number` on with `foreign` (see the
    /// module docs). `settled` is the node's settled cursor, which must be `foreign.number − 1`.
    /// On error nothing changed.
    pub fn adopt(&mut self, foreign: &ForeignBatch, settled: u64) -> Result<Adopted, StateError> {
        let result = self.adopt_inner(foreign, settled);
        if result.is_err() {
            self.tree.discard();
        }
        result
    }

    fn adopt_inner(&mut self, foreign: &ForeignBatch, settled: u64) -> Result<Adopted, StateError> {
        let number = foreign.number;
        if settled + 1 != number || number > self.last_batch + 1 {
            return Err(AdoptError::NotNext { number, settled }.into());
        }
        let mut discarded = Vec::new();
        for n in (number..=self.last_batch).rev() {
            let record = self
                .db
                .get::<Batches>(&n)?
                .ok_or(AdoptError::NotUndoable(n))?;
            self.undo(&record)?;
            discarded.push(record);
        }
        discarded.reverse();
        let root = self.tree.root()?;
        if root != foreign.old_root {
            return Err(AdoptError::OldRoot {
                number,
                l1: decimal(&foreign.old_root),
                ours: decimal(&root),
            }
            .into());
        }
        // Every sender's nonce before the foreign batch, to tell which signed op is which of
        // this node's transactions.
        let decoded =
            zksettle_core::pubdata::decode_batch(&self.config.genesis.shape, &foreign.pubdata)
                .map_err(|e| AdoptError::Replay {
                    number,
                    source: e.into(),
                })?;
        let mut nonces: HashMap<AccountIndex, u32> = HashMap::new();
        let mut signed_ops = Vec::new();
        for op in &decoded.ops {
            if let Some(from) = sender(op) {
                let nonce = match nonces.get(&from) {
                    Some(n) => *n,
                    None => self.tree.account(from)?.map_or(0, |a| a.nonce),
                };
                nonces.insert(from, nonce.wrapping_add(1));
                signed_ops.push((op, nonce));
            }
        }
        let replayed = replay_batch(&mut self.tree, &self.config.stf(), number, &foreign.pubdata)
            .map_err(|source| AdoptError::Replay { number, source })?;
        if replayed.new_root != foreign.new_root || replayed.commitment != foreign.commitment {
            return Err(AdoptError::Mismatch {
                number,
                expected: decimal(&foreign.new_root),
                got: decimal(&replayed.new_root),
            }
            .into());
        }
        let first_priority = discarded
            .first()
            .map_or(self.next_priority, |b| b.priority.0);
        let priority_end =
            first_priority + replayed.ops.iter().filter(|op| op.is_priority()).count() as u64;

        // This node's transactions the foreign batch may carry: the discarded batches' and the
        // pool's.
        let mut candidates: Vec<(TxHash, TxRecord)> = Vec::new();
        for record in &discarded {
            for hash in &record.tx_hashes {
                if let Some(tx) = self.db.get::<Txs>(hash)? {
                    candidates.push((*hash, tx));
                }
            }
        }
        for (_, hash) in self.db.entries::<Pool>(None, usize::MAX)? {
            if let Some(tx) = self.db.get::<Txs>(&hash)? {
                candidates.push((hash, tx));
            }
        }
        let mut write = self.db.write();
        let mut carried = Vec::new();
        let mut returned = 0;
        for (hash, mut record) in candidates {
            let in_foreign = signed_ops
                .iter()
                .any(|(op, nonce)| carries(op, &record.tx.tx, *nonce));
            if in_foreign {
                record.batch = Some(number);
                write.delete::<Pool>(&record.arrival);
                carried.push(hash);
            } else if record.batch.is_some() {
                // Back to the pool under its first arrival, so it keeps its place.
                record.batch = None;
                write.put::<Pool>(&record.arrival, &hash);
                returned += 1;
            } else {
                continue;
            }
            write.put::<Txs>(&hash, &record);
        }
        for record in &discarded {
            write.delete::<Batches>(&record.number);
            write.delete::<Proofs>(&record.number);
        }
        let adopted = BatchRecord {
            number,
            ops: Vec::new(),
            tx_hashes: carried.clone(),
            priority: (first_priority, priority_end),
            witness: BatchWitness {
                shape: self.config.genesis.shape,
                number,
                old_root: foreign.old_root,
                new_root: foreign.new_root,
                ops: Vec::new(),
                fees: Vec::new(),
                pubdata: foreign.pubdata.clone(),
                commitment: foreign.commitment,
            },
            sealed_at: unix_now(),
            l1_tx: Some(foreign.l1_tx.clone()),
            foreign: true,
        };
        write.put_tree_changes(self.tree.store(), &self.tree.changes());
        write.put::<Batches>(&adopted.number, &adopted);
        write.put_meta::<NextPriority>(&priority_end);
        write.put_meta::<Settled>(&number);
        write.put_meta::<Proven>(&number);
        write.commit()?;
        self.tree.mark_committed();
        self.last_batch = number;
        self.next_priority = priority_end;
        // The pool again from its durable entries: returned transactions first (they arrived
        // first), each checked against the adopted state.
        self.pool = Mempool::new(self.config.mempool);
        self.arrivals.clear();
        let refused = self.restore_pool()?;
        Ok(Adopted {
            number,
            discarded: discarded.iter().map(|b| b.number).collect(),
            carried,
            returned,
            refused,
        })
    }

    /// Sets every leaf `record`'s batch wrote back to its value before, newest write first.
    fn undo(&mut self, record: &BatchRecord) -> Result<(), StateError> {
        if record.foreign {
            return Err(AdoptError::NotUndoable(record.number).into());
        }
        let witness = &record.witness;
        let writes = witness
            .ops
            .iter()
            .flat_map(|op| op.updates.iter())
            .chain(witness.fees.iter().map(|f| &f.update));
        let undo: Vec<_> = writes.map(|u| (u.index, u.before)).collect();
        for (index, before) in undo.into_iter().rev() {
            self.tree.set_account(index, before)?;
        }
        let root = self.tree.root()?;
        if root != witness.old_root {
            return Err(AdoptError::Undo {
                number: record.number,
                expected: decimal(&witness.old_root),
                got: decimal(&root),
            }
            .into());
        }
        Ok(())
    }
}
