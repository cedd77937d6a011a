//! The L2 side of the settlement tests: the native state transition on an in-memory tree,
//! each batch proven with the test shape's (insecure) keys.

use ark_bn254::Bn254;
use ark_groth16::Proof;
use std::sync::OnceLock;
use zksettle_core::babyjubjub::Point;
use zksettle_core::stf::{apply_batch, AppliedBatch, BatchInput, StfConfig};
use zksettle_core::tree::MerklePath;
use zksettle_core::{
    Account, AccountIndex, AccountTree, BatchShape, Deposit, Domain, Fr, L1Address, MemoryStore,
    Op, PrivateKey, Transfer, Tx, Withdraw,
};
use zksettle_l1::PriorityOp;
use zksettle_prover::{BatchKeys, BatchProver, KeyStore, MsmDevice, MsmPlacement};

/// Depth 8 (one index byte): a deposit takes 10 chunks of 8 bytes, so 10 chunks hold any op.
pub(crate) const SHAPE: BatchShape = BatchShape {
    depth: 8,
    chunks: 10,
    fee_slots: 1,
};

/// The test shape's keys, made once per test run (cached across runs in the system temp dir).
pub(crate) fn keys() -> &'static BatchKeys {
    static KEYS: OnceLock<BatchKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        KeyStore::new(std::env::temp_dir().join("zksettle-test-keys"))
            .load_or_setup(SHAPE, b"zksettle settlement tests")
            .unwrap()
    })
}

pub(crate) fn user(seed: u8) -> PrivateKey {
    PrivateKey::from_bytes([seed; 32])
}

/// A batch ready for the contract.
pub(crate) struct ProvenBatch {
    pub(crate) number: u64,
    pub(crate) new_root: Fr,
    pub(crate) pubdata: Vec<u8>,
    pub(crate) proof: Proof<Bn254>,
}

pub(crate) struct L2 {
    tree: AccountTree<MemoryStore>,
    config: StfConfig,
    prover: BatchProver,
    next: u64,
}

impl L2 {
    pub(crate) fn genesis_root() -> Fr {
        AccountTree::open(MemoryStore::new(), SHAPE.depth)
            .unwrap()
            .root()
            .unwrap()
    }

    pub(crate) fn new(domain: Domain) -> L2 {
        L2 {
            tree: AccountTree::open(MemoryStore::new(), SHAPE.depth).unwrap(),
            config: StfConfig {
                domain,
                shape: SHAPE,
            },
            prover: BatchProver::new(keys().clone(), domain).unwrap(),
            next: 1,
        }
    }

    /// Proves the next batches with the G1 MSMs where `device` says (the GPU backend).
    pub(crate) fn place_msm(&mut self, device: MsmDevice) -> MsmPlacement {
        let prover = BatchProver::new(keys().clone(), self.config.domain).unwrap();
        let (prover, placement) = zksettle_prover::backend::place(prover, device).unwrap();
        self.prover = prover;
        placement
    }

    pub(crate) fn domain(&self) -> Domain {
        self.config.domain
    }

    pub(crate) fn root(&self) -> Fr {
        self.tree.root().unwrap()
    }

    pub(crate) fn account(&self, index: u32) -> Account {
        self.tree.account(AccountIndex(index)).unwrap().unwrap()
    }

    pub(crate) fn path(&self, index: u32) -> MerklePath {
        self.tree.merkle_path(AccountIndex(index)).unwrap()
    }

    /// The op of a queued priority operation, routed as the node routes it (the sequencer's
    /// [`Router`](zksettle_sequencer::routing::Router) over this state).
    pub(crate) fn route(&self, op: &PriorityOp) -> Op {
        zksettle_sequencer::routing::Router::new(&self.tree)
            .unwrap()
            .priority(op)
            .unwrap()
    }

    /// Applies `ops` (all must be accepted) and proves the batch.
    pub(crate) fn batch(&mut self, ops: Vec<Op>) -> ProvenBatch {
        let number = self.next;
        let applied = self.apply(ops);
        let proof = self.prover.prove(&applied.witness, &|_| {}).unwrap();
        assert_eq!(proof.commitment, applied.commitment());
        ProvenBatch {
            number,
            new_root: applied.new_root(),
            pubdata: applied.pubdata().to_vec(),
            proof: proof.proof,
        }
    }

    /// Applies `ops` (all must be accepted) as the next batch, for a prover of its own.
    pub(crate) fn apply(&mut self, ops: Vec<Op>) -> AppliedBatch {
        let number = self.next;
        let applied = apply_batch(
            &mut self.tree,
            &self.config,
            &BatchInput {
                number,
                ops,
                fee_recipients: vec![],
            },
        )
        .unwrap();
        assert!(applied.rejected.is_empty(), "{:?}", applied.rejected);
        self.tree.commit().unwrap();
        self.next += 1;
        applied
    }
}

/// The L2 op of a queued deposit, into account `to`.
pub(crate) fn deposit_op(op: &PriorityOp, to: u32) -> Op {
    let PriorityOp::Deposit {
        token,
        amount,
        packed_key,
        l1_address,
        ..
    } = op
    else {
        panic!("not a deposit: {op:?}");
    };
    Op::Deposit(Deposit {
        to: AccountIndex(to),
        token: *token,
        amount: *amount,
        public_key: Point::unpack(packed_key).unwrap(),
        l1_address: *l1_address,
    })
}

/// The L2 op of a queued forced exit.
pub(crate) fn forced_exit_op(op: &PriorityOp) -> Op {
    let PriorityOp::ForcedExit {
        index,
        token,
        requester,
        ..
    } = op
    else {
        panic!("not a forced exit: {op:?}");
    };
    Op::ForcedExit(zksettle_core::ForcedExit {
        index: *index,
        token: *token,
        requester: *requester,
    })
}

/// A transfer at the sending account's current nonce.
pub(crate) fn transfer(
    l2: &L2,
    signer: u8,
    from: u32,
    to: u32,
    recipient: u8,
    amount: u128,
    to_l1: L1Address,
) -> Op {
    let from_account = l2.account(from);
    let nonce = from_account.nonce;
    let t = Transfer {
        from: AccountIndex(from),
        token: from_account.token,
        amount,
        fee: 0,
        nonce,
        to: user(recipient).public_key(),
        to_l1_address: to_l1,
    };
    let signature = Tx::Transfer(t).sign(&user(signer), &l2.domain()).signature;
    Op::Transfer {
        to: AccountIndex(to),
        transfer: t,
        signature,
    }
}

pub(crate) fn withdraw(
    l2: &L2,
    signer: u8,
    from: u32,
    amount: u128,
    nonce: u32,
    to: L1Address,
) -> Op {
    let w = Withdraw {
        from: AccountIndex(from),
        token: l2.account(from).token,
        amount,
        fee: 0,
        nonce,
        to_l1_address: to,
    };
    let signature = Tx::Withdraw(w).sign(&user(signer), &l2.domain()).signature;
    Op::Withdraw {
        withdraw: w,
        signature,
    }
}
