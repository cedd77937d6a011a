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
    use zksettle_core::stf::{apply_batch, BatchInput, StfConfig};
    use zksettle_core::tree::{AccountTree, MemoryStore};
    use zksettle_core::{BatchShape, Deposit, Domain, Op, Transfer, Tx};

    let key = |i: u32| {
        let mut bytes = [7u8; 32];
        bytes[..4].copy_from_slice(&i.to_be_bytes());
        PrivateKey::from_bytes(bytes)
    };
    let domain = Domain {
        chain_id: 31337,
        rollup: L1Address([0x5e; 20]),
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
            number: 1,
            ops: deposits,
            fee_recipients: vec![],
        },
    )?;
    tree.commit()?;
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
    let applied = apply_batch(
        &mut tree,
        &StfConfig { domain, shape },
        &BatchInput {
            number: 2,
            ops: transfers,
            fee_recipients: vec![AccountIndex(1)],
        },
    )?;
    if !applied.rejected.is_empty() {
        return Err(BenchFixtureError::Rejected(format!(
            "{:?}",
            applied.rejected
        )));
    }
    Ok((shape, domain, applied))
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
