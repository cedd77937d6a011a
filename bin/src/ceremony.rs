//! `zksettle setup ceremony …`: a shape's production keys by a Groth16 phase-2 ceremony in
//! snarkjs' formats, so that participants may use zksettle or snarkjs (`snarkjs zkey
//! contribute`) in turn, and either tool checks the result. The steps:
//!
//! 1. `new`: the first key, from a powers of tau (a prepared `.ptau`) and the shape's circuit;
//! 2. `contribute`, once per participant, each on the previous participant's key;
//! 3. `beacon`: a last contribution from public randomness no participant chose;
//! 4. `verify` (anyone, at any step) and `finalize`: the proving key, its verifying-key hash,
//!    the verifier contract's constructor words and snarkjs' `verification_key.json`.

use super::prover::ShapeArgs;
use clap::{Args, Subcommand};
use eyre::WrapErr;
use std::path::{Path, PathBuf};
use std::time::Instant;
use zksettle_prover::ceremony::{self, Ptau};
use zksettle_prover::zkey::{Zkey, CONTRIBUTION_ORDER, SETUP_ORDER};
use zksettle_prover::ShapeConstraints;

#[derive(Debug, Subcommand)]
pub(crate) enum CeremonyCommand {
    /// The ceremony's first key from a powers of tau and the shape's circuit (the bytes
    /// `snarkjs groth16 setup` writes for `circuit export-r1cs`'s file).
    New(NewArgs),
    /// Add a contribution: randomness from the operating system and `--entropy`; prints the
    /// contribution's hash, which the contributor publishes.
    Contribute(ContributeArgs),
    /// Add the final contribution from a public random beacon (a block hash announced in
    /// advance): anyone can recompute it, snarkjs (`zkey beacon`) makes the same bytes.
    Beacon(BeaconArgs),
    /// Check a ceremony's key against the powers of tau and the circuit, as `snarkjs zkey
    /// verify` does; lists every contribution's hash.
    Verify(VerifyArgs),
    /// Verify, then write what a deployment needs: the proving key, `verification_key.json`
    /// and the verifier contract's constructor words; print the verifying-key hash.
    Finalize(FinalizeArgs),
    /// An INSECURE powers of tau from a public seed (for tests and devnets: whoever knows the
    /// seed forges proofs), in snarkjs' format and prepared for phase 2.
    DevPtau(DevPtauArgs),
}

#[derive(Debug, Args)]
pub(crate) struct NewArgs {
    /// A prepared powers of tau (`snarkjs powersoftau prepare phase2`; the Perpetual Powers of
    /// Tau's `…_final_NN.ptau` files are).
    #[arg(long = "ptau")]
    ptau: PathBuf,
    #[command(flatten)]
    shape: ShapeArgs,
    /// The first key.
    #[arg(long = "out", default_value = "batch_0000.zkey")]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ContributeArgs {
    /// The previous participant's key.
    #[arg(long = "key")]
    key: PathBuf,
    /// The key with this contribution.
    #[arg(long = "out")]
    out: PathBuf,
    /// The contributor's name, recorded in the key (at most 64 characters).
    #[arg(long = "name")]
    name: Option<String>,
    /// Entropy of the contributor's own, hashed with the operating system's randomness.
    #[arg(
        long = "entropy",
        env = "ZKSETTLE_CEREMONY_ENTROPY",
        default_value = ""
    )]
    entropy: String,
}

#[derive(Debug, Args)]
pub(crate) struct BeaconArgs {
    /// The last participant's key.
    #[arg(long = "key")]
    key: PathBuf,
    /// The final key.
    #[arg(long = "out")]
    out: PathBuf,
    /// The beacon's value, hex (1 to 255 bytes).
    #[arg(long = "beacon")]
    beacon: String,
    /// SHA-256 is iterated 2^N times on the value (10 to 63).
    #[arg(long = "iterations-exp", default_value_t = 10)]
    exponent: u8,
    /// Recorded in the key.
    #[arg(long = "name", default_value = "Final Beacon")]
    name: String,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The powers of tau the ceremony started from.
    #[arg(long = "ptau")]
    ptau: PathBuf,
    #[command(flatten)]
    shape: ShapeArgs,
    /// The key to check.
    #[arg(long = "key")]
    key: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct FinalizeArgs {
    #[command(flatten)]
    verify: VerifyArgs,
    /// Where the deployment's files go.
    #[arg(long = "out-dir", default_value = "ceremony-final")]
    out_dir: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct DevPtauArgs {
    /// Domains up to 2^N points.
    #[arg(long = "power")]
    power: u32,
    /// The public seed of τ, α and β.
    #[arg(long = "seed", default_value = "zksettle dev ptau")]
    seed: String,
    /// Output file.
    #[arg(long = "out")]
    out: PathBuf,
}

pub(crate) fn run(command: &CeremonyCommand) -> eyre::Result<()> {
    match command {
        CeremonyCommand::New(args) => new(args),
        CeremonyCommand::Contribute(args) => contribute(args),
        CeremonyCommand::Beacon(args) => beacon(args),
        CeremonyCommand::Verify(args) => verify(args).map(|_| ()),
        CeremonyCommand::Finalize(args) => finalize(args),
        CeremonyCommand::DevPtau(args) => dev_ptau(args),
    }
}

fn open_ptau(path: &Path) -> eyre::Result<Ptau> {
    Ptau::open(path).wrap_err_with(|| format!("the powers of tau {}", path.display()))
}

fn circuit(shape: &ShapeArgs) -> eyre::Result<ShapeConstraints> {
    let shape = shape.shape();
    shape.validate()?;
    Ok(ShapeConstraints::of(shape)?)
}

fn read_key(path: &Path) -> eyre::Result<Zkey> {
    let bytes = std::fs::read(path).wrap_err_with(|| format!("reading {}", path.display()))?;
    Zkey::read(&bytes).wrap_err_with(|| format!("the key {}", path.display()))
}

fn write_key(key: &Zkey, path: &Path, order: &[u32; 10]) -> eyre::Result<()> {
    let mut bytes = Vec::new();
    key.write(&mut bytes, order)?;
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).wrap_err_with(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).wrap_err_with(|| format!("writing {}", path.display()))
}

/// A 64-byte hash as snarkjs prints it: four lines of four 8-digit groups.
fn format_hash(hash: &[u8; 64]) -> String {
    hash.chunks(16)
        .map(|line| {
            let groups: Vec<String> = line.chunks(4).map(hex::encode).collect();
            format!("    {}", groups.join(" "))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn new(args: &NewArgs) -> eyre::Result<()> {
    let started = Instant::now();
    let circuit = circuit(&args.shape)?;
    let mut ptau = open_ptau(&args.ptau)?;
    let key = ceremony::initial_key(&circuit, &mut ptau)?;
    write_key(&key, &args.out, &SETUP_ORDER)?;
    let cs_hash = key.ceremony.as_ref().map(|c| c.cs_hash).unwrap_or([0; 64]);
    println!(
        "first key {} ({} constraints, domain 2^{}, powers of tau 2^{}) in {:.1} s\ncircuit hash:\n{}",
        args.out.display(),
        circuit.constraints(),
        key.domain_size.trailing_zeros(),
        ptau.power(),
        started.elapsed().as_secs_f64(),
        format_hash(&cs_hash)
    );
    Ok(())
}

fn contribute(args: &ContributeArgs) -> eyre::Result<()> {
    let key = read_key(&args.key)?;
    let (next, hash) = ceremony::contribute(&key, args.entropy.as_bytes(), args.name.as_deref())?;
    write_key(&next, &args.out, &CONTRIBUTION_ORDER)?;
    println!(
        "contribution {} written to {}; its hash (publish it):\n{}",
        next.ceremony.as_ref().map_or(0, |c| c.contributions.len()),
        args.out.display(),
        format_hash(&hash)
    );
    Ok(())
}

fn beacon(args: &BeaconArgs) -> eyre::Result<()> {
    let key = read_key(&args.key)?;
    let value = hex::decode(args.beacon.trim_start_matches("0x"))
        .wrap_err("the beacon's value is not hex")?;
    let (next, hash) = ceremony::beacon(&key, &value, args.exponent, Some(&args.name))?;
    write_key(&next, &args.out, &CONTRIBUTION_ORDER)?;
    println!(
        "beacon contribution written to {}; its hash:\n{}",
        args.out.display(),
        format_hash(&hash)
    );
    Ok(())
}

fn verify(args: &VerifyArgs) -> eyre::Result<Zkey> {
    let started = Instant::now();
    let circuit = circuit(&args.shape)?;
    let key = read_key(&args.key)?;
    let mut ptau = open_ptau(&args.ptau)?;
    let verified = ceremony::verify(&key, &circuit, &mut ptau)?
        .map_err(|fault| eyre::eyre!("{} is refused: {fault}", args.key.display()))?;
    println!("circuit hash:\n{}", format_hash(&verified.cs_hash));
    for (i, (name, hash, beacon)) in verified.contributions.iter().enumerate() {
        println!(
            "contribution {} ({}{}):\n{}",
            i + 1,
            name.as_deref().unwrap_or("no name"),
            if *beacon { ", beacon" } else { "" },
            format_hash(hash)
        );
    }
    println!(
        "{}: ok, {} contributions ({:.1} s)",
        args.key.display(),
        verified.contributions.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(key)
}

fn finalize(args: &FinalizeArgs) -> eyre::Result<()> {
    let key = verify(&args.verify)?;
    let contributions = key.ceremony.as_ref().map_or(0, |c| c.contributions.len());
    eyre::ensure!(
        contributions > 0,
        "the key has no contribution: its δ is 1, so anyone can forge proofs for it"
    );
    let dir = &args.out_dir;
    std::fs::create_dir_all(dir).wrap_err_with(|| format!("creating {}", dir.display()))?;
    let proving_key = dir.join("batch.zkey");
    write_key(&key, &proving_key, &CONTRIBUTION_ORDER)?;
    let vk = &key.proving_key.vk;
    let json = zksettle_verifier::SnarkjsKey::export(vk);
    let vk_path = dir.join("verification_key.json");
    std::fs::write(&vk_path, serde_json::to_string_pretty(&json)? + "\n")
        .wrap_err_with(|| format!("writing {}", vk_path.display()))?;
    let words: Vec<String> = zksettle_l1::generate::verifier_key_words(vk)?
        .iter()
        .map(|w| format!("0x{}", hex::encode(w)))
        .collect();
    let words_path = dir.join("verifier_constructor_words.json");
    std::fs::write(&words_path, serde_json::to_string_pretty(&words)? + "\n")
        .wrap_err_with(|| format!("writing {}", words_path.display()))?;
    let out = serde_json::json!({
        "proving_key": proving_key,
        "verification_key": vk_path,
        "verifier_constructor_words": words_path,
        "vk_hash": format!("0x{}", hex::encode(zksettle_prover::vk_hash(vk))),
        "contributions": contributions,
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn dev_ptau(args: &DevPtauArgs) -> eyre::Result<()> {
    let started = Instant::now();
    eprintln!(
        "WARNING: an INSECURE powers of tau: τ, α and β come from the public seed {:?}",
        args.seed
    );
    ceremony::dev_ptau::write(args.power, args.seed.as_bytes(), &args.out)?;
    println!(
        "powers of tau 2^{} written to {} in {:.1} s",
        args.power,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
