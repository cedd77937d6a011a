//! What an account holder needs for an exodus exit, from a rebuilt state alone:
//! `zksettle verify exit-proof`.
//!
//! Once the rollup is in exodus, the contract pays a leaf's balance to its L1 address against
//! the last verified root, given the leaf and its Merkle path (quaternary Poseidon tree,
//! `docs/protocol.md` §4). The proof is written with the ABI-encoded `exit` call, so any
//! Ethereum wallet can send it to the rollup.

use crate::rebuild::Rebuilt;
use alloy::sol_types::SolCall;
use serde::{Deserialize, Serialize};
use zksettle_core::account::leaf_value;
use zksettle_core::field::serde_decimal;
use zksettle_core::tree::{MerklePath, TreeError};
use zksettle_core::{Account, AccountIndex, Fr, L1Address};

/// The `format` tag of an [`ExitProof`].
pub const EXIT_FORMAT: &str = "zksettle-exit/1";

/// A leaf, its path to the root, and the call that exits it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExitProof {
    /// [`EXIT_FORMAT`].
    pub format: String,
    /// Chain id.
    pub chain_id: u64,
    /// The rollup to send `calldata` to.
    pub rollup: L1Address,
    /// The root the path leads to (the contract's last verified root).
    #[serde(with = "serde_decimal")]
    pub root: Fr,
    /// Leaf index.
    pub index: AccountIndex,
    /// The leaf.
    pub account: Account,
    /// Its Merkle path.
    pub path: MerklePath,
    /// `exit(leaf, siblings)` ABI-encoded, `0x`-hex.
    #[serde(with = "crate::export::hex_vec")]
    pub calldata: Vec<u8>,
}

/// Why no exit proof can be made.
#[derive(Debug, thiserror::Error)]
pub enum ExitError {
    /// The leaf is empty.
    #[error("no account at index {0}")]
    NoAccount(u32),
    /// The tree failed (an index beyond its capacity, for one).
    #[error(transparent)]
    Tree(#[from] TreeError),
}

/// The exit proof of account `index` in `state`. The path is checked against the root before
/// it is returned.
pub fn exit_proof(state: &Rebuilt, index: AccountIndex) -> Result<ExitProof, ExitError> {
    let account = state
        .tree
        .account(index)?
        .ok_or(ExitError::NoAccount(index.0))?;
    let path = state.tree.merkle_path(index)?;
    let root = state.tree.root()?;
    // The tree's own invariant; a failure here is a bug in the tree, not bad input.
    debug_assert_eq!(path.root(leaf_value(Some(&account))), root);
    let calldata = zksettle_l1::exit_call(&account, &path).abi_encode();
    Ok(ExitProof {
        format: EXIT_FORMAT.into(),
        chain_id: state.domain.chain_id,
        rollup: state.domain.rollup,
        root,
        index,
        account,
        path,
        calldata,
    })
}
