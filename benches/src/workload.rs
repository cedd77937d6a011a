//! The proving benchmark's workload: a batch of signed transfers made by the core's native state
//! transition, the rollup's common case. `zksettle bench prove`, the prove report and the
//! criterion benches all prove it.

use zksettle_core::{AccountIndex, L1Address, PrivateKey, TokenId};

/// A batch of `chunks` signed transfers between existing accounts at `depth`, made by the native
/// state transition, with its shape and domain: the proving benches' workload (one transfer per
/// chunk, the rollup's common case).
pub fn transfer_batch(
    depth: u8,
    chunks: usize,
) -> Result<
    (
        zksettle_core::BatchShape,
        zksettle_core::Domain,
        zksettle_core::AppliedBatch,
    ),
    WorkloadError,
> {
    let domain = zksettle_core::Domain {
        chain_id: 31337,
        rollup: L1Address([0x5e; 20]),
    };
    let workload = transfer_batch_in(depth, chunks, domain)?;
    Ok((workload.shape, domain, workload.batch))
}

/// [`transfer_batch`] for a given deployment.
#[derive(Debug)]
pub struct TransferBatch {
    /// Shape: `depth`, `chunks`, one fee slot.
    pub shape: zksettle_core::BatchShape,
    /// Root of the funded state the batch starts from (the genesis of a deployment that
    /// settles it).
    pub genesis_root: zksettle_core::Fr,
    /// Account 1 in the genesis state and its Merkle path (what an exodus exit presents).
    pub genesis_leaf: (zksettle_core::Account, zksettle_core::tree::MerklePath),
    /// Batch 1: `chunks` transfers, fees to account 1.
    pub batch: zksettle_core::AppliedBatch,
}

/// Accounts `1 ..= chunks + 1` funded natively (the genesis), then batch 1: account `i` sends
/// 100 to account `i − 1` for every `i ≥ 2`, signed for `domain`.
pub fn transfer_batch_in(
    depth: u8,
    chunks: usize,
    domain: zksettle_core::Domain,
) -> Result<TransferBatch, WorkloadError> {
    let mut run = TransferRun::new(depth, chunks, domain)?;
    let genesis_root = run.tree.root()?;
    let genesis_leaf = (
        run.tree
            .account(AccountIndex(1))?
            .ok_or_else(|| WorkloadError::Rejected("account 1 was not funded".into()))?,
        run.tree.merkle_path(AccountIndex(1))?,
    );
    let batch = run.next_batch()?;
    Ok(TransferBatch {
        shape: run.shape,
        genesis_root,
        genesis_leaf,
        batch,
    })
}

/// Batches `1 ..= count` of the [`transfer_batch_in`] workload, each on the state the previous
/// one left (batch `n`'s transfers have nonce `n − 1`): a run of distinct batches, as a node
/// seals them, for the cluster bench.
pub fn transfer_run(
    depth: u8,
    chunks: usize,
    domain: zksettle_core::Domain,
    count: u64,
) -> Result<Vec<zksettle_core::stf::BatchWitness>, WorkloadError> {
    let mut run = TransferRun::new(depth, chunks, domain)?;
    (0..count)
        .map(|_| run.next_batch().map(|b| b.witness))
        .collect()
}

/// The funded tree and the next batch's number.
struct TransferRun {
    tree: zksettle_core::tree::AccountTree<zksettle_core::tree::MemoryStore>,
    shape: zksettle_core::BatchShape,
    domain: zksettle_core::Domain,
    next: u64,
}

impl TransferRun {
    fn key(i: u32) -> PrivateKey {
        let mut bytes = [7u8; 32];
        bytes[..4].copy_from_slice(&i.to_be_bytes());
        PrivateKey::from_bytes(bytes)
    }

    /// Accounts `1 ..= chunks + 1` funded natively, committed: the genesis.
    fn new(depth: u8, chunks: usize, domain: zksettle_core::Domain) -> Result<Self, WorkloadError> {
        use zksettle_core::stf::{apply_batch, BatchInput, StfConfig};
        use zksettle_core::tree::{AccountTree, MemoryStore};
        use zksettle_core::{BatchShape, Deposit, Op};

        let shape = BatchShape {
            depth,
            chunks,
            fee_slots: 1,
        };
        let mut tree = AccountTree::open(MemoryStore::new(), depth)?;
        let deposits: Vec<Op> = (1..=chunks as u32 + 1)
            .map(|i| {
                Op::Deposit(Deposit {
                    to: AccountIndex(i),
                    token: TokenId(0),
                    amount: 1_000_000,
                    public_key: Self::key(i).public_key().0,
                    l1_address: L1Address([1; 20]),
                })
            })
            .collect();
        let funding = StfConfig {
            domain,
            shape: BatchShape {
                chunks: 16 * (chunks + 1),
                ..shape
            },
        };
        apply_batch(
            &mut tree,
            &funding,
            &BatchInput {
                number: 0,
                ops: deposits,
                fee_recipients: vec![],
            },
        )?;
        tree.commit()?;
        Ok(TransferRun {
            tree,
            shape,
            domain,
            next: 1,
        })
    }

    /// The next batch: account `i` sends 100 to account `i − 1` for every `i ≥ 2`, fees to
    /// account 1; committed.
    fn next_batch(&mut self) -> Result<zksettle_core::AppliedBatch, WorkloadError> {
        use zksettle_core::stf::{apply_batch, BatchInput, StfConfig};
        use zksettle_core::{Op, Transfer, Tx};

        let nonce = u32::try_from(self.next - 1)
            .map_err(|_| WorkloadError::Rejected("too many batches".into()))?;
        let transfers: Vec<Op> = (2..=self.shape.chunks as u32 + 1)
            .map(|i| {
                let t = Transfer {
                    from: AccountIndex(i),
                    token: TokenId(0),
                    amount: 100,
                    fee: 1,
                    nonce,
                    to: Self::key(i - 1).public_key(),
                    // The exit address the recipient's account was opened with.
                    to_l1_address: L1Address([1; 20]),
                };
                let signature = Tx::Transfer(t).sign(&Self::key(i), &self.domain).signature;
                Op::Transfer {
                    to: AccountIndex(i - 1),
                    transfer: t,
                    signature,
                }
            })
            .collect();
        let batch = apply_batch(
            &mut self.tree,
            &StfConfig {
                domain: self.domain,
                shape: self.shape,
            },
            &BatchInput {
                number: self.next,
                ops: transfers,
                fee_recipients: vec![AccountIndex(1)],
            },
        )?;
        if !batch.rejected.is_empty() {
            return Err(WorkloadError::Rejected(format!("{:?}", batch.rejected)));
        }
        self.tree.commit()?;
        self.next += 1;
        Ok(batch)
    }
}

/// Why the workload could not be built.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// The tree failed.
    #[error(transparent)]
    Tree(#[from] zksettle_core::tree::TreeError),
    /// The batch could not be built.
    #[error(transparent)]
    Batch(#[from] zksettle_core::stf::BatchError),
    /// The workload's ops were rejected.
    #[error("workload ops rejected: {0}")]
    Rejected(String),
}
