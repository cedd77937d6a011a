//! `--prover.system groth16|halo2`: a deployment's proof system, its keys, the verifier key the
//! contracts are deployed with, and the node's prover.
//!
//! Groth16 keys are [`KeyArgs`]' (a ceremony's `.zkey` or the development keys). halo2 keys are
//! generated at start from KZG parameters: a snarkjs powers-of-tau file (`--prover.ptau`, the
//! universal setup) or, without one, the INSECURE parameters of the public development seed
//! (`--prover.dev-seed`), refused on a real chain exactly as the Groth16 development keys are.

use super::prover::KeyArgs;
use clap::Args;
use eyre::WrapErr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use zksettle_core::{BatchShape, Domain, L1Address};
use zksettle_halo2_circuit::batch::BatchCircuit;
use zksettle_halo2_evm::key::EvmKey;
use zksettle_l1::{BatchVerifierKey, ProofSystem};
use zksettle_prover::ceremony::Ptau;
use zksettle_prover::halo2::{Halo2BatchProver, Halo2Keys};
use zksettle_prover::kzg::{dev_kzg_params, kzg_params};
use zksettle_prover::{BatchKeys, BatchProver, MsmDevice};
use zksettle_sequencer::node::NodeProver;

/// The halo2 counterpart of [`zksettle_prover::INSECURE_SETUP_NOTICE`].
pub(crate) const INSECURE_KZG_NOTICE: &str = "these halo2 KZG parameters come from a public \
     seed (the insecure development setup): anyone who knows it can forge batch proofs. Use \
     them on development chains only; a real deployment needs a powers-of-tau ceremony's file \
     (--prover.ptau)";

/// Which proof system, and halo2's universal setup.
#[derive(Debug, Clone, Args)]
pub(crate) struct SystemArgs {
    /// The deployment's proof system: `groth16` (a ceremony per circuit; the smallest proof and
    /// cheapest L1 check) or `halo2` (KZG from a universal powers of tau; larger proofs).
    #[arg(
        long = "prover.system",
        default_value = "groth16",
        env = "ZKSETTLE_PROVER_SYSTEM"
    )]
    pub(crate) system: ProofSystem,
    /// halo2 only: a powers-of-tau file as snarkjs and the Perpetual Powers of Tau write it
    /// (phase 1, BN254), of at least the shape's 2^k rows. Without it, the insecure development
    /// parameters of `--prover.dev-seed`.
    #[arg(long = "prover.ptau", env = "ZKSETTLE_PROVER_PTAU")]
    pub(crate) ptau: Option<PathBuf>,
}

/// A shape's keys in the deployment's proof system.
// One per process, moved into the prover: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum SystemKeys {
    /// Groth16's.
    Groth16(BatchKeys),
    /// halo2's, with the key compiled for `Halo2Verifier.sol`.
    Halo2 {
        /// Proving and verifying keys.
        keys: Halo2Keys,
        /// [`EvmKey::to_bytes`] of the verifying key.
        evm_key: Vec<u8>,
        /// Made from the development seed's parameters (no `--prover.ptau`).
        insecure: bool,
    },
}

impl SystemKeys {
    /// The verifier key the contracts are deployed with.
    pub(crate) fn verifier_key(&self) -> BatchVerifierKey {
        match self {
            SystemKeys::Groth16(keys) => BatchVerifierKey::Groth16(keys.verifying_key().clone()),
            SystemKeys::Halo2 { evm_key, .. } => BatchVerifierKey::Halo2(evm_key.clone()),
        }
    }

    /// Whether anyone can forge proofs for these keys (a public seed, or no contribution).
    pub(crate) fn insecure(&self) -> bool {
        match self {
            SystemKeys::Groth16(keys) => keys.insecure,
            SystemKeys::Halo2 { insecure, .. } => *insecure,
        }
    }

    /// What to warn a deployer of insecure keys with.
    pub(crate) fn insecure_notice(&self) -> &'static str {
        match self {
            SystemKeys::Groth16(_) => zksettle_prover::INSECURE_SETUP_NOTICE,
            SystemKeys::Halo2 { .. } => INSECURE_KZG_NOTICE,
        }
    }

    /// The shape the keys are for.
    pub(crate) fn shape(&self) -> BatchShape {
        match self {
            SystemKeys::Groth16(keys) => keys.shape,
            SystemKeys::Halo2 { keys, .. } => keys.shape(),
        }
    }

    /// The hash the deployment pins.
    pub(crate) fn vk_hash(&self) -> [u8; 32] {
        match self {
            SystemKeys::Groth16(keys) => keys.vk_hash,
            SystemKeys::Halo2 { evm_key, .. } => BatchVerifierKey::Halo2(evm_key.clone()).vk_hash(),
        }
    }

    /// The node's prover for batches of `domain`, Groth16's G1 MSMs placed on `msm` unless
    /// a queue proves (`local` false).
    pub(crate) fn prover(
        self,
        domain: Domain,
        msm: MsmDevice,
        local: bool,
    ) -> eyre::Result<NodeProver> {
        Ok(match self {
            SystemKeys::Groth16(keys) => {
                let mut prover = BatchProver::new(keys, domain)?;
                if local {
                    prover = super::prover::place_msm(prover, msm)?;
                }
                NodeProver::Groth16(Arc::new(prover))
            }
            SystemKeys::Halo2 { keys, .. } => {
                NodeProver::Halo2(Arc::new(Halo2BatchProver::new(keys, domain)))
            }
        })
    }
}

impl SystemArgs {
    /// The keys of `shape` for a deployment on `chain_id` (`dev`: a development chain
    /// whatever its id): development keys and parameters are refused on a real chain.
    pub(crate) fn load_for_chain(
        &self,
        keys: &KeyArgs,
        shape: BatchShape,
        chain_id: u64,
        dev: bool,
    ) -> eyre::Result<SystemKeys> {
        match self.system {
            ProofSystem::Groth16 => Ok(SystemKeys::Groth16(
                keys.load_for_chain(shape, chain_id, dev)?,
            )),
            ProofSystem::Halo2 => {
                eyre::ensure!(
                    self.ptau.is_some() || dev || zksettle_l1::LOCAL_CHAIN_IDS.contains(&chain_id),
                    "refusing the insecure halo2 development parameters (seed {:?}) on chain id \
                     {chain_id}: anyone who knows the seed can forge batch proofs and take every \
                     deposit. Only the local chain ids {:?} take them unless --dev says this \
                     chain is a development one; a real chain needs a powers-of-tau file \
                     (--prover.ptau)",
                    keys.dev_seed,
                    zksettle_l1::LOCAL_CHAIN_IDS
                );
                self.load(keys, shape)
            }
        }
    }

    /// The keys of `shape` (development ones allowed: a devnet's, a bench's).
    pub(crate) fn load(&self, keys: &KeyArgs, shape: BatchShape) -> eyre::Result<SystemKeys> {
        if self.system == ProofSystem::Groth16 {
            return Ok(SystemKeys::Groth16(keys.load_or_setup(shape)?));
        }
        let k = BatchCircuit::k(shape);
        let started = Instant::now();
        let params = match &self.ptau {
            Some(path) => {
                let mut ptau = Ptau::open(path)
                    .wrap_err_with(|| format!("the powers of tau {}", path.display()))?;
                kzg_params(&mut ptau, k).wrap_err_with(|| {
                    format!("KZG parameters for 2^{k} rows from {}", path.display())
                })?
            }
            None => {
                eprintln!("WARNING: {INSECURE_KZG_NOTICE}");
                dev_kzg_params(keys.dev_seed.as_bytes(), k)?
            }
        };
        // The verifying key does not depend on the domain (a blank batch of any domain lays
        // out the same circuit); the prover binds the deployment's.
        let blank = Domain {
            chain_id: 0,
            rollup: L1Address::ZERO,
        };
        let halo2_keys = Halo2Keys::generate(params, shape, blank)
            .wrap_err_with(|| format!("halo2 keys for {shape:?}"))?;
        let evm_key = EvmKey::compile(halo2_keys.params(), halo2_keys.vk(), 1)
            .wrap_err("compiling the halo2 verifying key for the EVM")?
            .to_bytes();
        let keys = SystemKeys::Halo2 {
            keys: halo2_keys,
            evm_key,
            insecure: self.ptau.is_none(),
        };
        eprintln!(
            "halo2 keys d{} b{} f{} (2^{k} rows): verifying key 0x{}, made in {:.1} s",
            shape.depth,
            shape.chunks,
            shape.fee_slots,
            hex::encode(keys.vk_hash()),
            started.elapsed().as_secs_f64()
        );
        Ok(keys)
    }
}
