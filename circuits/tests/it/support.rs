//! A small world for building batches with the core's state transition and checking them
//! against the circuit.

use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisMode,
    R1CS_PREDICATE_LABEL,
};
use zksettle_circuits::{BatchAssignment, BatchCircuit, Fr};
use zksettle_core::stf::{AppliedBatch, StfConfig};
use zksettle_core::{AccountIndex, BatchShape, Op};

pub(crate) use crate::batch::funded_world;

pub(crate) const ETH: u32 = 0;

pub(crate) fn shape(chunks: usize) -> BatchShape {
    BatchShape {
        depth: 16,
        chunks,
        fee_slots: 2,
    }
}

pub(crate) use zksettle_test_support::{addr, domain, key};

/// The shared [`zksettle_test_support::World`] at [`shape`]`(chunks)`, fee recipients by
/// index number.
pub(crate) struct World(zksettle_test_support::World);

impl std::ops::Deref for World {
    type Target = zksettle_test_support::World;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for World {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl World {
    pub(crate) fn new(chunks: usize) -> Self {
        World(zksettle_test_support::World::new(shape(chunks)))
    }

    pub(crate) fn wrap(world: zksettle_test_support::World) -> Self {
        World(world)
    }

    pub(crate) fn config(&self) -> StfConfig {
        self.0.config
    }

    /// Applies a batch natively, commits it, and returns it.
    pub(crate) fn batch(&mut self, ops: Vec<Op>, fee_recipients: Vec<u32>) -> AppliedBatch {
        let recipients = fee_recipients.into_iter().map(AccountIndex).collect();
        self.0.batch(ops, recipients)
    }
}

pub(crate) fn deposit(to: u32, token: u32, amount: u128, owner: u8) -> Op {
    zksettle_test_support::deposit(to, token, amount, owner)
}

pub(crate) use zksettle_test_support::native_transfer as transfer;

pub(crate) fn withdraw(signer: u8, from: u32, amount: u128, fee: u128, nonce: u32) -> Op {
    zksettle_test_support::withdraw(signer, from, ETH, amount, fee, nonce, addr(signer))
}

pub(crate) fn forced_exit(index: u32, requester: u8) -> Op {
    zksettle_test_support::forced_exit(index, ETH, addr(requester))
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
    BatchAssignment::from_witness(world.shape(), domain(), &applied.witness).unwrap()
}

/// The R1CS matrices `[A, B, C]` of a shape's circuit and its number of instance variables (the
/// constant 1 included), from one synthesis in setup mode: checking a full assignment against
/// them is the prover's witness generation plus one pass over the rows.
pub(crate) fn r1cs_matrices(shape: BatchShape) -> (Vec<Matrix<Fr>>, usize) {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    BatchCircuit {
        assignment: BatchAssignment::blank(shape, domain()),
    }
    .generate_constraints(cs.clone())
    .unwrap();
    cs.finalize();
    let matrices = cs
        .to_matrices()
        .unwrap()
        .remove(R1CS_PREDICATE_LABEL)
        .unwrap();
    (matrices, cs.num_instance_variables())
}
