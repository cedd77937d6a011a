use super::*;
use halo2_proofs::dev::MockProver;
use zksettle_core::stf::AppliedBatch;
use zksettle_core::{AccountIndex, BatchShape, Op};
use zksettle_test_support::{addr, deposit, domain, forced_exit, native_transfer, withdraw, World};

const ETH: u32 = 0;

thread_local! {
    /// Rows and advice cells of the last batch laid out on this thread.
    pub(super) static LAYOUT: std::cell::Cell<(usize, usize)> =
        const { std::cell::Cell::new((0, 0)) };
}

fn shape(chunks: usize) -> BatchShape {
    BatchShape {
        depth: 16,
        chunks,
        fee_slots: 2,
    }
}

fn batch(
    world: &mut World,
    ops: Vec<Op>,
    fee_recipients: &[u32],
) -> (AppliedBatch, BatchAssignment) {
    let recipients = fee_recipients.iter().map(|i| AccountIndex(*i)).collect();
    let applied = world.batch(ops, recipients);
    let assignment =
        BatchAssignment::from_witness(world.shape(), domain(), &applied.witness).unwrap();
    (applied, assignment)
}

fn verify(circuit: &BatchCircuit) -> Result<(), Vec<halo2_proofs::dev::VerifyFailure>> {
    let k = BatchCircuit::k(circuit.assignment.shape);
    MockProver::run(k, circuit, circuit.instance())
        .expect("the batch fits its rows")
        .verify()
}

#[test]
fn batches_of_every_op_type_satisfy_the_circuit_under_the_cores_commitment() {
    let mut world = World::new(shape(18));
    let (applied, assignment) = batch(
        &mut world,
        vec![deposit(1, ETH, 1_000_000, 1), deposit(2, ETH, 5_000, 2)],
        &[],
    );
    assert_eq!(applied.included.len(), 2);
    assert_eq!(verify(&BatchCircuit::new(assignment)), Ok(()));

    let ops = vec![
        native_transfer(1, 1, 2, 2, 2_500, 3, 0),
        native_transfer(1, 1, 3, 7, 10_000, 1, 1),
        withdraw(2, 2, ETH, 500, 1, 0, addr(2)),
        forced_exit(1, ETH, addr(1)),
    ];
    let (applied, assignment) = batch(&mut world, ops, &[2]);
    assert_eq!(
        applied.included.len(),
        4,
        "rejected: {:?}",
        applied.rejected
    );
    let circuit = BatchCircuit::new(assignment);
    assert_eq!(verify(&circuit), Ok(()));

    let (rows, _) = LAYOUT.with(|l| l.get());
    assert!(
        rows <= BatchCircuit::rows_bound(circuit.assignment.shape),
        "{rows} rows"
    );

    let mut wrong = circuit.clone();
    wrong.assignment.commitment += zksettle_core::Fr::from(1u64);
    assert!(verify(&wrong).is_err());
}

/// Rows and cells per chunk at D = 24: the difference between 32 and 16 chunks, over 16, as
/// `constraints_per_chunk` measures the R1CS circuit (16 chunks of 12 bytes are three whole
/// SHA-256 blocks).
#[test]
#[ignore = "two blank batches at D = 24 (about a minute); run for docs/circuit.md's figures"]
fn rows_and_cells_per_chunk_at_depth_24() {
    let layout = |chunks| {
        let shape = BatchShape {
            depth: 24,
            chunks,
            fee_slots: 2,
        };
        let circuit = BatchCircuit::new(BatchAssignment::blank(shape, domain()));
        let _ = MockProver::run(20, &circuit, circuit.instance());
        LAYOUT.with(|l| l.get())
    };
    let (rows16, cells16) = layout(16);
    let (rows32, cells32) = layout(32);
    for (chunks, rows) in [(16, rows16), (32, rows32)] {
        let shape = BatchShape {
            depth: 24,
            chunks,
            fee_slots: 2,
        };
        assert!(
            rows <= BatchCircuit::rows_bound(shape),
            "{chunks} chunks: {rows} rows"
        );
    }
    eprintln!(
        "{} rows, {} advice cells per chunk; 16 chunks: {rows16} rows",
        (rows32 - rows16) / 16,
        (cells32 - cells16) / 16
    );
}

/// `halo2-axiom` caps the degree it sizes its quotient for at 5 (`MAX_DEGREE`), silently: a
/// constraint of higher degree satisfies the MockProver and fails every real proof. A lookup of
/// inputs of degree `d` into a table of degree `t` is a constraint of degree `2 + d + t`.
#[test]
fn every_constraint_is_of_degree_five_or_less() {
    let mut cs = halo2_proofs::plonk::ConstraintSystem::<Fr>::default();
    let _ = BatchCircuit::configure(&mut cs);
    let gates = cs
        .gates()
        .iter()
        .flat_map(|gate| gate.polynomials().iter().map(|p| p.degree()));
    let lookups = cs.lookups().iter().map(|lookup| {
        let degree = |exprs: &[halo2_proofs::plonk::Expression<Fr>]| {
            exprs.iter().map(|e| e.degree()).max().unwrap_or(1)
        };
        2 + degree(lookup.input_expressions()) + degree(lookup.table_expressions())
    });
    let worst = gates.chain(lookups).max().unwrap_or(0);
    assert!(worst <= 5, "a constraint of degree {worst}");
}

/// A transfer between two funded accounts in a one-chunk batch at depth 8 (the deposits
/// applied natively under a wider shape).
fn small_transfer() -> BatchAssignment {
    let mut world = World::new(BatchShape {
        depth: 8,
        chunks: 1,
        fee_slots: 1,
    });
    world.fund(vec![deposit(1, ETH, 1_000, 1), deposit(2, ETH, 10, 2)]);
    batch(
        &mut world,
        vec![native_transfer(1, 1, 2, 2, 100, 1, 0)],
        &[1],
    )
    .1
}

/// A cheating prover changes one advice cell of a valid batch, anywhere (each chip's own sweep
/// covers its cells; this one the glue between them): a sample of every `stride`-th cell, about
/// 40 unless `ZKSETTLE_HALO2_TAMPER_STRIDE` says (97, about 700 cells, passed). The batch is a
/// transfer, which enables both writes, the signature and the fee slot: a disabled write's
/// cells are as free here as in the R1CS circuit, and change no root or byte.
#[test]
fn changing_a_sample_of_advice_cells_of_a_batch_breaks_it() {
    let honest = BatchCircuit::new(small_transfer());
    assert_eq!(verify(&honest), Ok(()));
    let cells = LAYOUT.with(|l| l.get()).1;
    let mut free = Vec::new();
    for cell in (0..cells).step_by(crate::layout::sweep_stride(cells / 40)) {
        let forged = BatchCircuit {
            tamper: vec![Tamper {
                cell,
                delta: Fr::ONE,
            }],
            ..honest.clone()
        };
        if verify(&forged).is_ok() {
            free.push(cell);
        }
    }
    assert!(free.is_empty(), "cells {free:?} of {cells} change freely");
}
