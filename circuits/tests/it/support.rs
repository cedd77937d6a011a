//! A small world for building batches with the core's state transition and checking them
//! against the circuit.

use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, OptimizationGoal};
use zksettle_circuits::{BatchAssignment, BatchCircuit, Fr};
use zksettle_core::stf::{apply_batch, AppliedBatch, BatchInput, StfConfig};
use zksettle_core::tree::{AccountTree, MemoryStore};
use zksettle_core::{
    AccountIndex, BatchShape, Deposit, Domain, ForcedExit, L1Address, Op, PrivateKey, TokenId,
    Transfer, Tx, Withdraw,
};

pub(crate) use crate::batch::funded_world;

pub(crate) const ETH: u32 = 0;

pub(crate) fn shape(chunks: usize) -> BatchShape {
    BatchShape {
        depth: 16,
        chunks,
        fee_slots: 2,
    }
}

pub(crate) fn domain() -> Domain {
    Domain {
        chain_id: 31337,
        rollup: L1Address([0x5e; 20]),
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
    pub(crate) shape: BatchShape,
    pub(crate) next: u64,
}

impl World {
    pub(crate) fn new(chunks: usize) -> Self {
        let shape = shape(chunks);
        World {
            tree: AccountTree::open(MemoryStore::new(), shape.depth).unwrap(),
            shape,
            next: 1,
        }
    }

    pub(crate) fn config(&self) -> StfConfig {
        StfConfig {
            domain: domain(),
            shape: self.shape,
        }
    }

    /// Applies a batch natively, commits it, and returns it.
    pub(crate) fn batch(&mut self, ops: Vec<Op>, fee_recipients: Vec<u32>) -> AppliedBatch {
        let input = BatchInput {
            number: self.next,
            ops,
            fee_recipients: fee_recipients.into_iter().map(AccountIndex).collect(),
        };
        let config = self.config();
        let applied = apply_batch(&mut self.tree, &config, &input).unwrap();
        self.tree.commit().unwrap();
        self.next += 1;
        applied
    }
}

/// Whether the circuit is satisfied by an assignment, and which constraint fails if not.
pub(crate) fn check(assignment: BatchAssignment) -> (bool, Option<String>, usize) {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    BatchCircuit { assignment }
        .generate_constraints(cs.clone())
        .unwrap();
    cs.finalize();
    let ok = cs.is_satisfied().unwrap();
    let which = if ok {
        None
    } else {
        cs.which_is_unsatisfied().unwrap()
    };
    (ok, which, cs.num_constraints())
}

/// Checks that witness generation in parallel over the chunks gives exactly the assignment
/// sequential synthesis gives.
pub(crate) fn assert_parallel_witness_matches(assignment: &BatchAssignment) {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    let circuit = BatchCircuit {
        assignment: assignment.clone(),
    };
    circuit.clone().generate_constraints(cs.clone()).unwrap();
    let parallel = circuit.full_assignment().unwrap();
    assert_eq!(parallel.instance, cs.instance_assignment().unwrap());
    let sequential = cs.witness_assignment().unwrap();
    assert_eq!(parallel.witness.len(), sequential.len());
    let first_difference = parallel
        .witness
        .iter()
        .zip(&sequential)
        .position(|(p, s)| p != s);
    assert_eq!(first_difference, None, "witness variables differ");
}

pub(crate) fn assignment(world: &World, applied: &AppliedBatch) -> BatchAssignment {
    BatchAssignment::from_witness(world.shape, domain(), &applied.witness).unwrap()
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
    amount: u128,
    fee: u128,
    nonce: u32,
) -> Op {
    let t = Transfer {
        from: AccountIndex(from),
        token: TokenId(ETH),
        amount,
        fee,
        nonce,
        to: key(recipient).public_key(),
        to_l1_address: addr(recipient),
    };
    let signed = Tx::Transfer(t).sign(&key(signer), &domain());
    Op::Transfer {
        to: AccountIndex(to),
        transfer: t,
        signature: signed.signature,
    }
}

pub(crate) fn withdraw(signer: u8, from: u32, amount: u128, fee: u128, nonce: u32) -> Op {
    let w = Withdraw {
        from: AccountIndex(from),
        token: TokenId(ETH),
        amount,
        fee,
        nonce,
        to_l1_address: addr(signer),
    };
    let signed = Tx::Withdraw(w).sign(&key(signer), &domain());
    Op::Withdraw {
        withdraw: w,
        signature: signed.signature,
    }
}

pub(crate) fn forced_exit(index: u32, requester: u8) -> Op {
    Op::ForcedExit(ForcedExit {
        index: AccountIndex(index),
        token: TokenId(ETH),
        requester: addr(requester),
    })
}
