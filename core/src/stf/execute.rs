//! State-level execution of a [`PubdataOp`], shared by the sequencer's path (after it has checked
//! signatures and nonces) and the replay path (which has only pubdata). Every check that depends
//! on the state is here, so both paths accept exactly the same transitions.

use super::error::{BatchError, OpError};
use super::witness::LeafUpdate;
use crate::account::{Account, AccountIndex, Balance, TokenId};
use crate::babyjubjub::Point;
use crate::eddsa::PublicKey;
use crate::op::PubdataOp;
use crate::pubdata::BatchShape;
use crate::tree::{AccountTree, TreeStore};

/// A fee recipient and what it has accrued in this batch.
#[derive(Debug, Clone)]
pub(crate) struct FeeSlot {
    pub(crate) index: AccountIndex,
    /// The recipient's token, once the recipient exists (it may be opened within the batch).
    pub(crate) token: Option<TokenId>,
    /// The recipient's balance as of the last applied op (fees not yet added).
    pub(crate) balance: Balance,
    pub(crate) accrued: Balance,
}

/// How strictly fees are matched to recipients while the ops are applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FeeMode {
    /// The sequencer building a batch: an op with a fee needs a recipient of its token that
    /// exists when the op is applied, and may not leave any recipient unable to take its fees
    /// were the batch to end there. Batches built so are valid however they are cut.
    Build,
    /// Replay of a proven batch: only the validity rule of protocol §8, which the circuit
    /// enforces, is checked, after the last op. Fees without a recipient yet wait for it.
    Validate,
}

/// Per-token fee accumulators, credited once at the end of the batch: one Merkle update per fee
/// token instead of one per transaction.
#[derive(Debug, Clone)]
pub(crate) struct FeeLedger {
    pub(crate) slots: Vec<FeeSlot>,
    mode: FeeMode,
    /// [`FeeMode::Validate`]: fees of tokens no recipient held yet when they were paid.
    waiting: Vec<(TokenId, Balance)>,
}

/// Where an op's fee goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FeeTarget {
    /// Fee slot `k` (whose recipient holds the fee's token).
    Slot(usize, TokenId),
    /// No recipient of the token exists yet ([`FeeMode::Validate`] only).
    Waiting(TokenId),
}

impl FeeLedger {
    /// The batch's fee slots. Each recipient must be a valid index, named once; a recipient
    /// that does not exist yet is allowed (it may be opened by the batch), and is checked when
    /// the fees are credited.
    pub(crate) fn open<S: TreeStore>(
        tree: &AccountTree<S>,
        shape: &BatchShape,
        recipients: &[AccountIndex],
        mode: FeeMode,
    ) -> Result<Self, BatchError> {
        if recipients.len() > shape.fee_slots {
            return Err(BatchError::TooManyFeeRecipients {
                given: recipients.len(),
                slots: shape.fee_slots,
            });
        }
        let mut slots: Vec<FeeSlot> = Vec::with_capacity(recipients.len());
        for &index in recipients {
            let account = match tree.account(index) {
                Ok(account) if index.0 != 0 => account,
                Ok(_) | Err(crate::tree::TreeError::IndexOutOfRange { .. }) => {
                    return Err(BatchError::UnknownFeeRecipient(index))
                }
                Err(e) => return Err(e.into()),
            };
            if slots.iter().any(|s| s.index == index) {
                return Err(BatchError::DuplicateFeeRecipient(index));
            }
            if let Some(a) = account {
                if slots.iter().any(|s| s.token == Some(a.token)) {
                    return Err(BatchError::DuplicateFeeToken(a.token));
                }
            }
            slots.push(FeeSlot {
                index,
                token: account.map(|a| a.token),
                balance: account.map_or(0, |a| a.balance),
                accrued: 0,
            });
        }
        Ok(FeeLedger {
            slots,
            mode,
            waiting: Vec::new(),
        })
    }

    /// The slot whose recipient holds `token` now: one that already took fees of it, or one
    /// opened since (a recipient may be opened within the batch).
    fn slot_for<S: TreeStore>(
        &self,
        tree: &AccountTree<S>,
        token: TokenId,
    ) -> Result<Option<usize>, OpError> {
        if let Some(k) = self.slots.iter().position(|s| s.token == Some(token)) {
            return Ok(Some(k));
        }
        for (k, slot) in self.slots.iter().enumerate() {
            if slot.token.is_none() && tree.account(slot.index)?.is_some_and(|a| a.token == token) {
                return Ok(Some(k));
            }
        }
        Ok(None)
    }
}

/// The leaf writes of one op, in order, and the fee it accrues.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// `(index, before, after)`; a second write to the same index sees the first's `after`.
    pub(crate) writes: Vec<(AccountIndex, Option<Account>, Option<Account>)>,
    pub(crate) fee: Option<(FeeTarget, Balance)>,
}

fn check_index<S: TreeStore>(tree: &AccountTree<S>, index: AccountIndex) -> Result<(), OpError> {
    if index.0 == 0 || u64::from(index.0) >= tree.capacity() {
        return Err(OpError::InvalidAccountIndex(index));
    }
    Ok(())
}

fn existing<S: TreeStore>(tree: &AccountTree<S>, index: AccountIndex) -> Result<Account, OpError> {
    check_index(tree, index)?;
    tree.account(index)?.ok_or(OpError::UnknownAccount(index))
}

/// Debits `amount + fee` and bumps the nonce.
fn debit(sender: &Account, amount: Balance, fee: Balance) -> Result<Account, OpError> {
    let required = amount
        .checked_add(fee)
        .filter(|r| *r <= sender.balance)
        .ok_or(OpError::InsufficientBalance {
            balance: sender.balance,
            required: amount.saturating_add(fee),
        })?;
    let nonce = sender.nonce.checked_add(1).ok_or(OpError::NonceExhausted)?;
    Ok(Account {
        balance: sender.balance - required,
        nonce,
        ..*sender
    })
}

fn credit(index: AccountIndex, account: &Account, amount: Balance) -> Result<Account, OpError> {
    let balance = account
        .balance
        .checked_add(amount)
        .ok_or(OpError::BalanceOverflow(index))?;
    Ok(Account {
        balance,
        ..*account
    })
}

fn fee_slot<S: TreeStore>(
    tree: &AccountTree<S>,
    fees: &FeeLedger,
    token: TokenId,
    fee: Balance,
) -> Result<Option<(FeeTarget, Balance)>, OpError> {
    if fee == 0 {
        return Ok(None);
    }
    let target = match (fees.slot_for(tree, token)?, fees.mode) {
        (Some(k), _) => FeeTarget::Slot(k, token),
        (None, FeeMode::Validate) => FeeTarget::Waiting(token),
        (None, FeeMode::Build) => return Err(OpError::NoFeeRecipient(token)),
    };
    Ok(Some((target, fee)))
}

/// The key a deposit's account gets: the deposited key if it can sign, else the identity, which
/// no signature verifies under. L1 only checks that a deposited key is a curve point (a subgroup
/// check there costs ~200k gas); an account with a locked key is still reachable by a forced exit
/// from its L1 address, and deposits add to it only from that same address (as to every account).
pub(crate) fn deposit_key(public_key: Point) -> PublicKey {
    let key = PublicKey(public_key);
    if key.is_valid() {
        key
    } else {
        PublicKey(Point::IDENTITY)
    }
}

/// Checks every state-dependent rule of `op` and returns the writes it makes, changing nothing.
pub(crate) fn plan<S: TreeStore>(
    tree: &AccountTree<S>,
    fees: &FeeLedger,
    op: &PubdataOp,
) -> Result<Plan, OpError> {
    let mut writes = Vec::with_capacity(2);
    let mut fee = None;
    match *op {
        PubdataOp::Noop => {}
        PubdataOp::Deposit {
            to,
            token,
            amount,
            public_key,
            l1_address,
        } => {
            check_index(tree, to)?;
            if l1_address.is_zero() {
                return Err(OpError::MissingL1Address);
            }
            let before = tree.account(to)?;
            let key = deposit_key(public_key);
            let after = match before {
                None => Account::new(token, amount, key, l1_address),
                Some(a) if a.public_key != key || a.token != token => {
                    return Err(OpError::RecipientMismatch(to))
                }
                Some(a) if a.l1_address != l1_address => {
                    return Err(OpError::ExitAddressMismatch(to))
                }
                Some(a) => credit(to, &a, amount)?,
            };
            writes.push((to, before, Some(after)));
        }
        PubdataOp::Transfer {
            from,
            to,
            amount,
            fee: op_fee,
        } => {
            let sender = existing(tree, from)?;
            let sender_after = debit(&sender, amount, op_fee)?;
            check_index(tree, to)?;
            let receiver = if to == from {
                Some(sender_after)
            } else {
                tree.account(to)?
            };
            let receiver = match receiver {
                Some(r) if r.token == sender.token => r,
                Some(_) => return Err(OpError::RecipientMismatch(to)),
                None => return Err(OpError::UnknownAccount(to)),
            };
            fee = fee_slot(tree, fees, sender.token, op_fee)?;
            writes.push((from, Some(sender), Some(sender_after)));
            writes.push((to, Some(receiver), Some(credit(to, &receiver, amount)?)));
        }
        PubdataOp::TransferToNew {
            from,
            to,
            amount,
            fee: op_fee,
            to_public_key,
            to_l1_address,
        } => {
            let sender = existing(tree, from)?;
            let sender_after = debit(&sender, amount, op_fee)?;
            check_index(tree, to)?;
            if tree.account(to)?.is_some() {
                return Err(OpError::AccountExists(to));
            }
            if to_l1_address.is_zero() {
                return Err(OpError::MissingL1Address);
            }
            fee = fee_slot(tree, fees, sender.token, op_fee)?;
            writes.push((from, Some(sender), Some(sender_after)));
            writes.push((
                to,
                None,
                Some(Account::new(
                    sender.token,
                    amount,
                    to_public_key,
                    to_l1_address,
                )),
            ));
        }
        PubdataOp::Withdraw {
            from,
            token,
            amount,
            fee: op_fee,
            to_l1_address,
        } => {
            let sender = existing(tree, from)?;
            if sender.token != token {
                return Err(OpError::TokenMismatch {
                    account: sender.token,
                    tx: token,
                });
            }
            if to_l1_address.is_zero() {
                return Err(OpError::MissingL1Address);
            }
            let sender_after = debit(&sender, amount, op_fee)?;
            fee = fee_slot(tree, fees, token, op_fee)?;
            writes.push((from, Some(sender), Some(sender_after)));
        }
        PubdataOp::ForcedExit {
            index,
            token,
            amount,
            l1_address,
        } => {
            check_index(tree, index)?;
            let before = tree.account(index)?;
            let expected = forced_exit_amount(before.as_ref(), token, l1_address);
            if amount != expected {
                return Err(OpError::ForcedExitAmount {
                    expected,
                    got: amount,
                });
            }
            let after = before.map(|a| Account {
                balance: a.balance - amount,
                ..a
            });
            writes.push((index, before, after));
        }
    }
    if fees.mode == FeeMode::Build {
        check_fee_headroom(fees, &writes, fee)?;
    }
    Ok(Plan { writes, fee })
}

/// What a forced exit pays: the whole balance if the requester is the account's (non-zero) L1
/// address and the token matches, otherwise nothing (the request is consumed either way).
pub(crate) fn forced_exit_amount(
    account: Option<&Account>,
    token: TokenId,
    requester: crate::account::L1Address,
) -> Balance {
    match account {
        Some(a) if a.token == token && a.l1_address == requester && !requester.is_zero() => {
            a.balance
        }
        _ => 0,
    }
}

/// [`FeeMode::Build`]: every fee recipient must be able to take its accrued fees were the batch
/// to end after this op: its balance after this op plus everything accrued (including this op's
/// fee) stays below 2^128. Validity asks this only after the last op (protocol §8); checking it
/// at every op keeps a batch being built valid whatever op comes next.
fn check_fee_headroom(
    fees: &FeeLedger,
    writes: &[(AccountIndex, Option<Account>, Option<Account>)],
    fee: Option<(FeeTarget, Balance)>,
) -> Result<(), OpError> {
    for (k, slot) in fees.slots.iter().enumerate() {
        let balance = writes
            .iter()
            .rev()
            .find(|(i, _, _)| *i == slot.index)
            .and_then(|(_, _, after)| after.map(|a| a.balance))
            .unwrap_or(slot.balance);
        let extra = match fee {
            Some((FeeTarget::Slot(s, _), f)) if s == k => f,
            _ => 0,
        };
        balance
            .checked_add(slot.accrued)
            .and_then(|b| b.checked_add(extra))
            .ok_or(OpError::FeeRecipientOverflow(slot.index))?;
    }
    Ok(())
}

/// Applies a checked plan to the tree, recording a witness for every write.
pub(crate) fn apply<S: TreeStore>(
    tree: &mut AccountTree<S>,
    fees: &mut FeeLedger,
    plan: Plan,
) -> Result<Vec<LeafUpdate>, OpError> {
    let mut updates = Vec::with_capacity(plan.writes.len());
    for (index, before, after) in plan.writes {
        updates.push(write_leaf(tree, index, before, after)?);
        if let Some(slot) = fees.slots.iter_mut().find(|s| s.index == index) {
            slot.balance = after.map_or(0, |a| a.balance);
        }
    }
    match plan.fee {
        Some((FeeTarget::Slot(k, token), fee)) => {
            let slot = &mut fees.slots[k];
            slot.token = Some(token);
            // Below 2^128 · chunks: in Build mode the headroom check bounds it; in Validate
            // mode the final credit is checked.
            slot.accrued = slot.accrued.saturating_add(fee);
        }
        Some((FeeTarget::Waiting(token), fee)) => {
            match fees.waiting.iter_mut().find(|w| w.0 == token) {
                Some(w) => w.1 = w.1.saturating_add(fee),
                None => fees.waiting.push((token, fee)),
            }
        }
        None => {}
    }
    Ok(updates)
}

pub(crate) fn write_leaf<S: TreeStore>(
    tree: &mut AccountTree<S>,
    index: AccountIndex,
    before: Option<Account>,
    after: Option<Account>,
) -> Result<LeafUpdate, OpError> {
    let path = tree.merkle_path(index)?;
    let root_before = tree.root()?;
    let root_after = if before == after {
        root_before
    } else {
        tree.set_account(index, after)?
    };
    Ok(LeafUpdate {
        index,
        before,
        after,
        path,
        root_before,
        root_after,
    })
}

/// Credits every fee slot with what it accrued, in slot order (protocol §8): each recipient must
/// exist now, recipients hold distinct tokens, fees that waited for a recipient go to the one of
/// their token, every fee found a recipient, and no credit passes 2^128 − 1. `ops` is the
/// number of ops applied (the position errors after the last op are reported at).
pub(crate) fn settle_fees<S: TreeStore>(
    tree: &mut AccountTree<S>,
    fees: &FeeLedger,
    ops: usize,
) -> Result<Vec<super::witness::FeeWitness>, BatchError> {
    let after_last = |error| BatchError::Replay {
        position: ops,
        error,
    };
    let mut waiting = fees.waiting.clone();
    let mut credited: Vec<TokenId> = Vec::with_capacity(fees.slots.len());
    let mut out = Vec::with_capacity(fees.slots.len());
    for slot in &fees.slots {
        let before = match existing(tree, slot.index) {
            Ok(account) => account,
            Err(OpError::UnknownAccount(index) | OpError::InvalidAccountIndex(index)) => {
                return Err(BatchError::UnknownFeeRecipient(index))
            }
            Err(other) => return Err(after_last(other)),
        };
        if credited.contains(&before.token) {
            return Err(BatchError::DuplicateFeeToken(before.token));
        }
        credited.push(before.token);
        let late = waiting
            .iter()
            .position(|w| w.0 == before.token)
            .map_or(0, |k| waiting.swap_remove(k).1);
        let total = slot
            .accrued
            .checked_add(late)
            .filter(|t| before.balance.checked_add(*t).is_some())
            .ok_or(after_last(OpError::FeeRecipientOverflow(slot.index)))?;
        let after = credit(slot.index, &before, total).map_err(after_last)?;
        let update = write_leaf(tree, slot.index, Some(before), Some(after)).map_err(after_last)?;
        out.push(super::witness::FeeWitness {
            token: before.token,
            total,
            update,
        });
    }
    if let Some((token, _)) = waiting.first() {
        return Err(after_last(OpError::NoFeeRecipient(*token)));
    }
    Ok(out)
}
