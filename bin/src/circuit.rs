//! `zksettle circuit …`: the batch circuit itself, for the ecosystem's tools.

use super::prover::ShapeArgs;
use clap::{Args, Subcommand};
use eyre::WrapErr;
use std::io::Write;
use std::path::PathBuf;
use zksettle_prover::ShapeConstraints;

#[derive(Debug, Subcommand)]
pub(crate) enum CircuitCommand {
    /// Write a shape's constraint system as an iden3 `.r1cs` file (what circom writes, and what
    /// `snarkjs r1cs info` and `snarkjs groth16 setup` read).
    ExportR1cs(ExportR1csArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ExportR1csArgs {
    #[command(flatten)]
    shape: ShapeArgs,
    /// Output file.
    #[arg(long = "out", default_value = "batch.r1cs")]
    out: PathBuf,
}

pub(crate) fn run(command: &CircuitCommand) -> eyre::Result<()> {
    match command {
        CircuitCommand::ExportR1cs(args) => export_r1cs(args),
    }
}

fn export_r1cs(args: &ExportR1csArgs) -> eyre::Result<()> {
    let shape = args.shape.shape();
    shape.validate().wrap_err("--tree.depth / --batch.*")?;
    let constraints = ShapeConstraints::of(shape)?;
    let file = std::fs::File::create(&args.out)
        .wrap_err_with(|| format!("creating {}", args.out.display()))?;
    let mut out = std::io::BufWriter::new(file);
    zksettle_prover::iden3::write_r1cs(&constraints, &mut out)
        .and_then(|()| out.flush())
        .wrap_err_with(|| format!("writing {}", args.out.display()))?;
    println!(
        "{} constraints, {} wires ({} public input) written to {}",
        constraints.constraints(),
        constraints.instance_variables() + constraints.witness_variables(),
        constraints.instance_variables() - 1,
        args.out.display()
    );
    Ok(())
}
