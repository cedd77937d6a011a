//! Criterion benchmarks of zksettle (`cargo bench -p zksettle-benches`), the report binaries,
//! and the harnesses the `zksettle bench` subcommands call. Each puts zksettle's path beside the
//! reference it must beat, so one run gives the ratio the README's performance tables quote.
//!
//! ## Map
//! - [`workload`]: a batch of signed transfers through the native state transition, the input
//!   of every proving measurement.
//! - [`prove_compare`]: a batch proven by zksettle's `BatchProver` and by
//!   `ark_groth16::Groth16::prove` side by side (`zksettle bench prove`).
//! - [`msm_compare`]: an MSM backend timed beside `ark-ec` on the same inputs
//!   (`zksettle bench msm`).
//! - [`load`] (feature `node`): a whole node on an embedded EVM under signed transfers over
//!   loopback JSON-RPC, accepted per second and submit latency (`zksettle bench load`).
//! - [`gas`]: the gas of a deployment's `verifyBatch` call, measured through a probe contract
//!   (`gas-report`, `zksettle bench prove --prover.system`).
//! - [`memory`]: the process's peak resident memory (`VmHWM`) and its reset, for the peak
//!   columns.
//! - [`results`]: where the report binaries' figures go: printed, and written to
//!   `benches/results/<report>.md` with the machine, commit and command.

use zksettle_core::{Account, AccountIndex, L1Address, PrivateKey, TokenId};

/// `n` distinct accounts at pseudo-random indices of a depth-`depth` tree, deterministic.
pub fn random_accounts(n: u32, depth: u8, salt: u32) -> Vec<(AccountIndex, Option<Account>)> {
    let key = PrivateKey::from_bytes([7; 32]).public_key();
    let mask = (1u64 << depth) - 1;
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n as usize);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ u64::from(salt);
    while out.len() < n as usize {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let index = (x & mask).max(1);
        if seen.insert(index) {
            let account = Account::new(
                TokenId(salt),
                u128::from(salt) + index as u128,
                key,
                L1Address([1; 20]),
            );
            out.push((AccountIndex(index as u32), Some(account)));
        }
    }
    out
}

pub mod gas;
#[cfg(feature = "node")]
pub mod load;
pub mod memory;
pub mod msm_compare;
pub mod prove_compare;
pub mod results;
pub mod workload;

pub use workload::{
    transfer_batch, transfer_batch_in, TransferBatch, WorkloadError as BenchFixtureError,
};

/// The reference for witness generation: arkworks' synthesis of the whole circuit in proving
/// mode (values only, no matrices), on one thread.
pub fn sequential_witness(
    circuit: &zksettle_circuits::BatchCircuit,
) -> Result<Vec<zksettle_core::Fr>, ark_relations::gr1cs::SynthesisError> {
    use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
    let cs = ConstraintSystem::new_ref();
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: false,
        generate_lc_assignments: false,
    });
    circuit.clone().generate_constraints(cs.clone())?;
    cs.witness_assignment()
}

/// Batch capacities from the command line, or `default` when none are given.
pub fn capacities_from_args(default: &[usize]) -> Result<Vec<usize>, std::num::ParseIntError> {
    let given: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    Ok(if given.is_empty() {
        default.to_vec()
    } else {
        given
    })
}

/// Where the reports cache their insecure development keys: `~/.cache/zksettle/keys`.
pub fn key_cache_dir() -> std::path::PathBuf {
    std::env::var_os("HOME").map_or_else(
        || "keys".into(),
        |h| std::path::PathBuf::from(h).join(".cache/zksettle/keys"),
    )
}
