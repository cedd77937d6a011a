//! Operations a batch applies: the sequencer's input ([`Op`]) and what pubdata records of each
//! ([`PubdataOp`]).

use crate::account::{AccountIndex, Balance, L1Address, TokenId};
use crate::babyjubjub::Point;
use crate::eddsa::{PublicKey, Signature};
use crate::tx::{Transfer, Withdraw};
use serde::{Deserialize, Serialize};

/// Op code of [`PubdataOp::Noop`].
pub const OP_NOOP: u8 = 0;
/// Op code of [`PubdataOp::Deposit`].
pub const OP_DEPOSIT: u8 = 1;
/// Op code of [`PubdataOp::Transfer`].
pub const OP_TRANSFER: u8 = crate::tx::TX_TYPE_TRANSFER;
/// Op code of [`PubdataOp::TransferToNew`].
pub const OP_TRANSFER_TO_NEW: u8 = 3;
/// Op code of [`PubdataOp::Withdraw`].
pub const OP_WITHDRAW: u8 = crate::tx::TX_TYPE_WITHDRAW;
/// Op code of [`PubdataOp::ForcedExit`].
pub const OP_FORCED_EXIT: u8 = 5;

/// A deposit from the L1 priority queue, routed by the sequencer to an account index: an existing
/// account with the same key and token, or an empty leaf that the deposit opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deposit {
    /// Receiving account.
    pub to: AccountIndex,
    /// Token deposited.
    pub token: TokenId,
    /// Amount deposited (the L1 contract caps it at 2^128 - 1).
    #[serde(with = "crate::serde_u128")]
    pub amount: Balance,
    /// Owner key, as given on L1. The contract checks it is a curve point; a key outside the
    /// prime-order subgroup can never sign, but its L1 address can still force an exit.
    pub public_key: Point,
    /// L1 address recorded when the deposit opens the account.
    pub l1_address: L1Address,
}

/// A forced exit from the L1 priority queue: `requester` asks for the whole balance of `index`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForcedExit {
    /// Account to empty.
    pub index: AccountIndex,
    /// Token the requester expects the account to hold.
    pub token: TokenId,
    /// The L1 sender of the request; it must be the account's L1 address for the exit to pay.
    pub requester: L1Address,
}

/// One operation as the sequencer submits it to the state transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Padding.
    Noop,
    /// A deposit (L1 priority operation).
    Deposit(Deposit),
    /// A signed transfer, routed to account `to` (existing account of the recipient key and
    /// token, or an empty leaf to open).
    Transfer {
        /// Receiving account chosen by the sequencer.
        to: AccountIndex,
        /// The transfer.
        transfer: Transfer,
        /// Sender's signature.
        signature: Signature,
    },
    /// A signed withdrawal.
    Withdraw {
        /// The withdrawal.
        withdraw: Withdraw,
        /// Sender's signature.
        signature: Signature,
    },
    /// A forced exit (L1 priority operation).
    ForcedExit(ForcedExit),
}

/// What pubdata records of an applied operation: enough to replay it without signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum PubdataOp {
    /// Padding.
    Noop,
    /// Deposit into `to`, opening it with `public_key` and `l1_address` if it is empty.
    Deposit {
        /// Receiving account.
        to: AccountIndex,
        /// Token.
        token: TokenId,
        /// Amount.
        #[serde(with = "crate::serde_u128")]
        amount: Balance,
        /// Owner key (used only when opening).
        public_key: Point,
        /// L1 address (used only when opening).
        l1_address: L1Address,
    },
    /// Transfer between existing accounts.
    Transfer {
        /// Sender.
        from: AccountIndex,
        /// Recipient.
        to: AccountIndex,
        /// Amount (packable).
        #[serde(with = "crate::serde_u128")]
        amount: Balance,
        /// Fee (packable).
        #[serde(with = "crate::serde_u128")]
        fee: Balance,
    },
    /// Transfer opening the recipient's account.
    TransferToNew {
        /// Sender.
        from: AccountIndex,
        /// The empty leaf opened.
        to: AccountIndex,
        /// Amount (packable).
        #[serde(with = "crate::serde_u128")]
        amount: Balance,
        /// Fee (packable).
        #[serde(with = "crate::serde_u128")]
        fee: Balance,
        /// Recipient key.
        to_public_key: PublicKey,
        /// Recipient L1 address (zero: none).
        to_l1_address: L1Address,
    },
    /// Withdrawal to L1.
    Withdraw {
        /// Sender.
        from: AccountIndex,
        /// Token (the account's).
        token: TokenId,
        /// Amount, full precision.
        #[serde(with = "crate::serde_u128")]
        amount: Balance,
        /// Fee (packable).
        #[serde(with = "crate::serde_u128")]
        fee: Balance,
        /// L1 recipient.
        to_l1_address: L1Address,
    },
    /// Forced exit: `amount` is the whole balance paid to `l1_address`, or 0 if the request was
    /// not the account owner's.
    ForcedExit {
        /// Account.
        index: AccountIndex,
        /// Requested token.
        token: TokenId,
        /// Amount paid out (0 for a refused request).
        #[serde(with = "crate::serde_u128")]
        amount: Balance,
        /// The requester, who is paid.
        l1_address: L1Address,
    },
}

impl PubdataOp {
    /// The op code byte.
    pub fn code(&self) -> u8 {
        match self {
            PubdataOp::Noop => OP_NOOP,
            PubdataOp::Deposit { .. } => OP_DEPOSIT,
            PubdataOp::Transfer { .. } => OP_TRANSFER,
            PubdataOp::TransferToNew { .. } => OP_TRANSFER_TO_NEW,
            PubdataOp::Withdraw { .. } => OP_WITHDRAW,
            PubdataOp::ForcedExit { .. } => OP_FORCED_EXIT,
        }
    }

    /// The fee paid, if any.
    pub fn fee(&self) -> Balance {
        match self {
            PubdataOp::Transfer { fee, .. }
            | PubdataOp::TransferToNew { fee, .. }
            | PubdataOp::Withdraw { fee, .. } => *fee,
            _ => 0,
        }
    }

    /// Whether the op comes from the L1 priority queue.
    pub fn is_priority(&self) -> bool {
        matches!(
            self,
            PubdataOp::Deposit { .. } | PubdataOp::ForcedExit { .. }
        )
    }
}
