//! `zksettle bench msm`: zksettle's MSM beside ark-ec's on the same points.

use clap::Args;
use zksettle_benches::msm_compare::{compare, compare_fixed, Comparison};
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
}

pub(super) fn run(args: &MsmArgs) -> eyre::Result<()> {
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
