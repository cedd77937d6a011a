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
    pub(crate) token: TokenId,
    /// The recipient's balance as of the last applied op (fees not yet added).
    pub(crate) balance: Balance,
    pub(crate) accrued: Balance,
}

/// Per-token fee accumulators, credited once at the end of the batch: one Merkle update per fee
/// token instead of one per transaction.
#[derive(Debug, Clone, Default)]
pub(crate) struct FeeLedger {
    pub(crate) slots: Vec<FeeSlot>,
}

impl FeeLedger {
    pub(crate) fn open<S: TreeStore>(
        tree: &AccountTree<S>,
        shape: &BatchShape,
        recipients: &[AccountIndex],
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
                Ok(Some(a)) if index.0 != 0 => a,
                Ok(_) | Err(crate::tree::TreeError::IndexOutOfRange { .. }) => {
                    return Err(BatchError::UnknownFeeRecipient(index))
                }
                Err(e) => return Err(e.into()),
            };
            if slots
                .iter()
                .any(|s| s.token == account.token || s.index == index)
            {
                return Err(BatchError::DuplicateFeeToken(account.token));
            }
            slots.push(FeeSlot {
                index,
                token: account.token,
                balance: account.balance,
                accrued: 0,
            });
        }
        Ok(FeeLedger { slots })
    }

    fn slot_for(&self, token: TokenId) -> Option<usize> {
        self.slots.iter().position(|s| s.token == token)
    }
}

/// The leaf writes of one op, in order, and the fee it accrues.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// `(index, before, after)`; a second write to the same index sees the first's `after`.
    pub(crate) writes: Vec<(AccountIndex, Option<Account>, Option<Account>)>,
    pub(crate) fee: Option<(usize, Balance)>,
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

fn fee_slot(
    fees: &FeeLedger,
    token: TokenId,
    fee: Balance,
) -> Result<Option<(usize, Balance)>, OpError> {
    if fee == 0 {
        return Ok(None);
    }
    let slot = fees.slot_for(token).ok_or(OpError::NoFeeRecipient(token))?;
    Ok(Some((slot, fee)))
}

/// The key a deposit's account gets: the deposited key if it can sign, else the identity, which
/// no signature verifies under. L1 only checks that a deposited key is a curve point (a subgroup
/// check there costs ~200k gas); an account with a locked key is still reachable by a forced exit
/// from its L1 address, and deposits add to it only from that same address.
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
            let before = tree.account(to)?;
            let key = deposit_key(public_key);
            let after = match before {
                None => Account::new(token, amount, key, l1_address),
                Some(a)
                    if a.public_key == key
                        && a.token == token
                        && (key.is_valid() || a.l1_address == l1_address) =>
                {
                    credit(to, &a, amount)?
                }
                Some(_) => return Err(OpError::RecipientMismatch(to)),
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
            fee = fee_slot(fees, sender.token, op_fee)?;
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
            fee = fee_slot(fees, sender.token, op_fee)?;
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
            fee = fee_slot(fees, token, op_fee)?;
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
    check_fee_headroom(fees, &writes, fee)?;
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

/// Every fee recipient must be able to take its accrued fees at the end of the batch: its
/// balance after this op plus everything accrued (including this op's fee) stays below 2^128.
fn check_fee_headroom(
    fees: &FeeLedger,
    writes: &[(AccountIndex, Option<Account>, Option<Account>)],
    fee: Option<(usize, Balance)>,
) -> Result<(), OpError> {
    for (k, slot) in fees.slots.iter().enumerate() {
        let balance = writes
            .iter()
            .rev()
            .find(|(i, _, _)| *i == slot.index)
            .and_then(|(_, _, after)| after.map(|a| a.balance))
            .unwrap_or(slot.balance);
        let extra = match fee {
            Some((s, f)) if s == k => f,
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
    if let Some((slot, fee)) = plan.fee {
        fees.slots[slot].accrued += fee;
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

/// Credits every fee slot with what it accrued, in slot order.
pub(crate) fn settle_fees<S: TreeStore>(
    tree: &mut AccountTree<S>,
    fees: &FeeLedger,
) -> Result<Vec<super::witness::FeeWitness>, OpError> {
    let mut out = Vec::with_capacity(fees.slots.len());
    for slot in &fees.slots {
        let before = existing(tree, slot.index)?;
        let after = credit(slot.index, &before, slot.accrued)?;
        let update = write_leaf(tree, slot.index, Some(before), Some(after))?;
        out.push(super::witness::FeeWitness {
            token: slot.token,
            total: slot.accrued,
            update,
        });
    }
    Ok(out)
}
