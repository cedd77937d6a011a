//! `zksettle bench msm`: zksettle's MSM beside ark-ec's on the same points; with
//! `--backend gpu`, the GPU's beside zksettle's CPU MSM.

use clap::{Args, ValueEnum};
use zksettle_benches::msm_compare::{compare, compare_fixed, compare_prepared, Comparison};
use zksettle_prover::gpu::{GpuDevice, GpuMsm};
use zksettle_prover::Pippenger;

/// The target ratio over ark-ec's MSM on G1.
const MSM_TARGET: f64 = 3.0;

#[derive(Debug, Args)]
pub(crate) struct MsmArgs {
    /// log2 of the point counts to measure.
    #[arg(long = "log-sizes", value_delimiter = ',', default_value = "16,18,20")]
    log_sizes: Vec<u32>,
    /// Also measure G2 (slower; reported, no target).
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
    g2: bool,
    /// Runs of each implementation per size, alternating; each keeps its fastest.
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// Also measure fixed-base tables (what a prover builds for its key's queries once) within
    /// this many MiB per size; 0 skips them.
    #[arg(long = "fixed.table-memory-mib", default_value_t = 1024)]
    table_memory_mib: usize,
    /// `cpu`: zksettle's MSM beside ark-ec's. `gpu`: the GPU MSM (the best adapter wgpu finds)
    /// beside zksettle's CPU MSM, G1, the points uploaded once first as a proving key's are.
    #[arg(long, value_enum, default_value_t = Backend::Cpu)]
    backend: Backend,
}

/// What `bench msm` measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Backend {
    Cpu,
    Gpu,
}

pub(super) fn run(args: &MsmArgs) -> eyre::Result<()> {
    if args.backend == Backend::Gpu {
        return run_gpu(args);
    }
    println!(
        "MSM on {} threads: zksettle (signed digits, batched affine buckets; {}) beside ark-ec, same points, fastest of {}",
        rayon::current_num_threads(),
        zksettle_prover::msm::Arithmetic::fastest_here(),
        args.repeat.max(1)
    );
    let row = |curve: &str, c: &Comparison, target: &str| {
        println!(
            "  {curve} 2^{:<2} ark-ec {:>8.3} s  zksettle {:>8.3} s  ratio {:>5.2}x  {target}",
            c.n.trailing_zeros(),
            c.ark_seconds,
            c.ours_seconds,
            c.ratio()
        );
    };
    for &log in &args.log_sizes {
        let n = 1usize << log;
        let c = compare::<ark_bn254::g1::Config>(
            &Pippenger::default(),
            n,
            u64::from(log),
            args.repeat,
        )?;
        let verdict = if c.ratio() >= MSM_TARGET {
            "met"
        } else {
            "NOT met"
        };
        row("G1", &c, &format!("(target {MSM_TARGET:.1}x: {verdict})"));
        if args.table_memory_mib > 0 {
            let fixed = compare_fixed::<ark_bn254::g1::Config>(
                n,
                u64::from(log),
                args.repeat,
                args.table_memory_mib.saturating_mul(1 << 20),
            )?;
            match fixed {
                Some(f) => row(
                    "G1 fixed",
                    &f.msm,
                    &format!(
                        "(table c={}, {} MiB, built once in {:.2} s)",
                        f.window,
                        f.table_bytes >> 20,
                        f.build_seconds
                    ),
                ),
                None => println!(
                    "  G1 fixed 2^{log}: no table fits {} MiB",
                    args.table_memory_mib
                ),
            }
        }
        if args.g2 {
            let c = compare::<ark_bn254::g2::Config>(
                &Pippenger::default(),
                n,
                u64::from(log),
                args.repeat,
            )?;
            row("G2", &c, "");
        }
    }
    Ok(())
}

/// The GPU MSM beside zksettle's CPU MSM on G1, one row per size, the ratio the GPU's speed-up.
fn run_gpu(args: &MsmArgs) -> eyre::Result<()> {
    let started = std::time::Instant::now();
    let device = GpuDevice::open()?;
    let opened = started.elapsed().as_secs_f64();
    let gpu = GpuMsm::new(device.clone());
    println!(
        "G1 MSM on {} (opened and kernels compiled in {opened:.2} s) beside zksettle's CPU MSM on {} threads ({}), same points, fastest of {}",
        device.describe(),
        rayon::current_num_threads(),
        zksettle_prover::msm::Arithmetic::fastest_here(),
        args.repeat.max(1)
    );
    if !device.kind().is_hardware() {
        println!(
            "  (a software adapter: the kernels run on this CPU's cores, so the GPU path is expected to be slower than the CPU path here; the figures check it end to end, a hardware GPU is what it is for)"
        );
    }
    for &log in &args.log_sizes {
        let n = 1usize << log;
        let mut upload = 0.0;
        let c = compare_prepared::<ark_bn254::g1::Config, _>(
            &Pippenger::default(),
            n,
            u64::from(log),
            args.repeat,
            |bases| {
                let started = std::time::Instant::now();
                let resident = gpu.upload(bases)?;
                upload = started.elapsed().as_secs_f64();
                Ok(resident)
            },
            |resident, scalars| gpu.msm_resident(resident, scalars),
        )?;
        println!(
            "  G1 2^{log:<2} CPU {:>8.3} s  GPU {:>8.3} s  ratio {:>6.3}x  (GPU over CPU; points uploaded once in {upload:.3} s)",
            c.ark_seconds, c.ours_seconds,
            c.ratio()
        );
    }
    Ok(())
}
