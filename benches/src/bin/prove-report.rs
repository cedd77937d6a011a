//! `cargo run --release -p zksettle-benches --bin prove-report -- [B ...]`: for each batch
//! capacity `B` (default 1 4 16) at tree depth 24, a batch of `B` signed transfers is made by
//! the native state transition ([`transfer_batch`]) and proven; printed beside plain `ark_groth16` proving of the
//! same circuit, as a ratio from one run (the fastest of three alternating proofs each), with
//! constraints per chunk and peak memory. zksettle's prover first builds its key's fixed-base
//! tables within `ZKSETTLE_TABLE_MEMORY_MIB` (default 1024; 0 for none), as a node does once
//! at start; their size and build time are printed.
//!
//! Keys come from the insecure development setup, cached in `~/.cache/zksettle/keys`.

use ark_bn254::Bn254;
use ark_snark::SNARK;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use std::time::Instant;
use zksettle_benches::{sequential_witness, transfer_batch};
use zksettle_circuits::{BatchAssignment, BatchCircuit};
use zksettle_core::{BatchShape, Domain, L1Address};
use zksettle_prover::{BatchProver, KeyStore, INSECURE_SETUP_NOTICE};

const DEPTH: u8 = 24;

/// Proofs of each implementation, alternating; each keeps its fastest.
const REPEAT: usize = 3;

/// The fixed-base tables' memory (`ZKSETTLE_TABLE_MEMORY_MIB`, MiB; a node's default).
fn table_bytes_from_env() -> eyre::Result<usize> {
    Ok(match std::env::var("ZKSETTLE_TABLE_MEMORY_MIB") {
        Ok(mib) => mib.parse::<usize>()?.saturating_mul(1 << 20),
        Err(_) => zksettle_prover::DEFAULT_TABLE_BYTES,
    })
}

fn main() -> eyre::Result<()> {
    let mut results = zksettle_benches::results::Results::new("prove-report");
    let capacities = zksettle_benches::capacities_from_args(&[1, 4, 16])?;
    let table_bytes = table_bytes_from_env()?;
    let domain = Domain {
        chain_id: 31337,
        rollup: L1Address([0x5e; 20]),
    };
    let cache = zksettle_benches::key_cache_dir();
    results.line(INSECURE_SETUP_NOTICE);
    results.line(format!(
        "zksettle prove report: depth {DEPTH}, {} threads",
        rayon_threads()
    ));
    for chunks in capacities {
        let shape = BatchShape {
            depth: DEPTH,
            chunks,
            fee_slots: 1,
        };
        debug_assert_eq!(transfer_batch(DEPTH, chunks)?.0, shape);
        let started = Instant::now();
        let keys = KeyStore::new(&cache).load_or_setup(shape, b"zksettle bench")?;
        let key_seconds = started.elapsed().as_secs_f64();

        let started = Instant::now();
        let (_, _, applied) = transfer_batch(DEPTH, chunks)?;
        let witness_seconds = started.elapsed().as_secs_f64();

        let circuit = BatchCircuit {
            assignment: BatchAssignment::from_witness(shape, domain, &applied.witness)?,
        };
        let started = Instant::now();
        let parallel = circuit.full_assignment()?;
        let parallel_seconds = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let sequential = sequential_witness(&circuit)?;
        let sequential_seconds = started.elapsed().as_secs_f64();
        eyre::ensure!(
            parallel.witness == sequential,
            "parallel and sequential witnesses differ"
        );
        drop((parallel, sequential));

        let prover = BatchProver::new(keys.clone(), domain)?;
        let tables = prover.build_tables(table_bytes)?;
        let tables = format!(
            "tables {} of 5 queries, {} MiB, built in {:.1} s",
            tables.queries(),
            tables.memory_bytes() >> 20,
            tables.build_seconds
        );
        zksettle_benches::memory::reset_peak_rss();
        let (mut ours, mut plain, mut peak) = (f64::INFINITY, f64::INFINITY, None);
        for round in 0..REPEAT {
            let started = Instant::now();
            let proof = prover.prove(&applied.witness, &|_| {})?;
            ours = ours.min(started.elapsed().as_secs_f64());
            if round == 0 {
                // zksettle's peak (the tables included), before arkworks' first proof.
                peak = zksettle_benches::memory::peak_rss_mib();
            }
            eyre::ensure!(
                proof.commitment == applied.commitment(),
                "commitment mismatch"
            );

            let mut rng = StdRng::from_entropy();
            let started = Instant::now();
            let reference =
                ark_groth16::Groth16::<Bn254>::prove(&keys.proving_key, circuit.clone(), &mut rng)?;
            plain = plain.min(started.elapsed().as_secs_f64());
            eyre::ensure!(
                zksettle_prover::verify(
                    keys.verifying_key(),
                    &zksettle_prover::BatchProof {
                        commitment: proof.commitment,
                        proof: reference
                    }
                )?,
                "the reference proof does not verify"
            );
        }

        let constraints = zksettle_circuits::batch::constraint_count(shape)?;
        results.line(format!(
            "B={chunks:>3}: {constraints} constraints ({} per chunk), keys {key_seconds:.1} s, native witness (funding and the batch) {witness_seconds:.3} s, \
             circuit witness {parallel_seconds:.2} s vs sequential synthesis {sequential_seconds:.2} s ({:.2}x), \
             zksettle prove {ours:.2} s (incl. synthesis and self-verify), ark_groth16::prove {plain:.2} s, \
             ratio {:.2}x, {:.2} transfers/s, peak RSS {} MiB, {tables}",
            constraints / chunks,
            sequential_seconds / parallel_seconds,
            plain / ours,
            chunks as f64 / ours,
            peak.map_or("?".into(), |p| format!("{p:.0}")),
        ));
    }
    results.write()?;
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
