//! `zksettle bench prove --snarkjs`: the same batch proven by snarkjs' command line
//! (`snarkjs groth16 prove`) from the ceremony's `.zkey` and the batch's `.wtns`, so that
//! zksettle's time stands beside the ecosystem's reference prover on the identical circuit,
//! key and witness.
//!
//! The batch's `.r1cs` and `.wtns` are written for it (and kept with `--bench.files`, for any
//! other prover of these formats). snarkjs' time is its command's wall time: Node.js starting
//! and the `.zkey` read are in it, as they are in every proof that command makes. Its proof
//! must verify against the key's verifying key with the batch's commitment as the public
//! input, or the run fails.

use eyre::{bail, WrapErr};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::process::Command;
use std::time::Instant;
use zksettle_circuits::{BatchAssignment, BatchCircuit};
use zksettle_core::field::fr_to_decimal;
use zksettle_core::stf::BatchWitness;
use zksettle_core::Fr;
use zksettle_prover::{verify, BatchProof, BatchProver};
use zksettle_verifier::SnarkjsProof;

/// `batch.r1cs` (the shape's circuit) and `batch.wtns` (the batch's assignment) in `dir`; the
/// batch's commitment, its one public input.
pub(super) fn write_files(
    dir: &Path,
    prover: &BatchProver,
    witness: &BatchWitness,
) -> eyre::Result<Fr> {
    let assignment = BatchAssignment::from_witness(prover.keys().shape, prover.domain(), witness)?;
    let commitment = assignment.commitment;
    let z = BatchCircuit { assignment }
        .full_assignment()
        .wrap_err("synthesising the batch")?
        .concatenated();
    let write = |name: &str, body: &dyn Fn(&mut BufWriter<File>) -> std::io::Result<()>| {
        let path = dir.join(name);
        let mut out = BufWriter::new(
            File::create(&path).wrap_err_with(|| format!("creating {}", path.display()))?,
        );
        body(&mut out)
            .and_then(|()| out.flush())
            .wrap_err_with(|| format!("writing {}", path.display()))
    };
    write("batch.r1cs", &|out| {
        zksettle_prover::iden3::write_r1cs(prover.constraints(), out)
    })?;
    write("batch.wtns", &|out| {
        zksettle_prover::iden3::write_wtns(&z, out)
    })?;
    Ok(commitment)
}

/// `snarkjs groth16 prove zkey batch.wtns proof.json public.json` in `dir`, `repeat` times (at
/// least once): its fastest wall time, seconds, once its last proof is checked against
/// `prover`'s verifying key with `commitment` as the public input.
pub(super) fn prove(
    snarkjs: &Path,
    zkey: &Path,
    dir: &Path,
    repeat: usize,
    prover: &BatchProver,
    commitment: Fr,
) -> eyre::Result<f64> {
    let zkey = std::path::absolute(zkey).wrap_err("the .zkey's path")?;
    let mut best = f64::INFINITY;
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let out = Command::new(snarkjs)
            .arg("groth16")
            .arg("prove")
            .arg(&zkey)
            .args(["batch.wtns", "proof.json", "public.json"])
            .current_dir(dir)
            .output()
            .wrap_err_with(|| format!("starting {}", snarkjs.display()))?;
        let seconds = started.elapsed().as_secs_f64();
        if !out.status.success() {
            bail!(
                "snarkjs groth16 prove failed ({}): {}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        best = best.min(seconds);
    }
    let read = |name: &str| -> eyre::Result<String> {
        std::fs::read_to_string(dir.join(name)).wrap_err_with(|| format!("snarkjs' {name}"))
    };
    let public: Vec<String> = serde_json::from_str(&read("public.json")?)?;
    if public != [fr_to_decimal(&commitment)] {
        bail!("snarkjs' public.json is {public:?}, not the batch's commitment");
    }
    let proof: SnarkjsProof = serde_json::from_str(&read("proof.json")?)?;
    let proof = BatchProof {
        commitment,
        proof: proof.import()?,
    };
    if !verify(prover.keys().verifying_key(), &proof)? {
        bail!("snarkjs' proof does not verify against the key's verifying key");
    }
    Ok(best)
}
