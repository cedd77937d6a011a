//! A small world for driving the state transition: keys, a tree, and helpers that build signed ops.

use zksettle_core::account::{AccountIndex, L1Address, TokenId};
use zksettle_core::stf::{apply_batch, AppliedBatch, BatchInput, StfConfig};
use zksettle_core::tree::{AccountTree, MemoryStore};
use zksettle_core::{
    BatchShape, Deposit, Domain, ForcedExit, Op, PrivateKey, Transfer, Tx, Withdraw,
};

pub(crate) const SHAPE: BatchShape = BatchShape {
    depth: 24,
    chunks: 64,
    fee_slots: 4,
};

pub(crate) fn config() -> StfConfig {
    StfConfig {
        domain: Domain {
            chain_id: 31337,
            rollup: L1Address([0x5e; 20]),
        },
        shape: SHAPE,
    }
}

pub(crate) fn key(seed: u8) -> PrivateKey {
    PrivateKey::from_bytes([seed; 32])
}

pub(crate) fn addr(seed: u8) -> L1Address {
    L1Address([seed; 20])
}

pub(crate) struct World {
    pub(crate) tree: AccountTree<MemoryStore>,
    pub(crate) config: StfConfig,
    pub(crate) next_batch: u64,
}

impl World {
    pub(crate) fn new() -> Self {
        World {
            tree: AccountTree::open(MemoryStore::new(), SHAPE.depth).unwrap(),
            config: config(),
            next_batch: 1,
        }
    }

    /// Applies a batch and commits it.
    pub(crate) fn batch(
        &mut self,
        ops: Vec<Op>,
        fee_recipients: Vec<AccountIndex>,
    ) -> AppliedBatch {
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

    pub(crate) fn balance(&self, index: u32) -> u128 {
        self.tree
            .account(AccountIndex(index))
            .unwrap()
            .map_or(0, |a| a.balance)
    }

    pub(crate) fn nonce(&self, index: u32) -> u32 {
        self.tree
            .account(AccountIndex(index))
            .unwrap()
            .unwrap()
            .nonce
    }
}

pub(crate) fn deposit(to: u32, token: u32, amount: u128, owner: u8) -> Op {
    Op::Deposit(Deposit {
        to: AccountIndex(to),
        token: TokenId(token),
        amount,
        public_key: key(owner).public_key().0,
        l1_address: addr(owner),
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn transfer(
    signer: u8,
    from: u32,
    to: u32,
    recipient: u8,
    token: u32,
    amount: u128,
    fee: u128,
    nonce: u32,
) -> Op {
    let t = Transfer {
        from: AccountIndex(from),
        token: TokenId(token),
        amount,
        fee,
        nonce,
        to: key(recipient).public_key(),
        to_l1_address: addr(recipient),
    };
    let signed = Tx::Transfer(t).sign(&key(signer), &config().domain);
    Op::Transfer {
        to: AccountIndex(to),
        transfer: t,
        signature: signed.signature,
    }
}

pub(crate) fn withdraw(
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
    let signed = Tx::Withdraw(w).sign(&key(signer), &config().domain);
    Op::Withdraw {
        withdraw: w,
        signature: signed.signature,
    }
}

pub(crate) fn forced_exit(index: u32, token: u32, requester: L1Address) -> Op {
    Op::ForcedExit(ForcedExit {
        index: AccountIndex(index),
        token: TokenId(token),
        requester,
    })
}
