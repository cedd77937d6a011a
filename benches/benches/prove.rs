//! Proving a batch of transfers at depth 24: the native witness (state transition), zksettle's
//! prover, and plain `ark_groth16::Groth16::prove` on the same circuit and keys, side by side.
//! `ZKSETTLE_BENCH_CHUNKS` picks the capacities (default `1,4`; the full set is
//! `1,4,16,64`, which needs hours of setup and about 20 GiB at 64 on two cores).

// A bench fixture that fails has nothing to measure: stop loudly.
#![allow(clippy::unwrap_used)]

use ark_bn254::Bn254;
use ark_snark::SNARK;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use zksettle_benches::{sequential_witness, transfer_batch};
use zksettle_circuits::{BatchAssignment, BatchCircuit};
use zksettle_prover::{BatchProver, KeyStore};

fn capacities() -> Vec<usize> {
    std::env::var("ZKSETTLE_BENCH_CHUNKS")
        .unwrap_or_else(|_| "1,4".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect()
}

fn prove(c: &mut Criterion) {
    let cache = std::env::var_os("HOME").map_or_else(
        || "keys".into(),
        |h| std::path::PathBuf::from(h).join(".cache/zksettle/keys"),
    );
    for chunks in capacities() {
        let (shape, domain, applied) = transfer_batch(24, chunks).unwrap();
        let keys = KeyStore::new(&cache)
            .load_or_setup(shape, b"zksettle bench")
            .unwrap();
        let prover = BatchProver::new(keys.clone(), domain).expect("constraint matrices");
        let mut group = c.benchmark_group(format!("prove_transfers_d24_b{chunks}"));
        group.sample_size(10);
        group.bench_function("native_witness", |b| {
            b.iter(|| transfer_batch(24, chunks).unwrap())
        });
        let circuit = BatchCircuit {
            assignment: BatchAssignment::from_witness(shape, domain, &applied.witness).unwrap(),
        };
        group.bench_function("circuit_witness_parallel", |b| {
            b.iter(|| circuit.full_assignment().unwrap())
        });
        group.bench_function("circuit_witness_sequential_synthesis", |b| {
            b.iter(|| sequential_witness(&circuit).unwrap())
        });
        group.bench_function("zksettle_prove", |b| {
            b.iter(|| prover.prove(&applied.witness, &|_| {}).unwrap())
        });
        group.bench_function("reference_ark_groth16_prove", |b| {
            b.iter_batched(
                || BatchCircuit {
                    assignment: BatchAssignment::from_witness(shape, domain, &applied.witness)
                        .unwrap(),
                },
                |circuit| {
                    ark_groth16::Groth16::<Bn254>::prove(
                        &keys.proving_key,
                        circuit,
                        &mut StdRng::from_entropy(),
                    )
                    .unwrap()
                },
                BatchSize::LargeInput,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, prove);
criterion_main!(benches);
