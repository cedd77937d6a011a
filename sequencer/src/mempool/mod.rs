//! The transaction pool: signed L2 transactions waiting for a batch.
//!
//! Shaped like geth's pool. Each sending account has a *pending* run (nonces contiguous from the
//! account's next nonce, affordable together, ready for a batch) and a *queued* set (nonces
//! beyond a gap, waiting for the gap to fill). Limits bound both per account and globally; a
//! transaction with a nonce already in the pool replaces the old one only if its fee is at
//! least `price_bump_percent` higher; queued transactions expire after `lifetime`.
//!
//! Batches take [`Mempool::best`]: the highest fee first across senders (earlier arrival breaks
//! ties), nonce order within a sender. Fees are compared in raw token units: one fee market per
//! deployment, as fee tokens are chosen by the operator.
//!
//! The pool holds no signatures to check and no tree: the node validates a transaction's
//! signature, token and packing against the sender's account before [`Mempool::add`], and passes
//! the account's state (nonce, balance) in. After a batch is sealed, [`Mempool::reconcile`]
//! takes the accounts' new state and drops what became invalid, each with its reason.

#[cfg(test)]
mod tests;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::time::{Duration, Instant};
use zksettle_core::{AccountIndex, Balance, Nonce, SignedTx};

/// SHA-256 of a transaction's encoding ([`SignedTx::hash`]).
pub type TxHash = [u8; 32];

/// Pool limits. Defaults size the pool for tens of thousands of transactions a second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MempoolConfig {
    /// Executable transactions, all senders.
    pub global_pending: usize,
    /// Future-nonce transactions, all senders.
    pub global_queued: usize,
    /// Executable transactions of one sender.
    pub account_pending: usize,
    /// Future-nonce transactions of one sender; also the farthest a nonce may run ahead.
    pub account_queued: usize,
    /// Fee increase, in percent, a replacement must offer.
    pub price_bump_percent: u64,
    /// Seconds a queued transaction may wait for its gap to fill.
    pub lifetime_seconds: u64,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig {
            global_pending: 131_072,
            global_queued: 16_384,
            account_pending: 64,
            account_queued: 64,
            price_bump_percent: 10,
            lifetime_seconds: 3 * 3600,
        }
    }
}

/// What the pool needs to know of the sending account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderState {
    /// The next nonce the account will use.
    pub nonce: Nonce,
    /// Its balance.
    pub balance: Balance,
}

/// A transaction in the pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolTx {
    /// Its hash.
    pub hash: TxHash,
    /// The transaction.
    pub tx: SignedTx,
    /// Arrival order (ties between equal fees go to the earlier).
    pub arrival: u64,
    /// Arrival time.
    pub received: Instant,
}

impl PoolTx {
    fn cost(&self) -> Balance {
        self.tx.tx.amount().saturating_add(self.tx.tx.fee())
    }
}

/// Where an added transaction went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// Executable now.
    Pending,
    /// Waiting for lower nonces.
    Queued,
    /// It replaced the transaction with this hash (same sender and nonce, higher fee).
    Replaced(TxHash),
}

/// Why the pool refused a transaction. Each maps to a documented JSON-RPC error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    /// The same transaction is already in the pool.
    #[error("transaction already known")]
    AlreadyKnown,
    /// The nonce was used.
    #[error("nonce too low: account is at {expected}, transaction has {got}")]
    NonceTooLow {
        /// The account's next nonce.
        expected: Nonce,
        /// The transaction's.
        got: Nonce,
    },
    /// The nonce is further ahead than the pool keeps.
    #[error(
        "nonce too high: account is at {expected}, at most {max} accepted, transaction has {got}"
    )]
    NonceTooHigh {
        /// The account's next nonce.
        expected: Nonce,
        /// The highest nonce the pool would take.
        max: Nonce,
        /// The transaction's.
        got: Nonce,
    },
    /// A transaction with this nonce is pooled and the new fee is not enough higher.
    #[error("replacement underpriced: fee must be at least {min_fee}")]
    ReplacementUnderpriced {
        /// The lowest fee that replaces it.
        min_fee: Balance,
    },
    /// The account cannot pay this transaction after its pending ones.
    #[error(
        "insufficient balance: have {balance}, pending transactions and this one need {required}"
    )]
    InsufficientBalance {
        /// The account's balance.
        balance: Balance,
        /// Amount plus fee of the pending run including this transaction.
        required: Balance,
    },
    /// The sender has as many transactions pooled as it may.
    #[error("account has the maximum number of pooled transactions")]
    AccountFull,
    /// The pool is full.
    #[error("mempool full")]
    PoolFull,
}

/// Why a transaction left the pool for good without being included: stored with it, reported
/// by `zks_getTransaction` as `{"kind": …}` so that wallets match on the kind, and shown by
/// its `Display`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DropReason {
    /// Its nonce was used by another transaction.
    #[error("its nonce was used by another transaction")]
    NonceUsed,
    /// The account can no longer pay for it.
    #[error("the account can no longer pay for it")]
    InsufficientBalance,
    /// It waited in the queue longer than the lifetime.
    #[error("expired in the queue")]
    Expired,
    /// It was replaced by a transaction with a higher fee.
    #[error("replaced by a higher fee (0x{})", hex::encode(.by))]
    Replaced {
        /// The replacement's hash.
        #[serde(with = "hash_hex")]
        by: TxHash,
    },
    /// A protocol rule refuses it against the current state (the core's reason).
    #[error("{rule}")]
    Refused {
        /// The rule, as the core states it.
        rule: String,
    },
}

impl DropReason {
    /// The reason from a record written by an older node, which stored the message alone: the
    /// kinds whose message is fixed are recognised, anything else is a refusal by that rule.
    pub fn from_message(message: &str) -> DropReason {
        [
            DropReason::NonceUsed,
            DropReason::InsufficientBalance,
            DropReason::Expired,
        ]
        .into_iter()
        .find(|kind| kind.to_string() == message)
        .unwrap_or_else(|| DropReason::Refused {
            rule: message.to_owned(),
        })
    }
}

/// A 32-byte hash as `0x`-prefixed hex in JSON.
mod hash_hex {
    use super::TxHash;

    pub(super) fn serialize<S: serde::Serializer>(hash: &TxHash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(hash)))
    }

    pub(super) fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<TxHash, D::Error> {
        let text: String = serde::Deserialize::deserialize(d)?;
        let bytes = hex::decode(text.strip_prefix("0x").unwrap_or(&text))
            .map_err(serde::de::Error::custom)?;
        bytes
            .try_into()
            .map_err(|_| serde::de::Error::custom("a hash is 32 bytes"))
    }
}

/// A transaction that left the pool without being included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dropped {
    /// Its hash.
    pub hash: TxHash,
    /// Why.
    pub reason: DropReason,
}

/// A sender's pending run with its total cost kept as it changes: admission checks the cost on
/// every addition, and summing the run each time made a long run quadratic.
#[derive(Debug, Default)]
struct PendingRun {
    txs: BTreeMap<Nonce, PoolTx>,
    /// The exact total cost is `carries·2^128 + low` (costs are `u128`; the sum can exceed it).
    low: Balance,
    carries: u64,
}

impl PendingRun {
    fn add_cost(&mut self, cost: Balance) {
        let (low, carried) = self.low.overflowing_add(cost);
        self.low = low;
        self.carries += u64::from(carried);
    }

    fn sub_cost(&mut self, cost: Balance) {
        let (low, borrowed) = self.low.overflowing_sub(cost);
        self.low = low;
        self.carries -= u64::from(borrowed);
    }

    /// The run's total cost, saturated at `Balance::MAX`.
    fn cost(&self) -> Balance {
        if self.carries > 0 {
            Balance::MAX
        } else {
            self.low
        }
    }

    fn insert(&mut self, nonce: Nonce, tx: PoolTx) -> Option<PoolTx> {
        self.add_cost(tx.cost());
        let old = self.txs.insert(nonce, tx);
        if let Some(old) = &old {
            self.sub_cost(old.cost());
        }
        old
    }

    fn remove(&mut self, nonce: &Nonce) -> Option<PoolTx> {
        let old = self.txs.remove(nonce);
        if let Some(old) = &old {
            self.sub_cost(old.cost());
        }
        old
    }
}

impl std::ops::Deref for PendingRun {
    type Target = BTreeMap<Nonce, PoolTx>;

    fn deref(&self) -> &Self::Target {
        &self.txs
    }
}

#[derive(Debug, Default)]
struct SenderTxs {
    /// Contiguous from the account's next nonce, affordable in order.
    pending: PendingRun,
    /// Beyond a gap.
    queued: BTreeMap<Nonce, PoolTx>,
}

impl SenderTxs {
    fn is_empty(&self) -> bool {
        self.pending.is_empty() && self.queued.is_empty()
    }

    fn pending_cost(&self) -> Balance {
        self.pending.cost()
    }

    fn next_pending_nonce(&self, state: SenderState) -> Nonce {
        self.pending
            .keys()
            .next_back()
            .map_or(state.nonce, |n| n.saturating_add(1))
    }
}

/// The pool; see the module docs.
#[derive(Debug)]
pub struct Mempool {
    config: MempoolConfig,
    senders: HashMap<AccountIndex, SenderTxs>,
    by_hash: HashMap<TxHash, (AccountIndex, Nonce)>,
    pending_count: usize,
    queued_count: usize,
    next_arrival: u64,
}

impl Mempool {
    /// An empty pool.
    pub fn new(config: MempoolConfig) -> Self {
        Mempool {
            config,
            senders: HashMap::new(),
            by_hash: HashMap::new(),
            pending_count: 0,
            queued_count: 0,
            next_arrival: 0,
        }
    }

    /// Its limits.
    pub fn config(&self) -> &MempoolConfig {
        &self.config
    }

    /// Executable transactions.
    pub fn pending_len(&self) -> usize {
        self.pending_count
    }

    /// Future-nonce transactions.
    pub fn queued_len(&self) -> usize {
        self.queued_count
    }

    /// All pooled transactions.
    pub fn len(&self) -> usize {
        self.pending_count + self.queued_count
    }

    /// Whether the pool is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A pooled transaction by hash, and whether it is pending.
    pub fn get(&self, hash: &TxHash) -> Option<(&PoolTx, bool)> {
        let (sender, nonce) = self.by_hash.get(hash)?;
        let txs = self.senders.get(sender)?;
        if let Some(t) = txs.pending.get(nonce) {
            return Some((t, true));
        }
        txs.queued.get(nonce).map(|t| (t, false))
    }

    /// The next nonce a new transaction of `sender` should carry, given the account's state:
    /// one past its pending run.
    pub fn next_nonce(&self, sender: AccountIndex, state: SenderState) -> Nonce {
        self.senders
            .get(&sender)
            .map_or(state.nonce, |t| t.next_pending_nonce(state))
    }

    /// Adds a transaction whose signature, token and packing the caller has checked, from a
    /// sender whose account is in `state`.
    pub fn add(
        &mut self,
        tx: SignedTx,
        state: SenderState,
        now: Instant,
    ) -> Result<Added, PoolError> {
        let sender = tx.tx.from();
        let result = self.add_inner(tx, state, now);
        if result.is_err() && self.senders.get(&sender).is_some_and(SenderTxs::is_empty) {
            self.senders.remove(&sender);
        }
        result
    }

    fn add_inner(
        &mut self,
        tx: SignedTx,
        state: SenderState,
        now: Instant,
    ) -> Result<Added, PoolError> {
        let hash = tx.hash();
        if self.by_hash.contains_key(&hash) {
            return Err(PoolError::AlreadyKnown);
        }
        let sender = tx.tx.from();
        let nonce = tx.tx.nonce();
        if nonce < state.nonce {
            return Err(PoolError::NonceTooLow {
                expected: state.nonce,
                got: nonce,
            });
        }
        let max = state
            .nonce
            .saturating_add((self.config.account_pending + self.config.account_queued) as u32);
        if nonce >= max {
            return Err(PoolError::NonceTooHigh {
                expected: state.nonce,
                max: max - 1,
                got: nonce,
            });
        }
        let entry = PoolTx {
            hash,
            tx,
            arrival: self.next_arrival,
            received: now,
        };
        let txs = self.senders.entry(sender).or_default();
        let outcome = if let Some(old) = txs.pending.get(&nonce).or(txs.queued.get(&nonce)) {
            let old_fee = old.tx.tx.fee();
            let min_fee = old_fee
                .saturating_mul(Balance::from(100 + self.config.price_bump_percent))
                .div_ceil(100)
                .max(old_fee.saturating_add(1));
            if entry.tx.tx.fee() < min_fee {
                return Err(PoolError::ReplacementUnderpriced { min_fee });
            }
            let old_hash = old.hash;
            let in_pending = txs.pending.contains_key(&nonce);
            if in_pending {
                let required =
                    (txs.pending_cost() - txs.pending[&nonce].cost()).saturating_add(entry.cost());
                // Replacing inside the run must keep the whole run affordable.
                if required > state.balance {
                    return Err(PoolError::InsufficientBalance {
                        balance: state.balance,
                        required,
                    });
                }
                txs.pending.insert(nonce, entry);
            } else {
                txs.queued.insert(nonce, entry);
            }
            self.by_hash.remove(&old_hash);
            Added::Replaced(old_hash)
        } else if nonce == txs.next_pending_nonce(state) {
            if txs.pending.len() >= self.config.account_pending {
                return Err(PoolError::AccountFull);
            }
            if self.pending_count >= self.config.global_pending {
                return Err(PoolError::PoolFull);
            }
            let required = txs.pending_cost().saturating_add(entry.cost());
            if required > state.balance {
                return Err(PoolError::InsufficientBalance {
                    balance: state.balance,
                    required,
                });
            }
            txs.pending.insert(nonce, entry);
            self.pending_count += 1;
            Added::Pending
        } else {
            if txs.queued.len() >= self.config.account_queued {
                return Err(PoolError::AccountFull);
            }
            if self.queued_count >= self.config.global_queued {
                return Err(PoolError::PoolFull);
            }
            if entry.cost() > state.balance {
                return Err(PoolError::InsufficientBalance {
                    balance: state.balance,
                    required: entry.cost(),
                });
            }
            txs.queued.insert(nonce, entry);
            self.queued_count += 1;
            Added::Queued
        };
        self.next_arrival += 1;
        self.by_hash.insert(hash, (sender, nonce));
        if outcome == Added::Pending {
            self.promote(sender, state);
        }
        Ok(outcome)
    }

    /// Up to `limit` executable transactions in batch order: highest fee first across senders,
    /// nonce order within each.
    pub fn best(&self, limit: usize) -> Vec<&PoolTx> {
        // A max-heap over each sender's next transaction; taking one exposes the sender's next.
        let mut heads: BinaryHeap<(Balance, Reverse<u64>, AccountIndex, Nonce)> = self
            .senders
            .iter()
            .filter_map(|(sender, txs)| {
                let (nonce, t) = txs.pending.first_key_value()?;
                Some((t.tx.tx.fee(), Reverse(t.arrival), *sender, *nonce))
            })
            .collect();
        let mut out = Vec::with_capacity(limit.min(self.pending_count));
        while out.len() < limit {
            let Some((_, _, sender, nonce)) = heads.pop() else {
                break;
            };
            let txs = &self.senders[&sender];
            out.push(&txs.pending[&nonce]);
            if let Some((next, t)) = txs.pending.range(nonce + 1..).next() {
                heads.push((t.tx.tx.fee(), Reverse(t.arrival), sender, *next));
            }
        }
        out
    }

    /// Brings `senders`' transactions in line with their accounts' state after a batch:
    /// `included` ones leave, `rejected` ones are dropped with the batch's reason, and what can
    /// no longer be executed (nonce used, unaffordable) is dropped or sent back to the queue.
    /// `state` gives an account's state, `None` for an account that does not exist.
    pub fn reconcile(
        &mut self,
        senders: impl IntoIterator<Item = AccountIndex>,
        included: &HashSet<TxHash>,
        rejected: &[(TxHash, DropReason)],
        state: impl Fn(AccountIndex) -> Option<SenderState>,
    ) -> Vec<Dropped> {
        let mut dropped = Vec::new();
        for (hash, reason) in rejected {
            if let Some((sender, nonce)) = self.by_hash.get(hash).copied() {
                self.remove(sender, nonce);
                dropped.push(Dropped {
                    hash: *hash,
                    reason: reason.clone(),
                });
            }
        }
        for sender in senders {
            let Some(txs) = self.senders.get_mut(&sender) else {
                continue;
            };
            let Some(st) = state(sender) else {
                let gone: Vec<TxHash> = txs
                    .pending
                    .values()
                    .chain(txs.queued.values())
                    .map(|t| t.hash)
                    .collect();
                for hash in gone {
                    let (_, nonce) = self.by_hash[&hash];
                    self.remove(sender, nonce);
                    dropped.push(Dropped {
                        hash,
                        reason: DropReason::Refused {
                            rule: "unknown account".into(),
                        },
                    });
                }
                continue;
            };
            // Used nonces: included, or a transaction of the same nonce was.
            let used: Vec<Nonce> = txs
                .pending
                .range(..st.nonce)
                .chain(txs.queued.range(..st.nonce))
                .map(|(n, _)| *n)
                .collect();
            for nonce in used {
                if let Some(t) = self.remove(sender, nonce) {
                    if !included.contains(&t.hash) {
                        dropped.push(Dropped {
                            hash: t.hash,
                            reason: DropReason::NonceUsed,
                        });
                    }
                }
            }
            self.demote(sender, st, &mut dropped);
            self.promote(sender, st);
        }
        dropped
    }

    /// Removes transactions by hash (whose admission could not be made durable).
    pub fn remove_hashes(&mut self, hashes: &[TxHash]) {
        for hash in hashes {
            if let Some((sender, nonce)) = self.by_hash.get(hash).copied() {
                self.remove(sender, nonce);
            }
        }
    }

    /// Drops queued transactions older than the lifetime.
    pub fn evict_expired(&mut self, now: Instant) -> Vec<Dropped> {
        let lifetime = Duration::from_secs(self.config.lifetime_seconds);
        let expired: Vec<(AccountIndex, Nonce, TxHash)> = self
            .senders
            .iter()
            .flat_map(|(sender, txs)| {
                txs.queued
                    .iter()
                    .filter(|(_, t)| now.saturating_duration_since(t.received) > lifetime)
                    .map(|(n, t)| (*sender, *n, t.hash))
            })
            .collect();
        expired
            .into_iter()
            .map(|(sender, nonce, hash)| {
                self.remove(sender, nonce);
                Dropped {
                    hash,
                    reason: DropReason::Expired,
                }
            })
            .collect()
    }

    fn remove(&mut self, sender: AccountIndex, nonce: Nonce) -> Option<PoolTx> {
        let txs = self.senders.get_mut(&sender)?;
        let removed = if let Some(t) = txs.pending.remove(&nonce) {
            self.pending_count -= 1;
            Some(t)
        } else if let Some(t) = txs.queued.remove(&nonce) {
            self.queued_count -= 1;
            Some(t)
        } else {
            None
        };
        if let Some(t) = &removed {
            self.by_hash.remove(&t.hash);
        }
        if txs.is_empty() {
            self.senders.remove(&sender);
        }
        removed
    }

    /// Re-checks a sender's pending run against its state: the run must start at the account's
    /// nonce and stay contiguous and affordable. Breaks in the run go back to the queue;
    /// transactions the account cannot pay are dropped.
    fn demote(&mut self, sender: AccountIndex, state: SenderState, dropped: &mut Vec<Dropped>) {
        let Some(txs) = self.senders.get_mut(&sender) else {
            return;
        };
        let mut expected = state.nonce;
        let mut spent: Balance = 0;
        let mut demoted = Vec::new();
        let mut unaffordable = Vec::new();
        for (nonce, t) in txs.pending.iter() {
            if *nonce != expected {
                demoted.push(*nonce);
                continue;
            }
            let after = spent.saturating_add(t.cost());
            if after > state.balance {
                unaffordable.push(*nonce);
                // Everything after an unaffordable transaction has a gap before it.
                expected = Nonce::MAX;
                continue;
            }
            spent = after;
            expected = expected.saturating_add(1);
        }
        for nonce in demoted {
            if let Some(t) = txs.pending.remove(&nonce) {
                txs.queued.insert(nonce, t);
                self.pending_count -= 1;
                self.queued_count += 1;
            }
        }
        for nonce in unaffordable {
            if let Some(t) = self.remove(sender, nonce) {
                dropped.push(Dropped {
                    hash: t.hash,
                    reason: DropReason::InsufficientBalance,
                });
            }
        }
    }

    /// Moves queued transactions that continue the pending run into it, while limits and the
    /// balance allow.
    fn promote(&mut self, sender: AccountIndex, state: SenderState) {
        let Some(txs) = self.senders.get_mut(&sender) else {
            return;
        };
        let mut spent = txs.pending_cost();
        loop {
            let next = txs.next_pending_nonce(state);
            if txs.pending.len() >= self.config.account_pending
                || self.pending_count >= self.config.global_pending
            {
                break;
            }
            let Some(t) = txs.queued.get(&next) else {
                break;
            };
            let after = spent.saturating_add(t.cost());
            if after > state.balance {
                break;
            }
            spent = after;
            let t = txs.queued.remove(&next).expect("present");
            txs.pending.insert(next, t);
            self.pending_count += 1;
            self.queued_count -= 1;
        }
    }
}
