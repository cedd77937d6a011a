//! `zksettle prover …`: proving keys, witnesses, and the queue's workers (`worker.rs`).

use clap::{Args, Subcommand};
use eyre::WrapErr;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use zksettle_core::BatchShape;
use zksettle_prover::{
    BatchKeys, BatchProver, KeyStore, MsmDevice, Progress, INSECURE_SETUP_NOTICE,
};

#[derive(Debug, Subcommand)]
pub(crate) enum ProverCommand {
    /// Make (or load from the cache) the insecure development keys of a batch shape, or check a
    /// ceremony's key (`--prover.zkey`) against it; prints the verifying-key hash.
    Setup(SetupArgs),
    /// Write the verifying key of a shape's keys: Groth16's as snarkjs'
    /// `verification_key.json` (what `zksettle verify --vk` and `snarkjs groth16 verify` take),
    /// halo2's as its key contracts' bytes (`zksettle verify --halo2-key`).
    ExportVk(ExportVkArgs),
    /// Write a sealed batch's full assignment as an iden3 `.wtns` file (what
    /// `snarkjs wtns check` and `snarkjs groth16 prove` take, beside `circuit export-r1cs`),
    /// read from a node's data directory; the node may be running.
    Witness(WitnessArgs),
    /// Prove jobs from the node's PostgreSQL job queue (`[prover] queue`), on this machine;
    /// run as many as you like, anywhere. SIGTERM gives running jobs back.
    Worker(super::worker::WorkerArgs),
    /// The prover job queue: `status` (jobs by state, failed jobs and why), `retry`.
    #[command(subcommand)]
    Queue(super::worker::QueueCommand),
}

#[derive(Debug, Args)]
pub(crate) struct WitnessArgs {
    /// The node's data directory (opened read-only).
    #[arg(long = "datadir", env = "ZKSETTLE_DATADIR")]
    data_dir: PathBuf,
    /// The batch's number.
    #[arg(long = "batch")]
    batch: u64,
    /// Output file.
    #[arg(long = "out", default_value = "batch.wtns")]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct ExportVkArgs {
    #[command(flatten)]
    shape: ShapeArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(flatten)]
    system: super::proof_system::SystemArgs,
    /// Output file (default `verification_key.json` for Groth16, `halo2_key.bin` for halo2:
    /// the bytes the deployment's key contracts hold).
    #[arg(long = "out")]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct SetupArgs {
    #[command(flatten)]
    shape: ShapeArgs,
    #[command(flatten)]
    keys: KeyArgs,
    #[command(subcommand)]
    command: Option<SetupCommand>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SetupCommand {
    /// Production keys: a Groth16 phase-2 ceremony in snarkjs' formats (`new`, `contribute`,
    /// `beacon`, `verify`, `finalize`).
    #[command(subcommand)]
    Ceremony(super::ceremony::CeremonyCommand),
}

/// A circuit shape: the tree depth and the batch layout.
#[derive(Debug, Clone, Args)]
pub(crate) struct ShapeArgs {
    /// Account tree depth in index bits (even, 2–32).
    #[arg(long = "tree.depth", default_value_t = 24, env = "ZKSETTLE_TREE_DEPTH")]
    depth: u8,
    /// Batch capacity in chunks.
    #[arg(
        long = "batch.chunks",
        default_value_t = 16,
        env = "ZKSETTLE_BATCH_CHUNKS"
    )]
    chunks: usize,
    /// Fee slots per batch.
    #[arg(
        long = "batch.fee-slots",
        default_value_t = 2,
        env = "ZKSETTLE_BATCH_FEE_SLOTS"
    )]
    fee_slots: usize,
}

impl ShapeArgs {
    pub(crate) fn shape(&self) -> BatchShape {
        BatchShape {
            depth: self.depth,
            chunks: self.chunks,
            fee_slots: self.fee_slots,
        }
    }
}

/// Where the proving key's G1 MSMs run.
#[derive(Debug, Clone, Args)]
pub(crate) struct MsmArgs {
    /// Where the proving key's G1 MSMs run: `auto` (a hardware GPU if wgpu finds a Vulkan,
    /// Metal or DX12 one, else the CPU), `gpu` (any adapter, Mesa's software Vulkan included;
    /// an error without one) or `cpu`.
    #[arg(long = "prover.msm", env = "ZKSETTLE_PROVER_MSM")]
    pub(crate) msm: Option<MsmDevice>,
}

/// `prover` with its G1 MSMs where `device` says (the key's G1 queries uploaded to a GPU
/// taken), and where they went logged.
pub(crate) fn place_msm(prover: BatchProver, device: MsmDevice) -> eyre::Result<BatchProver> {
    let started = Instant::now();
    let (prover, placement) = zksettle_prover::backend::place(prover, device)?;
    tracing::info!(
        asked = %device,
        msm = %placement,
        seconds = started.elapsed().as_secs_f64(),
        "G1 MSMs placed"
    );
    Ok(prover)
}

/// The proving keys: a ceremony's `.zkey`, or the development keys (cached in a directory,
/// made from a public seed).
#[derive(Debug, Args)]
pub(crate) struct KeyArgs {
    /// A ceremony's proving key for the shape, as snarkjs writes it (`.zkey`, Groth16, BN254):
    /// the production keys. It must be exactly the key of the shape's batch circuit as this
    /// build synthesizes it. Without it, the insecure development keys of `--prover.dev-seed`.
    #[arg(long = "prover.zkey", env = "ZKSETTLE_PROVER_ZKEY")]
    pub(crate) zkey: Option<PathBuf>,
    /// Directory of cached development key files, and of every key's fixed-base tables.
    #[arg(
        long = "prover.keys-dir",
        default_value = "zksettle-keys",
        env = "ZKSETTLE_PROVER_KEYS_DIR"
    )]
    pub(crate) keys_dir: PathBuf,
    /// Seed of the development setup (public: anyone who knows it can forge proofs).
    #[arg(
        long = "prover.dev-seed",
        default_value = "zksettle devnet",
        env = "ZKSETTLE_PROVER_DEV_SEED"
    )]
    pub(crate) dev_seed: String,
}

impl KeyArgs {
    /// Refuses the development keys (every key these arguments make: a public seed) for a
    /// chain that is not local unless `dev` says the chain is a development one: whoever knows
    /// the seed forges proofs, and with a forged proof takes every deposit.
    ///
    /// A ceremony's key is refused the same way while it has no contribution (δ = 1: anyone
    /// can forge proofs for it); that is known once it is read.
    pub(crate) fn load_for_chain(
        &self,
        shape: BatchShape,
        chain_id: u64,
        dev: bool,
    ) -> eyre::Result<BatchKeys> {
        let development_chain = dev || zksettle_l1::LOCAL_CHAIN_IDS.contains(&chain_id);
        self.refuse_on_a_real_chain(chain_id, dev)?;
        let keys = self.load_or_setup(shape)?;
        eyre::ensure!(
            !keys.insecure || development_chain,
            "refusing the key {} on chain id {chain_id}: no one has contributed to it (δ = 1), \
             so anyone can forge batch proofs and take every deposit",
            self.zkey
                .as_deref()
                .unwrap_or(std::path::Path::new("?"))
                .display()
        );
        Ok(keys)
    }

    fn refuse_on_a_real_chain(&self, chain_id: u64, dev: bool) -> eyre::Result<()> {
        eyre::ensure!(
            self.zkey.is_some() || dev || zksettle_l1::LOCAL_CHAIN_IDS.contains(&chain_id),
            "refusing the insecure development keys (seed {:?}) on chain id {chain_id}: anyone who \
             knows the seed can forge batch proofs and take every deposit. Only the local chain \
             ids {:?} take them unless --dev says this chain is a development one; a real \
             chain needs a ceremony's key (--prover.zkey)",
            self.dev_seed,
            zksettle_l1::LOCAL_CHAIN_IDS
        );
        Ok(())
    }

    /// The shape of `depth` and `chunks` with one fee slot (the devnet's and the load bench's),
    /// validated, and its development keys.
    pub(crate) fn single_fee_slot(
        &self,
        depth: u8,
        chunks: usize,
        what: &str,
    ) -> eyre::Result<(BatchShape, BatchKeys)> {
        let shape = BatchShape {
            depth,
            chunks,
            fee_slots: 1,
        };
        shape.validate().wrap_err_with(|| format!("{what} shape"))?;
        Ok((shape, self.load_or_setup(shape)?))
    }

    /// The ceremony's key for the shape, if one is given; else the development keys from the
    /// cache, or made, behind a progress bar, with a warning that they are insecure.
    pub(crate) fn load_or_setup(&self, shape: BatchShape) -> eyre::Result<BatchKeys> {
        if let Some(path) = &self.zkey {
            let started = Instant::now();
            let keys = BatchKeys::read_zkey(path, shape)
                .wrap_err_with(|| format!("the ceremony's key {}", path.display()))?;
            if keys.insecure {
                eprintln!(
                    "WARNING: {} has no contribution (δ = 1): anyone can forge proofs for it",
                    path.display()
                );
            }
            eprintln!(
                "proving key {}: verifying key 0x{}, read and checked against the circuit in {:.1} s",
                path.display(),
                hex::encode(keys.vk_hash),
                started.elapsed().as_secs_f64()
            );
            return Ok(keys);
        }
        eprintln!("WARNING: {INSECURE_SETUP_NOTICE}");
        let bar = progress_bar(&format!(
            "keys d{} b{} f{}",
            shape.depth, shape.chunks, shape.fee_slots
        ))?;
        let keys = KeyStore::new(&self.keys_dir)
            .load_or_setup_with_progress(shape, self.dev_seed.as_bytes(), &|p| show(&bar, p))
            .wrap_err_with(|| format!("keys for {shape:?} in {}", self.keys_dir.display()))?;
        bar.finish_and_clear();
        Ok(keys)
    }
}

pub(crate) fn run(command: &ProverCommand) -> eyre::Result<()> {
    match command {
        ProverCommand::Setup(args) => setup(args),
        ProverCommand::ExportVk(args) => export_vk(args),
        ProverCommand::Witness(args) => witness(args),
        ProverCommand::Worker(args) => super::worker::run_worker(args),
        ProverCommand::Queue(command) => super::worker::run_queue(command),
    }
}

/// The batch's assignment `z = (1, commitment, witness)` from the node's records, in the
/// deployment's shape and domain, as `.wtns`.
fn witness(args: &WitnessArgs) -> eyre::Result<()> {
    use zksettle_sequencer::records::Genesis;
    use zksettle_sequencer::store::tables::{Batches, Genesis as GenesisMeta};
    let db = zksettle_sequencer::NodeDb::open_read_only(&args.data_dir)
        .wrap_err_with(|| format!("opening {} to read", args.data_dir.display()))?;
    let genesis = db
        .meta::<GenesisMeta>()?
        .ok_or_else(|| eyre::eyre!("{} holds no deployment", args.data_dir.display()))?;
    let genesis: Genesis = serde_json::from_str(&genesis).wrap_err("the stored deployment")?;
    let record = db.get::<Batches>(&args.batch)?.ok_or_else(|| {
        eyre::eyre!(
            "no sealed batch {} in {}",
            args.batch,
            args.data_dir.display()
        )
    })?;
    let assignment = zksettle_circuits::BatchAssignment::from_witness(
        genesis.shape,
        genesis.domain,
        &record.witness,
    )?;
    let z = zksettle_circuits::BatchCircuit { assignment }
        .full_assignment()
        .wrap_err_with(|| format!("synthesising batch {}", args.batch))?
        .concatenated();
    let file = std::fs::File::create(&args.out)
        .wrap_err_with(|| format!("creating {}", args.out.display()))?;
    let mut out = std::io::BufWriter::new(file);
    zksettle_prover::iden3::write_wtns(&z, &mut out)
        .and_then(|()| std::io::Write::flush(&mut out))
        .wrap_err_with(|| format!("writing {}", args.out.display()))?;
    println!(
        "batch {}: {} values (shape depth {}, {} chunks, {} fee slots) written to {}",
        args.batch,
        z.len(),
        genesis.shape.depth,
        genesis.shape.chunks,
        genesis.shape.fee_slots,
        args.out.display()
    );
    Ok(())
}

/// A progress bar driven by a job's [`Progress`] callback.
pub(crate) fn progress_bar(label: &str) -> eyre::Result<ProgressBar> {
    let bar = ProgressBar::new(100);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "  {{spinner}} {label} [{{bar:30}}] {{pos:>3}}% {{msg}} ({{elapsed}})"
        ))?
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    Ok(bar)
}

/// Renders one progress report on `bar`.
pub(crate) fn show(bar: &ProgressBar, p: Progress) {
    bar.set_position((p.fraction * 100.0).round() as u64);
    bar.set_message(p.phase);
}

pub(crate) fn setup(args: &SetupArgs) -> eyre::Result<()> {
    if let Some(SetupCommand::Ceremony(command)) = &args.command {
        return super::ceremony::run(command);
    }
    let shape = args.shape.shape();
    let path = match &args.keys.zkey {
        Some(path) => path.clone(),
        None => KeyStore::new(&args.keys.keys_dir).path(shape, args.keys.dev_seed.as_bytes())?,
    };
    let started = Instant::now();
    let keys = args.keys.load_or_setup(shape)?;
    let out = serde_json::json!({
        "insecure": keys.insecure,
        "notice": keys.insecure.then_some(INSECURE_SETUP_NOTICE),
        "shape": { "depth": shape.depth, "chunks": shape.chunks, "fee_slots": shape.fee_slots },
        "key_file": path,
        "vk_hash": format!("0x{}", hex::encode(keys.vk_hash)),
        "seconds": started.elapsed().as_secs_f64(),
    });
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

fn export_vk(args: &ExportVkArgs) -> eyre::Result<()> {
    let keys = args.system.load(&args.keys, args.shape.shape())?;
    let (bytes, default_name) = match &keys {
        super::proof_system::SystemKeys::Groth16(keys) => {
            let key = zksettle_verifier::SnarkjsKey::export(keys.verifying_key());
            (
                (serde_json::to_string_pretty(&key)? + "\n").into_bytes(),
                "verification_key.json",
            )
        }
        super::proof_system::SystemKeys::Halo2 { evm_key, .. } => {
            (evm_key.clone(), "halo2_key.bin")
        }
    };
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from(default_name));
    std::fs::write(&out, bytes).wrap_err_with(|| format!("writing {}", out.display()))?;
    println!(
        "{} verifying key 0x{} written to {}",
        args.system.system,
        hex::encode(keys.vk_hash()),
        out.display()
    );
    Ok(())
}
