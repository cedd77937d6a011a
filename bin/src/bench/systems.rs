//! `zksettle bench prove --prover.system groth16,halo2`: the two proof systems on the same
//! batches of `B` signed transfers, one row per system and capacity, halo2's figures as ratios
//! over Groth16's from the same run.
//!
//! For each system: the keys (Groth16's development keys, cached; halo2's made from the KZG
//! parameters, timed); the proof as a node makes it (witness, proof, self-check; Groth16 with
//! its fixed-base tables built first, as a node builds them at start), fastest of `--repeat`;
//! the peak resident memory while proving (keys and tables included: what the node holds);
//! the proof's size as the rollup's verifier takes it; the offline check (fastest of 10); and
//! the gas of the rollup's `verifyBatch` call, measured on the embedded EVM through a probe
//! contract, the call included.

use super::super::proof_system::{SystemArgs, SystemKeys};
use super::super::prover::{progress_bar, KeyArgs};
use alloy::primitives::{Address, U256};
use eyre::WrapErr;
use std::time::Instant;
use zksettle_benches::memory::{peak_rss_mib, reset_peak_rss};
use zksettle_benches::workload::transfer_batch_in;
use zksettle_core::stf::BatchWitness;
use zksettle_core::{BatchShape, Domain};
use zksettle_l1::{EmbeddedChain, ProofSystem, VerifierProof};
use zksettle_prover::BatchProver;

/// Offline checks timed per proof (each system keeps its fastest).
const VERIFY_REPEAT: usize = 10;

/// One system's figures for one batch.
#[derive(Debug, Clone)]
struct Figures {
    /// Keys made (Groth16: read from the cache or made; halo2: generated), seconds.
    keys_seconds: f64,
    /// The fastest proof, seconds.
    prove_seconds: f64,
    /// Peak resident memory while proving, MiB.
    peak_mib: Option<f64>,
    /// The proof as the verifier contract takes it, bytes.
    proof_bytes: usize,
    /// The fastest offline check, milliseconds.
    verify_ms: f64,
    /// Gas of the rollup's `verifyBatch` call.
    verify_gas: u64,
    /// What the system's size is counted in (constraints, or rows).
    size: String,
}

/// The systems side by side for each capacity.
pub(super) fn run(
    keys: &KeyArgs,
    ptau: Option<&std::path::Path>,
    systems: &[ProofSystem],
    depth: u8,
    capacities: &[usize],
    repeat: usize,
    table_memory_mib: usize,
) -> eyre::Result<()> {
    println!(
        "proof systems on {} threads, depth {depth}: each batch of B signed transfers proven by each, fastest of {}; ratios are over Groth16",
        rayon::current_num_threads(),
        repeat.max(1)
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    for &chunks in capacities {
        let shape = BatchShape {
            depth,
            chunks,
            fee_slots: 1,
        };
        shape.validate().wrap_err("bench shape")?;
        let domain = Domain {
            chain_id: 31337,
            rollup: zksettle_core::L1Address([0x5e; 20]),
        };
        let workload = transfer_batch_in(depth, chunks, domain)
            .wrap_err_with(|| format!("a batch of {chunks} transfers"))?;
        let mut baseline: Option<Figures> = None;
        for &system in systems {
            let args = SystemArgs {
                system,
                ptau: ptau.map(std::path::Path::to_path_buf),
            };
            let bar = progress_bar(&format!("B={chunks} {system}"))?;
            let figures = measure(
                &runtime,
                &args,
                keys,
                shape,
                domain,
                &workload.batch.witness,
                repeat,
                table_memory_mib,
            )?;
            bar.finish_and_clear();
            print_row(chunks, system, &figures, baseline.as_ref());
            if baseline.is_none() {
                baseline = Some(figures);
            }
        }
    }
    Ok(())
}

fn print_row(chunks: usize, system: ProofSystem, f: &Figures, over: Option<&Figures>) {
    let ratio = |ours: f64, theirs: f64| {
        over.map_or(String::new(), |_| format!(" ({:.2}x)", ours / theirs))
    };
    let base = over.unwrap_or(f);
    let peak = match (f.peak_mib, base.peak_mib) {
        (Some(ours), Some(theirs)) => format!("{ours:.0} MiB{}", ratio(ours, theirs)),
        _ => "peak unknown".to_owned(),
    };
    println!(
        "  B={chunks:<3} {system:<7} {:<18} keys {:>6.1} s  prove {:>7.2} s{}  peak {peak}  proof {} B{}  verify {:.2} ms{}  verify gas {}{}",
        f.size,
        f.keys_seconds,
        f.prove_seconds,
        ratio(f.prove_seconds, base.prove_seconds),
        f.proof_bytes,
        ratio(f.proof_bytes as f64, base.proof_bytes as f64),
        f.verify_ms,
        ratio(f.verify_ms, base.verify_ms),
        f.verify_gas,
        ratio(f.verify_gas as f64, base.verify_gas as f64),
    );
}

#[allow(clippy::too_many_arguments)]
fn measure(
    runtime: &tokio::runtime::Runtime,
    args: &SystemArgs,
    keys: &KeyArgs,
    shape: BatchShape,
    domain: Domain,
    witness: &BatchWitness,
    repeat: usize,
    table_memory_mib: usize,
) -> eyre::Result<Figures> {
    let started = Instant::now();
    let system_keys = args.load(keys, shape)?;
    let keys_seconds = started.elapsed().as_secs_f64();
    let verifier_key = system_keys.verifier_key();
    let (prove_seconds, peak_mib, proof, commitment, verify_ms, size) = match system_keys {
        SystemKeys::Groth16(keys) => {
            let prover = BatchProver::new(keys, domain)?;
            if table_memory_mib > 0 {
                prover.build_tables(table_memory_mib.saturating_mul(1 << 20))?;
            }
            reset_peak_rss();
            let (seconds, proof) = fastest(repeat, || prover.prove(witness, &|_| {}))?;
            let peak = peak_rss_mib();
            let vk = prover.keys().verifying_key();
            let (verify_ms, ok) = fastest_check(|| zksettle_prover::verify(vk, &proof))?;
            eyre::ensure!(ok, "the Groth16 proof does not verify");
            let size = format!("{} constraints", prover.constraints().constraints());
            let bytes = proof.proof.verifier_bytes().to_vec();
            (seconds, peak, bytes, proof.commitment, verify_ms, size)
        }
        SystemKeys::Halo2 { keys, .. } => {
            let k = zksettle_halo2_circuit::batch::BatchCircuit::k(shape);
            let prover = zksettle_prover::halo2::Halo2BatchProver::new(keys, domain);
            reset_peak_rss();
            let (seconds, proof) = fastest(repeat, || prover.prove(witness))?;
            let peak = peak_rss_mib();
            let (params, vk) = (prover.keys().params(), prover.keys().vk());
            let (verify_ms, ()) = fastest_check(|| {
                zksettle_prover::halo2::verify(params, vk, &proof.proof, proof.commitment)
            })?;
            let size = format!("2^{k} rows");
            (
                seconds,
                peak,
                proof.proof,
                proof.commitment,
                verify_ms,
                size,
            )
        }
    };
    let verify_gas = runtime.block_on(verify_gas(&verifier_key, &proof, commitment))?;
    Ok(Figures {
        keys_seconds,
        prove_seconds,
        peak_mib,
        proof_bytes: proof.len(),
        verify_ms,
        verify_gas,
        size,
    })
}

/// The fastest of `repeat` runs of `prove`, and its last result.
fn fastest<T, E: std::error::Error + Send + Sync + 'static>(
    repeat: usize,
    mut prove: impl FnMut() -> Result<T, E>,
) -> eyre::Result<(f64, T)> {
    let mut best = f64::INFINITY;
    let mut last = None;
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let out = prove()?;
        best = best.min(started.elapsed().as_secs_f64());
        last = Some(out);
    }
    let last = last.ok_or_else(|| eyre::eyre!("nothing proven"))?;
    Ok((best, last))
}

/// The fastest of [`VERIFY_REPEAT`] checks, milliseconds, and the check's answer.
fn fastest_check<T, E: std::error::Error + Send + Sync + 'static>(
    mut check: impl FnMut() -> Result<T, E>,
) -> eyre::Result<(f64, T)> {
    let (seconds, out) = fastest(VERIFY_REPEAT, &mut check)?;
    Ok((seconds * 1e3, out))
}

/// Gas of `verifyBatch(proof, commitment)` on a fresh embedded EVM with the key's verifier
/// deployed, as the rollup's call pays it; fails unless the verifier accepts.
async fn verify_gas(
    key: &zksettle_l1::BatchVerifierKey,
    proof: &[u8],
    commitment: zksettle_core::Fr,
) -> eyre::Result<u64> {
    let deployer = Address::repeat_byte(0x0a);
    let chain = EmbeddedChain::new(31337, &[(deployer, U256::from(10u128.pow(24)))]);
    let verifier = key.deploy(&chain).await?;
    zksettle_benches::gas::verify_batch_gas(&chain, verifier, proof, &commitment).await
}
