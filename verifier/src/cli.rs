//! The offline verifier's command line (feature `cli`): `zksettle-verify …`, and the same
//! subcommands under `zksettle verify …`. Nothing here talks to a sequencer: batches and the
//! chain are checked from files or from any Ethereum node, against a verifying key in snarkjs'
//! `verification_key.json` form for Groth16 deployments, or a halo2 deployment's key bytes
//! (`zksettle prover export-vk [--prover.system halo2]` writes either).

use crate::l1data::write_json;
use crate::snarkjs::export_public;
use crate::{
    exit_proof, rebuild, AccountEntry, BatchExport, BatchVerifier, Halo2BatchVerifier, L1Record,
    ProofChecker, Rebuilt, SnarkjsKey, Step,
};
use alloy::primitives::Address;
use clap::{Args, Subcommand};
use eyre::{bail, WrapErr};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use zksettle_core::field::fr_to_decimal;
use zksettle_core::AccountIndex;
use zksettle_l1::{RollupClient, RpcChain};

#[derive(Debug, Subcommand)]
pub enum VerifyCommand {
    /// Check one exported batch: its data's commitment and its proof. Exit status 0 only if
    /// both hold.
    Batch(BatchArgs),
    /// Rebuild the whole L2 state from L1 data alone and check every root and proof against
    /// the contract.
    Chain(ChainArgs),
    /// Rebuild the state from L1 and write the Merkle proof and `exit` call of one account,
    /// for the exodus exit.
    ExitProof(ExitProofArgs),
    /// Check any snarkjs Groth16 BN254 proof against its `verification_key.json` (any circuit):
    /// one (`--proof`, `--public`) or many at once (`--many`) in one multi-pairing, naming each
    /// invalid or malformed one. Exit status 0 only if every proof verifies.
    Proof(ProofArgs),
}

#[derive(Debug, Args)]
pub struct ProofArgs {
    #[command(flatten)]
    key: KeyFileArgs,
    /// snarkjs `proof.json`.
    #[arg(long = "proof", requires = "public", conflicts_with = "many")]
    proof: Option<PathBuf>,
    /// snarkjs `public.json`.
    #[arg(long = "public", requires = "proof")]
    public: Option<PathBuf>,
    /// Many proofs: a directory whose subdirectories each hold `proof.json` and `public.json`,
    /// or a JSON-lines file of `{"proof": {…}, "public": […]}`.
    #[arg(long = "many", required_unless_present = "proof")]
    many: Option<PathBuf>,
}

/// The verifying key: a Groth16 deployment's snarkjs `verification_key.json`, or a halo2
/// deployment's key bytes (what its key contracts hold). Either is checked against the hash the
/// rollup pins; the deployment's verifier contract says which system it is.
#[derive(Debug, Args)]
pub struct KeyFileArgs {
    /// snarkjs `verification_key.json` (of the batch circuit, but for `proof`: of any circuit).
    #[arg(
        long = "vk",
        env = "ZKSETTLE_VERIFY_VK",
        required_unless_present = "halo2_key",
        conflicts_with = "halo2_key"
    )]
    vk: Option<PathBuf>,
    /// A halo2 deployment's verifying key, as its key contracts hold it (`zksettle prover
    /// export-vk --prover.system halo2` writes it).
    #[arg(long = "halo2-key", env = "ZKSETTLE_VERIFY_HALO2_KEY")]
    halo2_key: Option<PathBuf>,
}

impl KeyFileArgs {
    fn verifier(&self) -> eyre::Result<ProofChecker> {
        match (&self.vk, &self.halo2_key) {
            (_, Some(path)) => {
                let bytes =
                    std::fs::read(path).wrap_err_with(|| format!("reading {}", path.display()))?;
                let verifier = Halo2BatchVerifier::from_key_bytes(&bytes)
                    .wrap_err_with(|| format!("{} is not a halo2 batch key", path.display()))?;
                Ok(ProofChecker::Halo2(verifier))
            }
            (Some(_), None) => Ok(ProofChecker::Groth16(self.groth16()?)),
            (None, None) => bail!("give --vk or --halo2-key"),
        }
    }

    fn groth16(&self) -> eyre::Result<BatchVerifier> {
        let Some(vk) = &self.vk else {
            bail!("snarkjs proofs are Groth16: give --vk");
        };
        let text =
            std::fs::read_to_string(vk).wrap_err_with(|| format!("reading {}", vk.display()))?;
        let key: SnarkjsKey = serde_json::from_str(&text)
            .wrap_err_with(|| format!("{} is not a snarkjs verification key", vk.display()))?;
        let vk = key
            .import()
            .wrap_err_with(|| format!("verifying key {}", vk.display()))?;
        Ok(BatchVerifier::new(&vk))
    }
}

#[derive(Debug, Args)]
pub struct BatchArgs {
    #[command(flatten)]
    key: KeyFileArgs,
    /// The batch file (`batches/<n>.json` of a `verify chain --export` directory).
    batch: PathBuf,
    /// Also write `proof.json`, `public.json` and `verification_key.json` here, for
    /// `snarkjs groth16 verify` (Groth16 batches).
    #[arg(long = "snarkjs-out")]
    snarkjs_out: Option<PathBuf>,
}

/// Where the L1 data comes from: a node, or a directory a previous run exported.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// JSON-RPC endpoint of the base chain (read only; no key needed).
    #[arg(
        long = "l1.rpc-url",
        env = "ZKSETTLE_L1_RPC_URL",
        conflicts_with = "from_dir"
    )]
    rpc_url: Option<String>,
    /// The rollup contract's address.
    #[arg(long = "l1.rollup", env = "ZKSETTLE_L1_ROLLUP", requires = "rpc_url")]
    rollup: Option<Address>,
    /// First block to scan for the rollup's events (its deployment block).
    #[arg(
        long = "l1.from-block",
        default_value_t = 0,
        env = "ZKSETTLE_L1_FROM_BLOCK"
    )]
    from_block: u64,
    /// Read the L1 data from an export directory instead of a node.
    #[arg(long = "from-dir")]
    from_dir: Option<PathBuf>,
    /// Genesis accounts (an `--accounts-out` file); none by default (an empty genesis).
    #[arg(long = "genesis")]
    genesis: Option<PathBuf>,
}

impl SourceArgs {
    fn record(&self) -> eyre::Result<L1Record> {
        if let Some(dir) = &self.from_dir {
            return L1Record::read_dir(dir)
                .wrap_err_with(|| format!("reading the export directory {}", dir.display()));
        }
        let (Some(url), Some(rollup)) = (&self.rpc_url, self.rollup) else {
            bail!("give --l1.rpc-url and --l1.rollup, or --from-dir");
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let bar = counter_bar("fetch batches")?;
        let record = runtime.block_on(async {
            let chain = RpcChain::connect_read_only(url)
                .await
                .wrap_err_with(|| format!("connecting to {url}"))?;
            let client = RollupClient::new(chain, rollup);
            L1Record::read(&client, self.from_block, |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .await
            .wrap_err_with(|| format!("reading rollup {rollup} from {url}"))
        });
        bar.finish_and_clear();
        record
    }

    fn genesis(&self) -> eyre::Result<Vec<AccountEntry>> {
        let Some(path) = &self.genesis else {
            return Ok(Vec::new());
        };
        let text = std::fs::read_to_string(path)
            .wrap_err_with(|| format!("reading {}", path.display()))?;
        serde_json::from_str(&text)
            .wrap_err_with(|| format!("{} is not an account-set file", path.display()))
    }

    /// Reads the record and rebuilds the chain behind progress bars.
    fn rebuild(&self, verifier: &ProofChecker) -> eyre::Result<(L1Record, Rebuilt)> {
        let record = self.record()?;
        let genesis = self.genesis()?;
        let replay = Mutex::new(counter_bar("replay batches")?);
        let proofs = Mutex::new(None::<ProgressBar>);
        let progress = |step: Step| match step {
            Step::Replay(done, total) => {
                let bar = replay.lock().unwrap_or_else(|p| p.into_inner());
                bar.set_length(total);
                bar.set_position(done);
            }
            Step::Proofs(done, total) => {
                let mut bar = proofs.lock().unwrap_or_else(|p| p.into_inner());
                let bar = bar.get_or_insert_with(|| {
                    counter_bar("verify proofs").unwrap_or_else(|_| ProgressBar::hidden())
                });
                bar.set_length(total);
                bar.set_position(done);
            }
        };
        let rebuilt = rebuild(&record, verifier, &genesis, &progress);
        replay
            .into_inner()
            .unwrap_or_else(|p| p.into_inner())
            .finish_and_clear();
        if let Some(bar) = proofs.into_inner().unwrap_or_else(|p| p.into_inner()) {
            bar.finish_and_clear();
        }
        Ok((record, rebuilt.wrap_err("the chain does not verify")?))
    }
}

#[derive(Debug, Args)]
pub struct ChainArgs {
    #[command(flatten)]
    key: KeyFileArgs,
    #[command(flatten)]
    source: SourceArgs,
    /// Write the L1 data read (chain header and one file per batch) to this directory.
    #[arg(long = "export")]
    export: Option<PathBuf>,
    /// Write every account of the rebuilt state to this file (JSON).
    #[arg(long = "accounts-out")]
    accounts_out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExitProofArgs {
    #[command(flatten)]
    key: KeyFileArgs,
    #[command(flatten)]
    source: SourceArgs,
    /// The account's leaf index.
    #[arg(long = "index")]
    index: u32,
    /// Where to write the proof (JSON); standard output if absent.
    #[arg(long = "out")]
    out: Option<PathBuf>,
}

pub fn run(command: &VerifyCommand) -> eyre::Result<()> {
    match command {
        VerifyCommand::Batch(args) => batch(args),
        VerifyCommand::Chain(args) => chain(args),
        VerifyCommand::ExitProof(args) => exit(args),
        VerifyCommand::Proof(args) => proofs(args),
    }
}

fn proofs(args: &ProofArgs) -> eyre::Result<()> {
    let verifier = args.key.groth16()?;
    let named = match (&args.proof, &args.public, &args.many) {
        (Some(proof), Some(public), _) => vec![crate::proofs::Named {
            name: proof.display().to_string(),
            claim: crate::proofs::read_pair(&verifier, proof, public),
        }],
        (_, _, Some(many)) => crate::proofs::read_many(&verifier, many)
            .wrap_err_with(|| format!("reading {}", many.display()))?,
        _ => bail!("give --proof and --public, or --many"),
    };
    let total = named.len();
    let outcome = crate::proofs::check(&verifier, named);
    for name in &outcome.invalid {
        println!("invalid: {name}");
    }
    for (name, why) in &outcome.malformed {
        println!("malformed: {name}: {why}");
    }
    if !outcome.all_valid() {
        bail!(
            "{} of {total} proofs do not verify ({} invalid, {} malformed)",
            outcome.invalid.len() + outcome.malformed.len(),
            outcome.invalid.len(),
            outcome.malformed.len()
        );
    }
    println!("{total} proofs verify");
    Ok(())
}

fn batch(args: &BatchArgs) -> eyre::Result<()> {
    let verifier = args.key.verifier()?;
    let text = std::fs::read_to_string(&args.batch)
        .wrap_err_with(|| format!("reading {}", args.batch.display()))?;
    let export = BatchExport::from_json(&text)
        .wrap_err_with(|| format!("batch file {}", args.batch.display()))?;
    if let Some(dir) = &args.snarkjs_out {
        let ProofChecker::Groth16(groth16) = &verifier else {
            bail!("--snarkjs-out writes Groth16 files; this key is halo2's");
        };
        write_snarkjs(dir, groth16, &export)?;
    }
    export
        .verify(&verifier)
        .wrap_err_with(|| format!("batch {} does not verify", export.number))?;
    println!(
        "batch {} verifies: {} -> {}, commitment {}",
        export.number,
        fr_to_decimal(&export.old_root),
        fr_to_decimal(&export.new_root),
        fr_to_decimal(&export.recomputed_commitment())
    );
    Ok(())
}

/// snarkjs' three files for one batch: the key, the proof, and the commitment recomputed from
/// the data (not the one the file claims).
fn write_snarkjs(dir: &Path, verifier: &BatchVerifier, export: &BatchExport) -> eyre::Result<()> {
    std::fs::create_dir_all(dir).wrap_err_with(|| format!("creating {}", dir.display()))?;
    write_json(
        &dir.join("verification_key.json"),
        &SnarkjsKey::export(verifier.key()),
    )?;
    write_json(&dir.join("proof.json"), &export.proof)?;
    write_json(
        &dir.join("public.json"),
        &export_public(&[export.recomputed_commitment()]),
    )?;
    Ok(())
}

fn chain(args: &ChainArgs) -> eyre::Result<()> {
    let verifier = args.key.verifier()?;
    let (record, rebuilt) = args.source.rebuild(&verifier)?;
    if let Some(dir) = &args.export {
        record
            .write_dir(dir)
            .wrap_err_with(|| format!("exporting to {}", dir.display()))?;
    }
    if let Some(path) = &args.accounts_out {
        let entries: Vec<AccountEntry> = rebuilt
            .accounts
            .iter()
            .map(|(index, account)| AccountEntry {
                index: *index,
                account: *account,
            })
            .collect();
        write_json(path, &entries)?;
    }
    println!("{}", serde_json::to_string_pretty(&rebuilt.report)?);
    Ok(())
}

fn exit(args: &ExitProofArgs) -> eyre::Result<()> {
    let verifier = args.key.verifier()?;
    let (_, rebuilt) = args.source.rebuild(&verifier)?;
    let proof = exit_proof(&rebuilt, AccountIndex(args.index))?;
    match &args.out {
        Some(path) => write_json(path, &proof)?,
        None => println!("{}", serde_json::to_string_pretty(&proof)?),
    }
    Ok(())
}

fn counter_bar(label: &str) -> eyre::Result<ProgressBar> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "  {label} [{{bar:30}}] {{pos}}/{{len}} ({{elapsed}}, eta {{eta}})"
        ))?
        .progress_chars("=> "),
    );
    Ok(bar)
}
