//! JSON-RPC error codes. Standard JSON-RPC codes (-32700 parse error, -32600 invalid request,
//! -32601 unknown method, -32602 invalid params, -32603 internal) keep their meaning; the
//! zksettle codes below say why a transaction was refused. `docs/operations.md` lists them.

use crate::mempool::PoolError;
use crate::state::SubmitError;
use jsonrpsee::types::ErrorObjectOwned;
use zksettle_core::stf::OpError;

/// The signature does not verify for the sender's key.
pub const BAD_SIGNATURE: i32 = 1001;
/// The nonce was already used.
pub const NONCE_TOO_LOW: i32 = 1002;
/// The nonce is further ahead than the pool keeps.
pub const NONCE_TOO_HIGH: i32 = 1003;
/// The sender cannot pay amount plus fee (after its pending transactions).
pub const INSUFFICIENT_BALANCE: i32 = 1004;
/// The sending account does not exist (or the index is out of range).
pub const UNKNOWN_ACCOUNT: i32 = 1005;
/// The token is not the account's, or fees cannot be paid in it.
pub const UNKNOWN_TOKEN: i32 = 1006;
/// The amount or fee has no exact packed form.
pub const NOT_PACKABLE: i32 = 1007;
/// The pool (or the sender's share of it) is full.
pub const MEMPOOL_FULL: i32 = 1008;
/// The transaction is already in the pool.
pub const ALREADY_KNOWN: i32 = 1009;
/// A transaction with this nonce is pooled and the new fee is not enough higher.
pub const REPLACEMENT_UNDERPRICED: i32 = 1010;
/// Another protocol rule is broken (recipient key, missing L1 address, ...).
pub const INVALID_TRANSACTION: i32 = 1011;
/// The node could not store the transaction; it was not accepted.
pub const STORAGE: i32 = 1012;
/// The requested item does not exist.
pub const NOT_FOUND: i32 = 1013;
/// The node is shutting down; try again later or elsewhere.
pub const SHUTTING_DOWN: i32 = 1014;

/// The code of a refusal.
pub fn code(e: &SubmitError) -> i32 {
    match e {
        SubmitError::Invalid(op) => match op {
            OpError::BadSignature(_) => BAD_SIGNATURE,
            OpError::NonceTooLow { .. } | OpError::NonceExhausted => NONCE_TOO_LOW,
            OpError::NonceTooHigh { .. } => NONCE_TOO_HIGH,
            OpError::InsufficientBalance { .. } => INSUFFICIENT_BALANCE,
            OpError::UnknownAccount(_) | OpError::InvalidAccountIndex(_) => UNKNOWN_ACCOUNT,
            OpError::TokenMismatch { .. } | OpError::NoFeeRecipient(_) => UNKNOWN_TOKEN,
            OpError::AmountNotPackable(_) | OpError::FeeNotPackable(_) => NOT_PACKABLE,
            OpError::Storage(_) => STORAGE,
            _ => INVALID_TRANSACTION,
        },
        SubmitError::Pool(pool) => match pool {
            PoolError::AlreadyKnown => ALREADY_KNOWN,
            PoolError::NonceTooLow { .. } => NONCE_TOO_LOW,
            PoolError::NonceTooHigh { .. } => NONCE_TOO_HIGH,
            PoolError::ReplacementUnderpriced { .. } => REPLACEMENT_UNDERPRICED,
            PoolError::InsufficientBalance { .. } => INSUFFICIENT_BALANCE,
            PoolError::AccountFull | PoolError::PoolFull => MEMPOOL_FULL,
        },
        SubmitError::Storage(_) => STORAGE,
        SubmitError::ShuttingDown => SHUTTING_DOWN,
    }
}

/// A short label of a refusal, for the `reason` label of the rejection counter.
pub fn error_reason(e: &SubmitError) -> &'static str {
    match code(e) {
        BAD_SIGNATURE => "bad_signature",
        NONCE_TOO_LOW => "nonce_too_low",
        NONCE_TOO_HIGH => "nonce_too_high",
        INSUFFICIENT_BALANCE => "insufficient_balance",
        UNKNOWN_ACCOUNT => "unknown_account",
        UNKNOWN_TOKEN => "unknown_token",
        NOT_PACKABLE => "not_packable",
        MEMPOOL_FULL => "mempool_full",
        ALREADY_KNOWN => "already_known",
        REPLACEMENT_UNDERPRICED => "replacement_underpriced",
        STORAGE => "storage",
        SHUTTING_DOWN => "shutting_down",
        _ => "invalid",
    }
}

/// The JSON-RPC error of a refusal.
pub fn submit_error(e: &SubmitError) -> ErrorObjectOwned {
    let message = match e {
        // The cause is the operator's to fix and the client's to know (a full disk, say).
        SubmitError::Storage(_) => crate::ErrorChain(e).to_string(),
        _ => e.to_string(),
    };
    ErrorObjectOwned::owned(code(e), message, None::<()>)
}

/// A "not found" error.
pub fn not_found(what: impl std::fmt::Display) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(NOT_FOUND, format!("{what} not found"), None::<()>)
}

/// An internal error: a broken invariant of the node itself.
pub fn internal_invariant(what: &'static str) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(
        jsonrpsee::types::error::INTERNAL_ERROR_CODE,
        what,
        None::<()>,
    )
}

/// An internal error (storage, chain), with its causes.
pub fn internal(e: impl std::error::Error) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(
        jsonrpsee::types::error::INTERNAL_ERROR_CODE,
        crate::ErrorChain(&e).to_string(),
        None::<()>,
    )
}
