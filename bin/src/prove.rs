//! Proving the batches a command made: a prover pool sized for this machine, one progress bar
//! over all proofs, and every proof checked against the verifying key and the batch's
//! commitment before it counts.

use super::prover::progress_bar;
use eyre::{ensure, WrapErr};
use std::sync::Mutex;
use std::time::Instant;
use zksettle_core::stf::BatchWitness;
use zksettle_core::{Domain, Fr};
use zksettle_prover::halo2::{Halo2BatchProver, Halo2Keys};
use zksettle_prover::{verify, BatchKeys, ProverPool};

/// What proving a run's batches gave.
#[derive(Debug)]
pub(crate) struct Proven {
    pub(crate) batches: usize,
    pub(crate) workers: usize,
    pub(crate) seconds_per_batch: f64,
}

/// Proves `batches` (each a witness and the commitment the state transition computed for it).
pub(crate) fn prove_batches(
    keys: BatchKeys,
    domain: Domain,
    batches: &[(BatchWitness, Fr)],
) -> eyre::Result<Proven> {
    let vk = keys.verifying_key().clone();
    let pool = ProverPool::for_this_machine(keys, domain)?;
    let bar = progress_bar(&format!(
        "proving {} batches, {} at a time",
        batches.len(),
        pool.workers()
    ))?;
    let done = Mutex::new(vec![0.0f64; batches.len()]);
    let witnesses: Vec<BatchWitness> = batches.iter().map(|(w, _)| w.clone()).collect();
    let started = Instant::now();
    let results = pool.prove_all(&witnesses, &|job, p| {
        let mut done = done.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        done[job] = p.fraction;
        let overall = done.iter().sum::<f64>() / done.len().max(1) as f64;
        bar.set_position((overall * 100.0).round() as u64);
        bar.set_message(format!("batch {}: {}", job + 1, p.phase));
    });
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    for (n, (result, (_, commitment))) in results.into_iter().zip(batches).enumerate() {
        let proof = result.wrap_err_with(|| format!("proving batch {}", n + 1))?;
        ensure!(
            proof.commitment == *commitment,
            "batch {}: the proof is of another commitment",
            n + 1
        );
        ensure!(
            verify(&vk, &proof)?,
            "batch {}: the proof does not verify",
            n + 1
        );
    }
    Ok(Proven {
        batches: batches.len(),
        workers: pool.workers(),
        seconds_per_batch: seconds / batches.len().max(1) as f64,
    })
}

/// [`prove_batches`] with halo2: one proof at a time on every core (halo2's prover is
/// parallel inside), each checked against the key and the batch's commitment.
pub(crate) fn prove_halo2_batches(
    keys: Halo2Keys,
    domain: Domain,
    batches: &[(BatchWitness, Fr)],
) -> eyre::Result<Proven> {
    let prover = Halo2BatchProver::new(keys, domain);
    let bar = progress_bar(&format!("proving {} batches with halo2", batches.len()))?;
    let started = Instant::now();
    for (n, (witness, commitment)) in batches.iter().enumerate() {
        bar.set_message(format!("batch {}", n + 1));
        let proof = prover
            .prove(witness)
            .wrap_err_with(|| format!("proving batch {}", n + 1))?;
        ensure!(
            proof.commitment == *commitment,
            "batch {}: the proof is of another commitment",
            n + 1
        );
        zksettle_prover::halo2::verify(
            prover.keys().params(),
            prover.keys().vk(),
            &proof.proof,
            *commitment,
        )
        .wrap_err_with(|| format!("batch {}: the proof does not verify", n + 1))?;
        bar.set_position(((n + 1) * 100 / batches.len().max(1)) as u64);
    }
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    Ok(Proven {
        batches: batches.len(),
        workers: 1,
        seconds_per_batch: seconds / batches.len().max(1) as f64,
    })
}
