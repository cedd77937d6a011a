//! Turning what arrives (L1 priority operations, signed transactions) into the core's [`Op`]s:
//! the sequencer chooses the account index a deposit or transfer lands in.
//!
//! An account is the (key, token, exit address) triple its funds were sent to (protocol §4): a
//! deposit or transfer goes to the lowest index holding exactly that triple, never to an account
//! of the same key whose exit address someone else chose; otherwise the next never-used index
//! opens one. Accounts opened earlier in the same batch count as existing, so two deposits to
//! one new triple share its new account.

use std::collections::HashMap;
use zksettle_core::account::{AccountIndex, L1Address, TokenId};
use zksettle_core::babyjubjub::Point;
use zksettle_core::tree::{AccountTree, StorageFailure, TreeError, TreeStore};
use zksettle_core::{Deposit, ForcedExit, Op, PublicKey, SignedTx, Tx};
use zksettle_l1::PriorityOp;

/// Why an op could not be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// Every index of the tree is taken.
    #[error("the account tree is full")]
    TreeFull,
    /// A deposited key is not a curve point (the contract checks this; a mismatch means a
    /// different contract).
    #[error("deposit {serial} carries a key that is not a curve point")]
    BadDepositKey {
        /// Queue serial.
        serial: u64,
    },
    /// Storage failed.
    #[error("account tree storage")]
    Storage(#[source] StorageFailure),
}

impl From<TreeError> for RouteError {
    fn from(e: TreeError) -> Self {
        RouteError::Storage(StorageFailure::new(e))
    }
}

/// Chooses account indices for one batch.
pub struct Router<'a, S> {
    tree: &'a AccountTree<S>,
    opened: HashMap<([u8; 32], TokenId, L1Address), AccountIndex>,
    next_free: u64,
    last_opened: bool,
    /// What this batch's routed ops credit each account.
    credits: HashMap<AccountIndex, u128>,
}

impl<S> std::fmt::Debug for Router<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("opened", &self.opened.len())
            .field("next_free", &self.next_free)
            .finish_non_exhaustive()
    }
}

impl<'a, S: TreeStore> Router<'a, S> {
    /// A router over the state before the batch.
    pub fn new(tree: &'a AccountTree<S>) -> Result<Self, RouteError> {
        let next_free = u64::from(tree.highest_index()?.0) + 1;
        Ok(Router {
            tree,
            opened: HashMap::new(),
            next_free,
            last_opened: false,
            credits: HashMap::new(),
        })
    }

    /// Whether `index` can take `credit` more on top of its balance and this batch's credits.
    fn fits(&self, index: AccountIndex, credit: u128) -> Result<bool, RouteError> {
        let balance = self.tree.account(index)?.map_or(0, |a| a.balance);
        let credited = self.credits.get(&index).copied().unwrap_or(0);
        Ok(balance
            .checked_add(credited)
            .and_then(|b| b.checked_add(credit))
            .is_some())
    }

    /// The index for the account (`key`, `token`, exit address `l1`) that can take `credit`. The
    /// core credits an existing account only from its own exit address, so an account of the
    /// same key opened by someone else with their address is never a candidate. An account whose
    /// balance would pass 2^128 - 1 is passed over for a new one: the core refuses such a
    /// credit, and a refused deposit would stall the priority queue.
    fn route(
        &mut self,
        key: &PublicKey,
        token: TokenId,
        l1: L1Address,
        credit: u128,
    ) -> Result<AccountIndex, RouteError> {
        self.last_opened = false;
        let packed = key.pack();
        let mut found = None;
        if let Some(index) = self.opened.get(&(packed, token, l1)).copied() {
            if self.fits(index, credit)? {
                found = Some(index);
            }
        }
        if found.is_none() {
            for index in self.tree.accounts_by_key(key, token)? {
                let owner_matches = self
                    .tree
                    .account(index)?
                    .is_some_and(|a| a.l1_address == l1);
                if owner_matches && self.fits(index, credit)? {
                    found = Some(index);
                    break;
                }
            }
        }
        let index = match found {
            Some(index) => index,
            None => {
                if self.next_free >= self.tree.capacity() {
                    return Err(RouteError::TreeFull);
                }
                let index = AccountIndex(self.next_free as u32);
                self.next_free += 1;
                self.last_opened = true;
                self.opened.insert((packed, token, l1), index);
                index
            }
        };
        *self.credits.entry(index).or_default() += credit;
        Ok(index)
    }

    /// The op of a queued priority operation.
    pub fn priority(&mut self, op: &PriorityOp) -> Result<Op, RouteError> {
        Ok(match op {
            PriorityOp::Deposit {
                serial,
                token,
                amount,
                packed_key,
                l1_address,
                ..
            } => {
                let public_key = Point::unpack(packed_key)
                    .map_err(|_| RouteError::BadDepositKey { serial: *serial })?;
                // The core replaces a key that cannot sign by the identity; route as it stores.
                let stored = if PublicKey(public_key).is_valid() {
                    PublicKey(public_key)
                } else {
                    PublicKey(Point::IDENTITY)
                };
                let to = self.route(&stored, *token, *l1_address, *amount)?;
                Op::Deposit(Deposit {
                    to,
                    token: *token,
                    amount: *amount,
                    public_key,
                    l1_address: *l1_address,
                })
            }
            PriorityOp::ForcedExit {
                index,
                token,
                requester,
                ..
            } => Op::ForcedExit(ForcedExit {
                index: *index,
                token: *token,
                requester: *requester,
            }),
        })
    }

    /// The op of a signed transaction.
    pub fn transaction(&mut self, signed: &SignedTx) -> Result<Op, RouteError> {
        Ok(match signed.tx {
            Tx::Transfer(transfer) => Op::Transfer {
                to: self.route(
                    &transfer.to,
                    transfer.token,
                    transfer.to_l1_address,
                    transfer.amount,
                )?,
                transfer,
                signature: signed.signature,
            },
            Tx::Withdraw(withdraw) => Op::Withdraw {
                withdraw,
                signature: signed.signature,
            },
        })
    }

    /// Whether the last op routed opens a new account (a transfer that does is a
    /// transfer-to-new, which takes more chunks).
    pub fn last_opened(&self) -> bool {
        self.last_opened
    }

    /// Forgets an account this router opened for an op the batch then refused, so a later op
    /// does not route to an index that stays empty.
    pub fn forget(&mut self, op: &Op) {
        let to = match op {
            Op::Deposit(d) => d.to,
            Op::Transfer { to, .. } => *to,
            _ => return,
        };
        self.opened.retain(|_, index| *index != to);
        self.credits.remove(&to);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zksettle_core::{Account, MemoryStore, PrivateKey};

    fn key(n: u8) -> PublicKey {
        PrivateKey::from_bytes([n; 32]).public_key()
    }

    fn deposit(serial: u64, owner: u8, token: u32) -> PriorityOp {
        PriorityOp::Deposit {
            serial,
            token: TokenId(token),
            amount: 5,
            packed_key: key(owner).pack(),
            l1_address: L1Address([owner; 20]),
            expiry: 0,
        }
    }

    fn target(op: &Op) -> AccountIndex {
        match op {
            Op::Deposit(d) => d.to,
            Op::Transfer { to, .. } => *to,
            _ => panic!("no target"),
        }
    }

    #[test]
    fn existing_accounts_are_reused_and_new_ones_share_an_index_within_a_batch() {
        let mut tree = AccountTree::open(MemoryStore::new(), 4).unwrap();
        tree.set_account(
            AccountIndex(1),
            Some(Account::new(TokenId(0), 9, key(1), L1Address([1; 20]))),
        )
        .unwrap();
        let mut router = Router::new(&tree).unwrap();
        assert_eq!(
            target(&router.priority(&deposit(0, 1, 0)).unwrap()),
            AccountIndex(1)
        );
        // Same key, another token: a new account.
        assert_eq!(
            target(&router.priority(&deposit(1, 1, 1)).unwrap()),
            AccountIndex(2)
        );
        assert_eq!(
            target(&router.priority(&deposit(2, 2, 0)).unwrap()),
            AccountIndex(3)
        );
        assert_eq!(
            target(&router.priority(&deposit(3, 2, 0)).unwrap()),
            AccountIndex(3)
        );
        let transfer = Tx::Transfer(zksettle_core::Transfer {
            from: AccountIndex(1),
            token: TokenId(0),
            amount: 1,
            fee: 0,
            nonce: 0,
            to: key(2),
            to_l1_address: L1Address([2; 20]),
        })
        .sign(
            &PrivateKey::from_bytes([1; 32]),
            &zksettle_core::Domain {
                chain_id: 1,
                rollup: L1Address::default(),
            },
        );
        assert_eq!(
            target(&router.transaction(&transfer).unwrap()),
            AccountIndex(3)
        );
    }

    /// The critical finding of the December 2026 review: a stranger deposits 1 wei to Bob's key
    /// naming the stranger's own exit address, and every later deposit or transfer to Bob's key
    /// used to be routed into that account, which the stranger could then force out.
    #[test]
    fn funds_for_a_key_never_land_in_an_account_whose_exit_address_someone_else_chose() {
        let tree = AccountTree::open(MemoryStore::new(), 4).unwrap();
        let mut router = Router::new(&tree).unwrap();
        let bob = key(2);
        let deposit_from = |serial, l1: L1Address, amount| PriorityOp::Deposit {
            serial,
            token: TokenId(0),
            amount,
            packed_key: bob.pack(),
            l1_address: l1,
            expiry: 0,
        };
        let attacker = L1Address([0xee; 20]);
        let bob_l1 = L1Address([2; 20]);
        let planted = target(&router.priority(&deposit_from(0, attacker, 1)).unwrap());
        let bobs = target(&router.priority(&deposit_from(1, bob_l1, 5_000)).unwrap());
        assert_ne!(
            planted, bobs,
            "Bob's deposit went into the attacker's account"
        );
        // A payer who names Bob's exit address reaches Bob's account, not the planted one.
        let transfer = Tx::Transfer(zksettle_core::Transfer {
            from: AccountIndex(9),
            token: TokenId(0),
            amount: 1,
            fee: 0,
            nonce: 0,
            to: bob,
            to_l1_address: bob_l1,
        })
        .sign(
            &PrivateKey::from_bytes([1; 32]),
            &zksettle_core::Domain {
                chain_id: 1,
                rollup: L1Address::default(),
            },
        );
        assert_eq!(target(&router.transaction(&transfer).unwrap()), bobs);
    }

    #[test]
    fn a_deposit_that_would_overflow_an_account_opens_another() {
        let tree = AccountTree::open(MemoryStore::new(), 4).unwrap();
        let mut router = Router::new(&tree).unwrap();
        let big = |serial| PriorityOp::Deposit {
            serial,
            token: TokenId(0),
            amount: u128::MAX / 2 + 1,
            packed_key: key(1).pack(),
            l1_address: L1Address([1; 20]),
            expiry: 0,
        };
        assert_eq!(target(&router.priority(&big(0)).unwrap()), AccountIndex(1));
        assert_eq!(target(&router.priority(&big(1)).unwrap()), AccountIndex(2));
        // Later ones go to the newest account of the key that takes them.
        assert_eq!(
            target(&router.priority(&deposit(2, 1, 0)).unwrap()),
            AccountIndex(2)
        );
    }

    #[test]
    fn a_full_tree_is_a_typed_error() {
        // Depth 2: indices 1..=3 usable.
        let tree = AccountTree::open(MemoryStore::new(), 2).unwrap();
        let mut router = Router::new(&tree).unwrap();
        for owner in 1..=3 {
            router.priority(&deposit(0, owner, 0)).unwrap();
        }
        assert_eq!(
            router.priority(&deposit(0, 4, 0)),
            Err(RouteError::TreeFull)
        );
    }

    #[test]
    fn a_forgotten_account_index_is_not_reused_for_its_key() {
        let tree = AccountTree::open(MemoryStore::new(), 4).unwrap();
        let mut router = Router::new(&tree).unwrap();
        let op = router.priority(&deposit(0, 1, 0)).unwrap();
        router.forget(&op);
        // The index stays consumed (the router cannot know no later op used it), the key routes anew.
        assert_eq!(
            target(&router.priority(&deposit(1, 1, 0)).unwrap()),
            AccountIndex(2)
        );
    }
}
