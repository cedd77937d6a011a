//! Admission checks that need no lock: they read only what never changes once an account
//! exists (its key and token) and the deployment's fee tokens, so they run in parallel, outside
//! the state lock. Signatures are checked together ([`zksettle_core::eddsa::verify_batch`]).

use super::{storage, SequencerConfig, SequencerState, SubmitError};
use rayon::prelude::*;
use std::collections::HashSet;
use std::sync::{OnceLock, RwLock};
use zksettle_core::amount::{AMOUNT_FORMAT, FEE_FORMAT};
use zksettle_core::babyjubjub::Point;
use zksettle_core::eddsa::{verify_batch, BatchItem};
use zksettle_core::stf::OpError;
use zksettle_core::tree::TreeStore;
use zksettle_core::{Account, Fr, PublicKey, SignedTx, TokenId, Tx};

impl SequencerState {
    /// Checks a transaction against everything but its signature (see the module docs).
    pub fn check_unsigned<S: TreeStore>(
        store: &S,
        config: &SequencerConfig,
        fee_tokens: &[TokenId],
        signed: &SignedTx,
    ) -> Result<Account, SubmitError> {
        let tx = signed.tx;
        let from = tx.from();
        let capacity = 1u64 << config.genesis.shape.depth;
        if from.0 == 0 || u64::from(from.0) >= capacity {
            return Err(OpError::InvalidAccountIndex(from).into());
        }
        let sender = store
            .account(from)
            .map_err(storage)?
            .ok_or(OpError::UnknownAccount(from))?;
        if sender.token != tx.token() {
            return Err(OpError::TokenMismatch {
                account: sender.token,
                tx: tx.token(),
            }
            .into());
        }
        FEE_FORMAT.pack(tx.fee()).map_err(OpError::FeeNotPackable)?;
        if tx.fee() != 0 && !fee_tokens.contains(&tx.token()) {
            return Err(OpError::NoFeeRecipient(tx.token()).into());
        }
        match tx {
            Tx::Transfer(t) => {
                AMOUNT_FORMAT
                    .pack(t.amount)
                    .map_err(OpError::AmountNotPackable)?;
                if !recipient_key_is_valid(store, &t.to, tx.token())? {
                    return Err(OpError::InvalidRecipientKey.into());
                }
                // The recipient is a (key, exit address) pair: without an address the funds
                // would have no way out on L1 (protocol §4).
                if t.to_l1_address.is_zero() {
                    return Err(OpError::MissingL1Address.into());
                }
            }
            Tx::Withdraw(w) => {
                if w.to_l1_address.is_zero() {
                    return Err(OpError::MissingL1Address.into());
                }
            }
        }
        Ok(sender)
    }

    /// Every check of [`Self::check_many`] on one transaction.
    pub fn check<S: TreeStore>(
        store: &S,
        config: &SequencerConfig,
        fee_tokens: &[TokenId],
        signed: &SignedTx,
    ) -> Result<Account, SubmitError> {
        let sender = Self::check_unsigned(store, config, fee_tokens, signed)?;
        signed
            .verify(&sender.public_key, &config.genesis.domain)
            .map_err(OpError::BadSignature)?;
        Ok(sender)
    }

    /// Checks many transactions: the unsigned checks and the signed messages in parallel, then
    /// all signatures in one batch verification. Result `i` is for `txs[i]`.
    pub fn check_many<S: TreeStore + Sync>(
        store: &S,
        config: &SequencerConfig,
        fee_tokens: &[TokenId],
        txs: &[&SignedTx],
    ) -> Vec<Result<Account, SubmitError>> {
        let domain = &config.genesis.domain;
        let unsigned: Vec<Result<(Account, Fr), SubmitError>> = txs
            .par_iter()
            .map(|signed| {
                let sender = Self::check_unsigned(store, config, fee_tokens, signed)?;
                Ok((sender, signed.tx.message(domain)))
            })
            .collect();
        let items: Vec<BatchItem<'_>> = unsigned
            .iter()
            .zip(txs)
            .filter_map(|(checked, signed)| {
                let (sender, message) = checked.as_ref().ok()?;
                Some(BatchItem {
                    key: &sender.public_key,
                    message: *message,
                    signature: &signed.signature,
                })
            })
            .collect();
        // Tree keys are subgroup points or the identity, which the batch refuses by itself.
        let mut signatures = verify_batch(&items).into_iter();
        unsigned
            .into_iter()
            .map(|checked| {
                let (sender, _) = checked?;
                signatures
                    .next()
                    .expect("one result per checked transaction")
                    .map_err(|e| OpError::BadSignature(e).into())
                    .map(|()| sender)
            })
            .collect()
    }
}

/// Most keys [`known_valid_keys`] holds before it starts over.
const KNOWN_VALID_KEYS: usize = 1 << 18;

/// Recipient keys already found valid. Validity is a property of the point alone, so the memo
/// is shared by every node in the process and never goes stale; it spares the ~90 µs subgroup
/// check, and the account lookup, for recipients seen before.
fn known_valid_keys() -> &'static RwLock<HashSet<Point>> {
    static KNOWN: OnceLock<RwLock<HashSet<Point>>> = OnceLock::new();
    KNOWN.get_or_init(|| RwLock::new(HashSet::new()))
}

/// A recipient key can receive: it is not the identity and lies in the prime-order subgroup.
/// A key that already holds an account of `token` passed that check when its account opened
/// (the identity aside, which locked deposits hold).
fn recipient_key_is_valid<S: TreeStore>(
    store: &S,
    key: &PublicKey,
    token: TokenId,
) -> Result<bool, SubmitError> {
    if key.0 == Point::IDENTITY || !key.0.is_on_curve() {
        return Ok(false);
    }
    let known = known_valid_keys();
    // A poisoned lock only means another thread panicked mid-insert; the set is still sound.
    if known
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&key.0)
    {
        return Ok(true);
    }
    let valid = !store
        .accounts_by_key(&key.pack(), token)
        .map_err(storage)?
        .is_empty()
        || key.is_valid();
    if valid {
        let mut known = known.write().unwrap_or_else(|e| e.into_inner());
        if known.len() >= KNOWN_VALID_KEYS {
            known.clear();
        }
        known.insert(key.0);
    }
    Ok(valid)
}
