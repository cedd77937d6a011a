//! Criterion benchmarks of zksettle (`cargo bench -p zksettle-benches`) and the fixtures they
//! share. Each bench group puts zksettle's path beside the reference it must beat, so one run
//! gives the ratio the README's performance table quotes.

use zksettle_core::{Account, AccountIndex, L1Address, PrivateKey, TokenId};

/// `n` distinct accounts at pseudo-random indices of a depth-`depth` tree, deterministic.
pub fn random_accounts(n: u32, depth: u8, salt: u32) -> Vec<(AccountIndex, Option<Account>)> {
    let key = PrivateKey::from_bytes([7; 32]).public_key();
    let mask = (1u64 << depth) - 1;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n as usize);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ u64::from(salt);
    while out.len() < n as usize {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let index = (x & mask).max(1);
        if seen.insert(index) {
            let account = Account::new(
                TokenId(salt),
                u128::from(salt) + index as u128,
                key,
                L1Address([1; 20]),
            );
            out.push((AccountIndex(index as u32), Some(account)));
        }
    }
    out
}

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
    BenchFixtureError,
> {
    let domain = zksettle_core::Domain {
        chain_id: 31337,
        rollup: L1Address([0x5e; 20]),
    };
    let fixture = transfer_batch_in(depth, chunks, domain)?;
    Ok((fixture.shape, domain, fixture.batch))
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
) -> Result<TransferBatch, BenchFixtureError> {
    use zksettle_core::stf::{apply_batch, BatchInput, StfConfig};
    use zksettle_core::tree::{AccountTree, MemoryStore};
    use zksettle_core::{BatchShape, Deposit, Op, Transfer, Tx};

    let key = |i: u32| {
        let mut bytes = [7u8; 32];
        bytes[..4].copy_from_slice(&i.to_be_bytes());
        PrivateKey::from_bytes(bytes)
    };
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
                public_key: key(i).public_key().0,
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
    let genesis_root = tree.root()?;
    let genesis_leaf = (
        tree.account(AccountIndex(1))?
            .ok_or_else(|| BenchFixtureError::Rejected("account 1 was not funded".into()))?,
        tree.merkle_path(AccountIndex(1))?,
    );
    let transfers: Vec<Op> = (2..=chunks as u32 + 1)
        .map(|i| {
            let t = Transfer {
                from: AccountIndex(i),
                token: TokenId(0),
                amount: 100,
                fee: 1,
                nonce: 0,
                to: key(i - 1).public_key(),
                to_l1_address: L1Address::ZERO,
            };
            let signature = Tx::Transfer(t).sign(&key(i), &domain).signature;
            Op::Transfer {
                to: AccountIndex(i - 1),
                transfer: t,
                signature,
            }
        })
        .collect();
    let batch = apply_batch(
        &mut tree,
        &StfConfig { domain, shape },
        &BatchInput {
            number: 1,
            ops: transfers,
            fee_recipients: vec![AccountIndex(1)],
        },
    )?;
    if !batch.rejected.is_empty() {
        return Err(BenchFixtureError::Rejected(format!("{:?}", batch.rejected)));
    }
    Ok(TransferBatch {
        shape,
        genesis_root,
        genesis_leaf,
        batch,
    })
}

/// Why a bench fixture could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BenchFixtureError {
    /// The tree failed.
    #[error(transparent)]
    Tree(#[from] zksettle_core::tree::TreeError),
    /// The batch could not be built.
    #[error(transparent)]
    Batch(#[from] zksettle_core::stf::BatchError),
    /// The fixture's ops were rejected.
    #[error("fixture ops rejected: {0}")]
    Rejected(String),
}

/// The reference for witness generation: arkworks' synthesis of the whole circuit in proving
/// mode (values only, no matrices), on one thread.
pub fn sequential_witness(
    circuit: &zksettle_circuits::BatchCircuit,
) -> Result<Vec<zksettle_core::Fr>, ark_relations::gr1cs::SynthesisError> {
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
    let cs = ConstraintSystem::new_ref();
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: false,
        generate_lc_assignments: false,
    });
    circuit.clone().generate_constraints(cs.clone())?;
    cs.witness_assignment()
}

/// Batch capacities from the command line, or `default` when none are given.
pub fn capacities_from_args(default: &[usize]) -> Result<Vec<usize>, std::num::ParseIntError> {
    let given: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    Ok(if given.is_empty() {
        default.to_vec()
    } else {
        given
    })
}

/// Where the reports cache their insecure development keys: `~/.cache/zksettle/keys`.
pub fn key_cache_dir() -> std::path::PathBuf {
    std::env::var_os("HOME").map_or_else(
        || "keys".into(),
        |h| std::path::PathBuf::from(h).join(".cache/zksettle/keys"),
    )
}
