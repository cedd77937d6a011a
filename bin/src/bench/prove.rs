//! `zksettle bench prove`: a batch of `B` signed transfers (the rollup's common case, made by
//! the native state transition) proven by zksettle's prover and by `ark_groth16::Groth16::prove`
//! on the same circuit and keys, one row per capacity, as a ratio.
//!
//! zksettle's time is what a node pays per batch: the circuit's witness, the proof (its MSMs on
//! zksettle's Pippenger and the key's fixed-base tables) and the proof's self-check; the
//! shape's constraint matrices and the tables are made once per prover, before the clock
//! starts, and the tables' build time is printed beside. arkworks' `prove` synthesizes the circuit, reduces
//! and proves.
//!
//! With `--prover.msm gpu` (or `auto`), the same batch is proven by zksettle's CPU prover and by
//! one whose G1 MSMs run on the GPU (the key's G1 queries uploaded before the clock starts), and
//! the GPU's speed-up is printed instead.
//!
//! With `--prover.system groth16,halo2`, the proof systems side by side instead
//! ([`super::systems`]).
//!
//! With a ceremony's key (`--prover.zkey`) and `--snarkjs`, snarkjs' `groth16 prove` proves the
//! same batch from the same `.zkey` and the batch's `.wtns` ([`super::snarkjs`]), and its time
//! is printed beside zksettle's as a second ratio.

use super::super::prover::{place_msm, progress_bar, KeyArgs, MsmArgs};
use clap::Args;
use eyre::WrapErr;
use std::path::PathBuf;
use zksettle_benches::prove_compare::{compare_backends, compare_prove, time_prove};
use zksettle_benches::workload::transfer_batch_in;
use zksettle_l1::ProofSystem;
use zksettle_prover::qap::Reduction;
use zksettle_prover::{BatchProver, MsmDevice};

/// The target ratio over `ark_groth16::Groth16::prove`.
const PROVE_TARGET: f64 = 2.5;

#[derive(Debug, Args)]
pub(crate) struct ProveArgs {
    /// Batch capacities (transfers per batch) to measure; at depth 24 a transfer is about
    /// 30,000 constraints, so 1, 4 and 16 span 2^16 to 2^19.
    #[arg(long = "batch.chunks", value_delimiter = ',', default_value = "1,4,16")]
    chunks: Vec<usize>,
    /// Account tree depth.
    #[arg(long = "tree.depth", default_value_t = 24)]
    depth: u8,
    #[command(flatten)]
    keys: KeyArgs,
    /// Proof systems: `groth16` (zksettle's prover beside ark_groth16 or snarkjs), or a list
    /// (`groth16,halo2`): the systems side by side, as ratios over the first.
    #[arg(
        long = "prover.system",
        value_delimiter = ',',
        default_value = "groth16"
    )]
    systems: Vec<ProofSystem>,
    /// halo2's KZG parameters from this powers-of-tau file (default: the insecure development
    /// parameters of `--prover.dev-seed`).
    #[arg(long = "prover.ptau")]
    ptau: Option<PathBuf>,
    /// With `gpu` or `auto`: the GPU prover beside the CPU one (default `cpu`: beside
    /// ark_groth16 or snarkjs).
    #[command(flatten)]
    msm: MsmArgs,
    /// Memory for the proving key's fixed-base tables, MiB (0: none); built before the clock
    /// starts, as a node builds them once at start.
    #[arg(long = "prover.table-memory-mib", default_value_t = 1024)]
    table_memory_mib: usize,
    /// Proofs of each implementation, alternating; each keeps its fastest.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// snarkjs' command line (`node_modules/.bin/snarkjs`): also prove each batch with
    /// `snarkjs groth16 prove` from the `--prover.zkey` key and the batch's `.wtns`.
    #[arg(long, requires = "zkey")]
    snarkjs: Option<PathBuf>,
    /// Keep each batch's `batch.r1cs`, `batch.wtns` (and snarkjs' `proof.json`, `public.json`)
    /// in this directory, for other provers of the formats (default: a temporary directory,
    /// removed).
    #[arg(long = "bench.files", requires = "snarkjs")]
    files: Option<PathBuf>,
}

pub(super) fn run(args: &ProveArgs) -> eyre::Result<()> {
    if args.systems != [ProofSystem::Groth16] {
        return super::systems::run(
            &args.keys,
            args.ptau.as_deref(),
            &args.systems,
            args.depth,
            &args.chunks,
            args.repeat,
            args.table_memory_mib,
        );
    }
    let reference = match (&args.keys.zkey, &args.snarkjs) {
        (None, _) => "ark_groth16::Groth16::prove",
        (Some(_), Some(_)) => "snarkjs groth16 prove",
        (Some(_), None) => "nothing (a .zkey key; --snarkjs PATH to compare)",
    };
    println!(
        "Groth16 prove on {} threads, depth {}: zksettle beside {reference}, same circuit and keys, fastest of {}",
        rayon::current_num_threads(),
        args.depth,
        args.repeat.max(1)
    );
    for &chunks in &args.chunks {
        let (shape, keys) = args.keys.single_fee_slot(args.depth, chunks, "bench")?;
        let domain = zksettle_core::Domain {
            chain_id: 31337,
            rollup: zksettle_core::L1Address([0x5e; 20]),
        };
        let workload = transfer_batch_in(shape.depth, chunks, domain)
            .wrap_err_with(|| format!("a batch of {chunks} transfers"))?;
        let bar = progress_bar(&format!("B={chunks} proving twice"))?;
        bar.set_message("constraint matrices");
        let prover = BatchProver::new(keys, domain)?;
        let device = args.msm.msm.unwrap_or(MsmDevice::Cpu);
        if device != MsmDevice::Cpu {
            bar.finish_and_clear();
            prove_on_gpu(args, device, &prover, &workload.batch.witness, chunks)?;
            continue;
        }
        let tables = if args.table_memory_mib > 0 {
            bar.set_message("fixed-base tables");
            let tables = prover.build_tables(args.table_memory_mib.saturating_mul(1 << 20))?;
            format!(
                "tables: {} of 5 queries, {} MiB, built in {:.1} s",
                tables.queries(),
                tables.memory_bytes() >> 20,
                tables.build_seconds
            )
        } else {
            "no tables".to_owned()
        };
        if prover.keys().reduction != Reduction::Libsnark {
            // A ceremony's key: ark_groth16 sums another basis' H query, so only snarkjs (if
            // asked) stands beside zksettle.
            bar.set_message("zksettle");
            let ours = time_prove(&prover, &workload.batch.witness, args.repeat)?;
            let constraints = prover.constraints().constraints();
            let snarkjs = match &args.snarkjs {
                Some(snarkjs) => {
                    bar.set_message("snarkjs groth16 prove");
                    Some(prove_with_snarkjs(
                        args,
                        snarkjs,
                        &prover,
                        &workload.batch.witness,
                    )?)
                }
                None => None,
            };
            bar.finish_and_clear();
            match snarkjs {
                Some(seconds) => println!(
                    "  B={chunks:<3} {constraints:>9} constraints  snarkjs     {seconds:>7.2} s  zksettle {ours:>7.2} s  ratio {:>5.2}x  (snarkjs groth16 prove, same .zkey and witness, its command's wall time; {tables})",
                    seconds / ours
                ),
                None => println!(
                    "  B={chunks:<3} {constraints:>9} constraints  zksettle {ours:>7.2} s  (a .zkey key: ark_groth16 cannot prove from it; --snarkjs PATH compares with snarkjs; {tables})"
                ),
            }
            continue;
        }
        bar.set_message("zksettle, then ark_groth16");
        let c = compare_prove(&prover, &workload.batch.witness, args.repeat)?;
        bar.finish_and_clear();
        let verdict = if c.ratio() >= PROVE_TARGET {
            "met"
        } else {
            "NOT met"
        };
        println!(
            "  B={chunks:<3} {:>9} constraints  ark_groth16 {:>7.2} s  zksettle {:>7.2} s  ratio {:>5.2}x  (target {PROVE_TARGET:.1}x: {verdict}; {tables})",
            c.constraints, c.ark_seconds, c.zksettle_seconds, c.ratio()
        );
    }
    Ok(())
}

/// One row: the batch proven on the CPU (with the key's fixed-base tables) and with the G1
/// MSMs on the GPU (G2's table only), alternately.
fn prove_on_gpu(
    args: &ProveArgs,
    device: MsmDevice,
    cpu: &BatchProver,
    witness: &zksettle_core::stf::BatchWitness,
    chunks: usize,
) -> eyre::Result<()> {
    let bar = progress_bar(&format!("B={chunks} on the CPU and the GPU"))?;
    bar.set_message("uploading the key's G1 queries");
    let gpu = place_msm(cpu.clone(), device)?;
    let placed = gpu.key_msm().map_or_else(
        || "the CPU (auto found no hardware GPU)".to_owned(),
        |k| k.describe(),
    );
    let budget = args.table_memory_mib.saturating_mul(1 << 20);
    if budget > 0 {
        bar.set_message("fixed-base tables");
        cpu.build_tables(budget)?;
        gpu.build_tables(budget)?;
    }
    bar.set_message("proving, CPU then GPU");
    let c = compare_backends(cpu, &gpu, witness, args.repeat)?;
    bar.finish_and_clear();
    println!(
        "  B={chunks:<3} {:>9} constraints  CPU {:>7.2} s  GPU {:>7.2} s  ratio {:>6.3}x  (GPU over CPU; G1 MSMs on {placed}; tables: {} MiB on the CPU, G2's {} MiB beside the GPU)",
        c.constraints,
        c.reference_seconds,
        c.ours_seconds,
        c.ratio(),
        cpu.tables().map_or(0, |t| t.memory_bytes() >> 20),
        gpu.tables().map_or(0, |t| t.memory_bytes() >> 20),
    );
    Ok(())
}

/// snarkjs' fastest time for the batch, from the key's `.zkey` and the batch's files.
fn prove_with_snarkjs(
    args: &ProveArgs,
    snarkjs: &std::path::Path,
    prover: &BatchProver,
    witness: &zksettle_core::stf::BatchWitness,
) -> eyre::Result<f64> {
    let zkey =
        args.keys.zkey.as_deref().ok_or_else(|| {
            eyre::eyre!("snarkjs proves from a ceremony's key: give --prover.zkey")
        })?;
    let temporary;
    let dir = match &args.files {
        Some(dir) => {
            std::fs::create_dir_all(dir).wrap_err_with(|| format!("creating {}", dir.display()))?;
            dir.as_path()
        }
        None => {
            temporary = tempfile::tempdir().wrap_err("a temporary directory")?;
            temporary.path()
        }
    };
    let commitment = super::snarkjs::write_files(dir, prover, witness)?;
    super::snarkjs::prove(snarkjs, zkey, dir, args.repeat, prover, commitment)
}
