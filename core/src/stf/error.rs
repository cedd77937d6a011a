//! Why an operation or a batch is refused.

use crate::account::{AccountIndex, Balance, Nonce, TokenId};
use crate::amount::PackError;
use crate::eddsa::SignatureError;
use crate::pubdata::PubdataError;
use crate::tree::{StorageFailure, TreeError};

/// Why one operation was rejected. A rejected op changes nothing and is left out of the batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpError {
    /// Index 0 (reserved) or an index beyond the tree.
    #[error("invalid account index {0}")]
    InvalidAccountIndex(AccountIndex),
    /// The sending (or exiting) account does not exist.
    #[error("unknown account {0}")]
    UnknownAccount(AccountIndex),
    /// The transaction's token is not the account's.
    #[error("account holds token {account}, transaction names token {tx}")]
    TokenMismatch {
        /// The account's token.
        account: TokenId,
        /// The token in the transaction.
        tx: TokenId,
    },
    /// The signature does not verify for the sending account's key.
    #[error("bad signature: {0}")]
    BadSignature(SignatureError),
    /// The nonce was already used.
    #[error("nonce too low: account is at {expected}, transaction has {got}")]
    NonceTooLow {
        /// The account's nonce.
        expected: Nonce,
        /// The transaction's nonce.
        got: Nonce,
    },
    /// The nonce is ahead of the account's.
    #[error("nonce too high: account is at {expected}, transaction has {got}")]
    NonceTooHigh {
        /// The account's nonce.
        expected: Nonce,
        /// The transaction's nonce.
        got: Nonce,
    },
    /// The account has used every nonce.
    #[error("account nonce is exhausted")]
    NonceExhausted,
    /// Balance below amount + fee.
    #[error("insufficient balance: have {balance}, need {required}")]
    InsufficientBalance {
        /// Current balance.
        balance: Balance,
        /// Amount plus fee (saturated at 2^128 - 1).
        required: Balance,
    },
    /// The credit would take a balance to 2^128 or beyond.
    #[error("balance of account {0} would overflow")]
    BalanceOverflow(AccountIndex),
    /// Amount not representable in 24-bit packing.
    #[error("amount not packable: {0}")]
    AmountNotPackable(PackError),
    /// Fee not representable in 16-bit packing.
    #[error("fee not packable: {0}")]
    FeeNotPackable(PackError),
    /// A non-zero fee in a token no fee recipient of this batch holds.
    #[error("no fee recipient for token {0} in this batch")]
    NoFeeRecipient(TokenId),
    /// Accrued fees would overflow the fee recipient's balance.
    #[error("fees would overflow the balance of fee recipient {0}")]
    FeeRecipientOverflow(AccountIndex),
    /// The receiving account exists but belongs to another key or token.
    #[error("account {0} belongs to another key or token")]
    RecipientMismatch(AccountIndex),
    /// The leaf a transfer was to open is already in use.
    #[error("account {0} already exists")]
    AccountExists(AccountIndex),
    /// The recipient key is not a point of the prime-order subgroup.
    #[error("recipient key is not a valid public key")]
    InvalidRecipientKey,
    /// A withdrawal, deposit or transfer that names no L1 address (zero). Every account holding
    /// value has a non-zero exit address (protocol §4), and a withdrawal needs a recipient.
    #[error("the operation needs a non-zero L1 address")]
    MissingL1Address,
    /// The recipient account exists but its exit address is not the one the transaction or
    /// deposit names: an account is the (key, token, exit address) its funds were sent to, so
    /// nobody's funds land in an account whose exit address they did not choose.
    #[error("account {0} has another exit address than the one named")]
    ExitAddressMismatch(AccountIndex),
    /// A forced exit in pubdata pays another amount than the state allows.
    #[error("forced exit must pay {expected}, pubdata says {got}")]
    ForcedExitAmount {
        /// The balance (or 0 for a refused request).
        expected: Balance,
        /// The amount recorded.
        got: Balance,
    },
    /// Not enough chunks left in the batch.
    #[error("op needs {needed} chunks, {left} left in the batch")]
    ExceedsBatchCapacity {
        /// Chunks the op occupies.
        needed: usize,
        /// Chunks left.
        left: usize,
    },
    /// The tree failed underneath (storage); the op was not applied.
    #[error("the account tree's storage failed")]
    Storage(#[source] StorageFailure),
}

/// Why a whole batch was refused; the tree is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// More fee recipients than the shape has slots.
    #[error("{given} fee recipients for {slots} slots")]
    TooManyFeeRecipients {
        /// Recipients given.
        given: usize,
        /// Slots in the shape.
        slots: usize,
    },
    /// A fee recipient is index 0 or beyond the tree, or does not exist when the fees are
    /// credited after the last op.
    #[error("fee recipient {0} does not exist")]
    UnknownFeeRecipient(AccountIndex),
    /// One account named in two fee slots.
    #[error("fee recipient {0} is named twice")]
    DuplicateFeeRecipient(AccountIndex),
    /// Two fee recipients hold the same token (or are the same account).
    #[error("two fee recipients for token {0}")]
    DuplicateFeeToken(TokenId),
    /// The tree shape and the batch shape disagree.
    #[error("tree depth {tree} does not match batch shape depth {shape}")]
    DepthMismatch {
        /// Depth of the tree.
        tree: u8,
        /// Depth of the shape.
        shape: u8,
    },
    /// Pubdata failed to encode (a bug in the op validation) or decode (replay).
    #[error("pubdata: {0}")]
    Pubdata(#[from] PubdataError),
    /// An op in replayed pubdata does not apply.
    #[error("op {position} of the pubdata does not apply: {error}")]
    Replay {
        /// Position of the op in the batch.
        position: usize,
        /// Why.
        error: OpError,
    },
    /// Storage failed.
    #[error(transparent)]
    Tree(#[from] TreeError),
}

impl From<TreeError> for OpError {
    fn from(e: TreeError) -> Self {
        match e {
            TreeError::IndexOutOfRange { index, .. } => {
                OpError::InvalidAccountIndex(AccountIndex(index))
            }
            TreeError::ReservedIndex => OpError::InvalidAccountIndex(AccountIndex(0)),
            other => OpError::Storage(StorageFailure::new(other)),
        }
    }
}
