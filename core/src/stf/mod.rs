//! The native batch state transition function (STF) and its replay from pubdata.
//!
//! [`apply_batch`] is the sequencer's path: it checks every op (signatures, nonces, balances,
//! tokens, packing, capacity), applies the valid ones in order, rejects the others with a typed
//! reason without applying any part of them, credits the accrued fees, and returns the pubdata,
//! the commitment and the witness the circuit consumes. [`replay_batch`] is the auditor's path:
//! the same state rules applied to pubdata alone, with no signatures.
//!
//! Both leave their changes in the tree's overlay; the caller commits them (atomically, with
//! whatever else it stores) or discards them. A batch-level error restores the tree.

mod error;
mod execute;
mod replay;
mod witness;

pub use error::{BatchError, OpError};
pub use replay::{replay_batch, ReplayedBatch};
pub use witness::{BatchWitness, FeeWitness, LeafUpdate, OpWitness, SignedWitness};

use crate::account::{Account, AccountIndex};
use crate::amount::{AMOUNT_FORMAT, FEE_FORMAT};
use crate::commitment::batch_commitment;
use crate::eddsa::{verify_batch_strict, BatchItem, SignatureError};
use crate::field::Fr;
use crate::op::{Op, PubdataOp};
use crate::pubdata::{encode_batch, BatchShape};
use crate::tree::{AccountTree, TreeStore};
use crate::tx::{Domain, SignedTx, Tx};
use execute::{FeeLedger, FeeMode};
use serde::{Deserialize, Serialize};

/// What the transition needs to know about the deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StfConfig {
    /// Chain id and rollup address every signature is bound to.
    pub domain: Domain,
    /// Batch shape (tree depth, chunks, fee slots).
    pub shape: BatchShape,
}

/// One batch as the sequencer proposes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchInput {
    /// Batch number (the first batch after genesis is 1).
    pub number: u64,
    /// Candidate ops in order.
    pub ops: Vec<Op>,
    /// Accounts that collect this batch's fees, at most one per token.
    pub fee_recipients: Vec<AccountIndex>,
}

/// A rejected op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Position in [`BatchInput::ops`].
    pub position: usize,
    /// Why.
    pub error: OpError,
}

/// The result of [`apply_batch`].
#[derive(Debug, Clone)]
pub struct AppliedBatch {
    /// Positions (in the input) of the ops included, in order.
    pub included: Vec<usize>,
    /// The ops left out, with reasons.
    pub rejected: Vec<Rejection>,
    /// Witness, pubdata, roots and commitment.
    pub witness: BatchWitness,
}

impl AppliedBatch {
    /// Root before the batch.
    pub fn old_root(&self) -> Fr {
        self.witness.old_root
    }

    /// Root after the batch.
    pub fn new_root(&self) -> Fr {
        self.witness.new_root
    }

    /// The batch's pubdata.
    pub fn pubdata(&self) -> &[u8] {
        &self.witness.pubdata
    }

    /// The public input.
    pub fn commitment(&self) -> Fr {
        self.witness.commitment
    }
}

/// Applies a batch: see the module docs. On `Err` the tree is unchanged.
pub fn apply_batch<S: TreeStore>(
    tree: &mut AccountTree<S>,
    config: &StfConfig,
    input: &BatchInput,
) -> Result<AppliedBatch, BatchError> {
    let snapshot = tree.snapshot();
    let result = apply_batch_inner(tree, config, input);
    if result.is_err() {
        tree.restore(snapshot);
    }
    result
}

fn apply_batch_inner<S: TreeStore>(
    tree: &mut AccountTree<S>,
    config: &StfConfig,
    input: &BatchInput,
) -> Result<AppliedBatch, BatchError> {
    let shape = &config.shape;
    if tree.depth() != shape.depth {
        return Err(BatchError::DepthMismatch {
            tree: tree.depth(),
            shape: shape.depth,
        });
    }
    let old_root = tree.root()?;
    let mut fees = FeeLedger::open(tree, shape, &input.fee_recipients, FeeMode::Build)?;
    let signatures = presign_check(tree, &config.domain, &input.ops);
    let mut used_chunks = 0;
    let (mut included, mut rejected, mut ops) = (Vec::new(), Vec::new(), Vec::new());
    for (position, op) in input.ops.iter().enumerate() {
        let outcome =
            validate(tree, config, op, signatures[position]).and_then(|(pubdata_op, signed)| {
                let needed = shape.op_chunks(pubdata_op.code()).expect("known op code");
                let left = shape.chunks - used_chunks;
                if needed > left {
                    return Err(OpError::ExceedsBatchCapacity { needed, left });
                }
                let plan = execute::plan(tree, &fees, &pubdata_op)?;
                let updates = execute::apply(tree, &mut fees, plan)?;
                let witness = OpWitness {
                    op: pubdata_op,
                    chunk_offset: used_chunks,
                    signed,
                    updates,
                };
                used_chunks += needed;
                Ok(witness)
            });
        match outcome {
            Ok(witness) => {
                included.push(position);
                ops.push(witness);
            }
            Err(OpError::Storage(failure)) => return Err(storage_error(failure)),
            Err(error) => rejected.push(Rejection { position, error }),
        }
    }
    let fee_witnesses = execute::settle_fees(tree, &fees, ops.len()).map_err(|e| match e {
        BatchError::Replay {
            error: OpError::Storage(failure),
            ..
        } => storage_error(failure),
        other => other,
    })?;
    let new_root = tree.root()?;
    let pubdata_ops: Vec<PubdataOp> = ops.iter().map(|o| o.op).collect();
    let pubdata = encode_batch(shape, &pubdata_ops, &input.fee_recipients)?;
    let commitment = batch_commitment(&config.domain, &old_root, &new_root, input.number, &pubdata);
    Ok(AppliedBatch {
        included,
        rejected,
        witness: BatchWitness {
            shape: *shape,
            number: input.number,
            old_root,
            new_root,
            ops,
            fees: fee_witnesses,
            pubdata,
            commitment,
        },
    })
}

fn storage_error(failure: crate::tree::StorageFailure) -> BatchError {
    BatchError::Tree(crate::tree::TreeError::Store(
        crate::tree::StoreError::Backend(Box::new(failure)),
    ))
}

/// Signature results for ops whose sender exists before the batch, checked in parallel; keys
/// never change, so a check against the starting tree stays valid for the whole batch. `None`
/// means "check inline" (sender opened within this batch, or not an L2 op).
fn presign_check<S: TreeStore>(
    tree: &AccountTree<S>,
    domain: &Domain,
    ops: &[Op],
) -> Vec<Option<Result<(), SignatureError>>> {
    let jobs: Vec<Option<(SignedTx, Account)>> = ops
        .iter()
        .map(|op| {
            let signed = signed_tx(op)?;
            let sender = tree.account(signed.tx.from()).ok().flatten()?;
            Some((signed, sender))
        })
        .collect();
    // Messages in parallel, then one batch verification (tree keys are subgroup points or
    // the identity, which the batch refuses by itself).
    let hash = |job: &Option<(SignedTx, Account)>| job.as_ref().map(|(s, _)| s.tx.message(domain));
    #[cfg(feature = "parallel")]
    let messages: Vec<Option<Fr>> = {
        use rayon::prelude::*;
        jobs.par_iter().map(hash).collect()
    };
    #[cfg(not(feature = "parallel"))]
    let messages: Vec<Option<Fr>> = jobs.iter().map(hash).collect();
    let items: Vec<BatchItem<'_>> = jobs
        .iter()
        .zip(&messages)
        .filter_map(|(job, message)| {
            let (signed, sender) = job.as_ref()?;
            Some(BatchItem {
                key: &sender.public_key,
                message: (*message)?,
                signature: &signed.signature,
            })
        })
        .collect();
    let mut verdicts = verify_batch_strict(&items).into_iter();
    jobs.iter()
        .map(|job| job.as_ref().and_then(|_| verdicts.next()))
        .collect()
}

fn signed_tx(op: &Op) -> Option<SignedTx> {
    match op {
        Op::Transfer {
            transfer,
            signature,
            ..
        } => Some(SignedTx {
            tx: Tx::Transfer(*transfer),
            signature: *signature,
        }),
        Op::Withdraw {
            withdraw,
            signature,
        } => Some(SignedTx {
            tx: Tx::Withdraw(*withdraw),
            signature: *signature,
        }),
        _ => None,
    }
}

/// Transaction-level checks (signature, nonce, token, packing, recipient key) and the pubdata
/// op they lead to. State-level checks follow in [`execute::plan`].
fn validate<S: TreeStore>(
    tree: &AccountTree<S>,
    config: &StfConfig,
    op: &Op,
    presigned: Option<Result<(), SignatureError>>,
) -> Result<(PubdataOp, Option<SignedWitness>), OpError> {
    let Some(signed) = signed_tx(op) else {
        return Ok((priority_pubdata(tree, op)?, None));
    };
    let tx = signed.tx;
    let from = tx.from();
    if from.0 == 0 || u64::from(from.0) >= tree.capacity() {
        return Err(OpError::InvalidAccountIndex(from));
    }
    let sender = tree.account(from)?.ok_or(OpError::UnknownAccount(from))?;
    if sender.token != tx.token() {
        return Err(OpError::TokenMismatch {
            account: sender.token,
            tx: tx.token(),
        });
    }
    presigned
        .unwrap_or_else(|| signed.verify(&sender.public_key, &config.domain))
        .map_err(OpError::BadSignature)?;
    if tx.nonce() < sender.nonce {
        return Err(OpError::NonceTooLow {
            expected: sender.nonce,
            got: tx.nonce(),
        });
    }
    if tx.nonce() > sender.nonce {
        return Err(OpError::NonceTooHigh {
            expected: sender.nonce,
            got: tx.nonce(),
        });
    }
    FEE_FORMAT.pack(tx.fee()).map_err(OpError::FeeNotPackable)?;
    let pubdata_op = match (op, tx) {
        (Op::Transfer { to, .. }, Tx::Transfer(t)) => {
            AMOUNT_FORMAT
                .pack(t.amount)
                .map_err(OpError::AmountNotPackable)?;
            if !t.to.is_valid() {
                return Err(OpError::InvalidRecipientKey);
            }
            if to.0 == 0 || u64::from(to.0) >= tree.capacity() {
                return Err(OpError::InvalidAccountIndex(*to));
            }
            let receiver = if *to == from {
                Some(sender)
            } else {
                tree.account(*to)?
            };
            if t.to_l1_address.is_zero() {
                return Err(OpError::MissingL1Address);
            }
            match receiver {
                Some(r) if r.public_key != t.to => return Err(OpError::RecipientMismatch(*to)),
                // Checked here, not in `execute::plan`: a plain transfer's pubdata does not carry
                // the signed exit address, so replay, like the signature, leaves it to the proof.
                Some(r) if r.l1_address != t.to_l1_address => {
                    return Err(OpError::ExitAddressMismatch(*to))
                }
                Some(_) => PubdataOp::Transfer {
                    from,
                    to: *to,
                    amount: t.amount,
                    fee: t.fee,
                },
                None => PubdataOp::TransferToNew {
                    from,
                    to: *to,
                    amount: t.amount,
                    fee: t.fee,
                    to_public_key: t.to,
                    to_l1_address: t.to_l1_address,
                },
            }
        }
        (_, Tx::Withdraw(w)) => PubdataOp::Withdraw {
            from,
            token: w.token,
            amount: w.amount,
            fee: w.fee,
            to_l1_address: w.to_l1_address,
        },
        _ => unreachable!("signed_tx maps each op to its own tx kind"),
    };
    let witness = SignedWitness {
        tx,
        signature: signed.signature,
        public_key: sender.public_key,
        message: tx.message(&config.domain),
    };
    Ok((pubdata_op, Some(witness)))
}

fn priority_pubdata<S: TreeStore>(tree: &AccountTree<S>, op: &Op) -> Result<PubdataOp, OpError> {
    Ok(match op {
        Op::Noop => PubdataOp::Noop,
        Op::Deposit(d) => PubdataOp::Deposit {
            to: d.to,
            token: d.token,
            amount: d.amount,
            public_key: d.public_key,
            l1_address: d.l1_address,
        },
        Op::ForcedExit(f) => {
            if f.index.0 == 0 || u64::from(f.index.0) >= tree.capacity() {
                return Err(OpError::InvalidAccountIndex(f.index));
            }
            let account = tree.account(f.index)?;
            PubdataOp::ForcedExit {
                index: f.index,
                token: f.token,
                amount: execute::forced_exit_amount(account.as_ref(), f.token, f.requester),
                l1_address: f.requester,
            }
        }
        Op::Transfer { .. } | Op::Withdraw { .. } => unreachable!("L2 ops are handled by validate"),
    })
}
