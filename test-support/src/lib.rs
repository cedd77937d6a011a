//! # zksettle-test-support
//!
//! The builders the workspace's tests share, so that every crate's tests sign the same ops the
//! same way: deterministic keys and L1 addresses by seed, the test deployment's [`domain`],
//! signed ops of every type, and [`World`], an in-memory account tree that applies batches with
//! the core's state transition and commits them.
//!
//! Test code only: a dev-dependency of the crates whose tests use it, never a dependency of a
//! production crate. Its functions panic on failure, as the assertions around them do.
//!
//! ## Map
//! - [`key`], [`addr`], [`domain`]: who signs, where funds exit, which deployment.
//! - [`deposit`], [`transfer`], [`native_transfer`], [`signed_transfer`], [`withdraw`], [`forced_exit`]: ops, signed
//!   for [`domain`].
//! - [`World`]: a tree and a batch counter; [`World::batch`] applies and commits, and
//!   [`World::fund`] opens accounts under a shape wide enough for them.
//! - [`one_transfer`]: the smallest proof-carrying batch of a shape.
//! - [`snarkjs_bin`]: the pinned snarkjs the tests check formats and proofs against.
//! - [`postgres::Postgres`]: a real throwaway PostgreSQL server (the prover queue's tests).

// A fixture that fails fails the test: panicking is how it reports.
#![allow(clippy::unwrap_used)]

pub mod postgres;

use zksettle_core::stf::{apply_batch, AppliedBatch, BatchInput, StfConfig};
use zksettle_core::tree::{AccountTree, MemoryStore};
use zksettle_core::{
    AccountIndex, BatchShape, Deposit, Domain, ForcedExit, L1Address, Op, PrivateKey, SignedTx,
    TokenId, Transfer, Tx, Withdraw,
};

/// The tests' deployment: anvil's chain id and a fixed rollup address.
pub fn domain() -> Domain {
    Domain {
        chain_id: 31337,
        rollup: L1Address([0x5e; 20]),
    }
}

/// The private key of participant `seed` (every byte `seed`).
pub fn key(seed: u8) -> PrivateKey {
    PrivateKey::from_bytes([seed; 32])
}

/// The L1 address of participant `seed` (every byte `seed`).
pub fn addr(seed: u8) -> L1Address {
    L1Address([seed; 20])
}

/// The snarkjs command line installed by `npm ci` in `l1-contracts` (the test command runs
/// it), for a test of a crate one directory below the workspace root.
pub fn snarkjs_bin() -> std::path::PathBuf {
    // The running checkout (cargo sets this at run time), not the one compiled in.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo test");
    let bin = std::path::Path::new(&manifest).join("../l1-contracts/node_modules/.bin/snarkjs");
    assert!(
        bin.exists(),
        "{} is missing: run `npm ci` in l1-contracts (scripts/test.sh does)",
        bin.display()
    );
    bin
}

/// An account tree in memory and the number of the next batch.
#[derive(Debug)]
pub struct World {
    /// The tree after the last committed batch.
    pub tree: AccountTree<MemoryStore>,
    /// The deployment ([`domain`]) and shape batches are applied under.
    pub config: StfConfig,
    /// The number the next batch gets.
    pub next_batch: u64,
}

impl World {
    /// An empty tree of `shape`'s depth; batch 1 next.
    pub fn new(shape: BatchShape) -> Self {
        World {
            tree: AccountTree::open(MemoryStore::new(), shape.depth).unwrap(),
            config: StfConfig {
                domain: domain(),
                shape,
            },
            next_batch: 1,
        }
    }

    /// The shape batches are applied under.
    pub fn shape(&self) -> BatchShape {
        self.config.shape
    }

    /// Applies the next batch of `ops` (paying fees to `fee_recipients`) and commits it.
    pub fn batch(&mut self, ops: Vec<Op>, fee_recipients: Vec<AccountIndex>) -> AppliedBatch {
        let input = BatchInput {
            number: self.next_batch,
            ops,
            fee_recipients,
        };
        let applied = apply_batch(&mut self.tree, &self.config, &input).unwrap();
        self.tree.commit().unwrap();
        self.next_batch += 1;
        applied
    }

    /// Applies `ops` natively under a shape of this world's depth with room for all of them
    /// (the world's own shape may be too small for a deposit: ten chunks at depth 8), and
    /// commits: accounts for a circuit test to start from. Takes a batch number.
    pub fn fund(&mut self, ops: Vec<Op>) {
        let wide = StfConfig {
            shape: BatchShape {
                chunks: 64,
                ..self.config.shape
            },
            ..self.config
        };
        let input = BatchInput {
            number: self.next_batch,
            ops,
            fee_recipients: vec![],
        };
        let applied = apply_batch(&mut self.tree, &wide, &input).unwrap();
        assert!(applied.rejected.is_empty(), "{:?}", applied.rejected);
        self.tree.commit().unwrap();
        self.next_batch += 1;
    }

    /// Account `index`'s balance (0 for an empty index).
    pub fn balance(&self, index: u32) -> u128 {
        self.tree
            .account(AccountIndex(index))
            .unwrap()
            .map_or(0, |a| a.balance)
    }

    /// Account `index`'s nonce (the account must exist).
    pub fn nonce(&self, index: u32) -> u32 {
        self.tree
            .account(AccountIndex(index))
            .unwrap()
            .unwrap()
            .nonce
    }
}

/// The smallest proof-carrying batch of `shape`: accounts 1 and 2 funded (1,000 and 10 of
/// ether, participants 1 and 2), then participant 1's transfer of 100 to account 2 with a fee of
/// 1 paid to account 1. For the proof systems' end-to-end tests.
pub fn one_transfer(shape: BatchShape) -> AppliedBatch {
    let mut world = World::new(shape);
    world.fund(vec![deposit(1, 0, 1_000, 1), deposit(2, 0, 10, 2)]);
    let applied = world.batch(
        vec![native_transfer(1, 1, 2, 2, 100, 1, 0)],
        vec![AccountIndex(1)],
    );
    assert!(applied.rejected.is_empty(), "{:?}", applied.rejected);
    applied
}

/// A deposit of `amount` of `token` into index `to`, for participant `owner`'s key and address.
pub fn deposit(to: u32, token: u32, amount: u128, owner: u8) -> Op {
    Op::Deposit(Deposit {
        to: AccountIndex(to),
        token: TokenId(token),
        amount,
        public_key: key(owner).public_key().0,
        l1_address: addr(owner),
    })
}

/// A transfer from index `from`, signed by `signer`, to participant `recipient`'s key and
/// address, as the L2 transaction it is.
#[allow(clippy::too_many_arguments)]
pub fn signed_transfer(
    signer: u8,
    from: u32,
    recipient: u8,
    token: u32,
    amount: u128,
    fee: u128,
    nonce: u32,
) -> SignedTx {
    Tx::Transfer(Transfer {
        from: AccountIndex(from),
        token: TokenId(token),
        amount,
        fee,
        nonce,
        to: key(recipient).public_key(),
        to_l1_address: addr(recipient),
    })
    .sign(&key(signer), &domain())
}

/// [`signed_transfer`] as the op that lands it in index `to`.
#[allow(clippy::too_many_arguments)]
pub fn transfer(
    signer: u8,
    from: u32,
    to: u32,
    recipient: u8,
    token: u32,
    amount: u128,
    fee: u128,
    nonce: u32,
) -> Op {
    let signed = signed_transfer(signer, from, recipient, token, amount, fee, nonce);
    let Tx::Transfer(transfer) = signed.tx else {
        unreachable!("signed_transfer signs a transfer")
    };
    Op::Transfer {
        to: AccountIndex(to),
        transfer,
        signature: signed.signature,
    }
}

/// [`transfer`] of the native token (token 0, ether).
pub fn native_transfer(
    signer: u8,
    from: u32,
    to: u32,
    recipient: u8,
    amount: u128,
    fee: u128,
    nonce: u32,
) -> Op {
    transfer(signer, from, to, recipient, 0, amount, fee, nonce)
}

/// A withdrawal from index `from`, signed by `signer`, paid out to `to` on L1.
pub fn withdraw(
    signer: u8,
    from: u32,
    token: u32,
    amount: u128,
    fee: u128,
    nonce: u32,
    to: L1Address,
) -> Op {
    let w = Withdraw {
        from: AccountIndex(from),
        token: TokenId(token),
        amount,
        fee,
        nonce,
        to_l1_address: to,
    };
    let signed = Tx::Withdraw(w).sign(&key(signer), &domain());
    Op::Withdraw {
        withdraw: w,
        signature: signed.signature,
    }
}

/// A forced exit of index `index`'s `token`, requested on L1 by `requester`.
pub fn forced_exit(index: u32, token: u32, requester: L1Address) -> Op {
    Op::ForcedExit(ForcedExit {
        index: AccountIndex(index),
        token: TokenId(token),
        requester,
    })
}
