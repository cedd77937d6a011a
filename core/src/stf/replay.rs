//! Replaying a batch from its pubdata alone: how an auditor rebuilds the state from L1 data.

use super::error::BatchError;
use super::execute::{self, FeeLedger, FeeMode};
use super::StfConfig;
use crate::commitment::batch_commitment;
use crate::field::Fr;
use crate::op::PubdataOp;
use crate::pubdata::decode_batch;
use crate::tree::{AccountTree, TreeStore};

/// The result of [`replay_batch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayedBatch {
    /// Root before.
    pub old_root: Fr,
    /// Root after.
    pub new_root: Fr,
    /// The commitment the batch's proof must have as public input.
    pub commitment: Fr,
    /// The decoded ops.
    pub ops: Vec<PubdataOp>,
}

/// Applies pubdata to the tree with the state rules of protocol §7 and the fee rule of §8, which
/// the circuit enforces: every batch the circuit accepts replays (no signature, nonce-value or
/// signed-exit-address checks: the proof vouches for those). [`super::apply_batch`] builds
/// batches under a stricter fee policy, so whatever it builds replays too. On `Err` the tree is
/// unchanged.
pub fn replay_batch<S: TreeStore>(
    tree: &mut AccountTree<S>,
    config: &StfConfig,
    number: u64,
    pubdata: &[u8],
) -> Result<ReplayedBatch, BatchError> {
    let snapshot = tree.snapshot();
    let result = replay_inner(tree, config, number, pubdata);
    if result.is_err() {
        tree.restore(snapshot);
    }
    result
}

fn replay_inner<S: TreeStore>(
    tree: &mut AccountTree<S>,
    config: &StfConfig,
    number: u64,
    pubdata: &[u8],
) -> Result<ReplayedBatch, BatchError> {
    let shape = &config.shape;
    if tree.depth() != shape.depth {
        return Err(BatchError::DepthMismatch {
            tree: tree.depth(),
            shape: shape.depth,
        });
    }
    let decoded = decode_batch(shape, pubdata)?;
    let old_root = tree.root()?;
    let mut fees = FeeLedger::open(tree, shape, &decoded.fee_recipients, FeeMode::Validate)?;
    for (position, op) in decoded.ops.iter().enumerate() {
        let plan = execute::plan(tree, &fees, op)
            .map_err(|error| BatchError::Replay { position, error })?;
        execute::apply(tree, &mut fees, plan)
            .map_err(|error| BatchError::Replay { position, error })?;
    }
    execute::settle_fees(tree, &fees, decoded.ops.len())?;
    let new_root = tree.root()?;
    Ok(ReplayedBatch {
        old_root,
        new_root,
        commitment: batch_commitment(&config.domain, &old_root, &new_root, number, pubdata),
        ops: decoded.ops,
    })
}
