//! # zksettle-l1
//!
//! zksettle on its base chain. The Solidity contracts live in `contracts/` and are compiled by
//! a pinned solc-js (`package.json`, `scripts/compile.mjs`) into `artifacts/`, which are
//! committed: building this crate never needs Node, and a test fails if the artifacts differ
//! from a fresh compile.
//!
//! - `Rollup`: state root, tokens, the priority queue (deposits, forced exits) with expiries,
//!   fees and caps, batch submission by operators (commitment recomputed with the SHA-256
//!   precompile, priority ops consumed in order, the proof checked by the deployment's
//!   `IBatchVerifier`) with a permissionless
//!   fallback, pull withdrawals, exodus with Merkle-proof exits, governance, a guardian's pause
//!   and upgrades after a notice.
//! - `RollupProxy`: the rollup's permanent address, delegating to the current `Rollup` code.
//! - `Verifier`: Groth16 over BN254 for one public input, its key fixed at deployment.
//! - `Halo2Verifier`: halo2 (KZG on BN254, GWC openings), its key read from key contracts.
//! - `PoseidonT5`, `PoseidonT7`: circomlib's Poseidon for the exits' Merkle proofs, generated
//!   from the same constants as the core's ([`generate`]).
//!
//! ## Map
//! - [`anvil`]: a local anvil node (the pinned npm build) for tests and development.
//! - [`chain`]: the [`Chain`] trait (send, call, logs) and its errors.
//! - `embedded` (feature `embedded`): `EmbeddedChain`, revm in-process: the devnet's base
//!   chain. Without the feature the crate reads and writes any JSON-RPC node only, and builds
//!   no EVM (the offline verifier's case).
//! - [`rpc`]: [`RpcChain`], any JSON-RPC node through alloy.
//! - [`rollup`]: [`deploy`] and [`RollupClient`], every contract call typed.
//! - [`batch_verifier`]: the deployment's [`ProofSystem`]: its verifier contract deployed from a
//!   [`BatchVerifierKey`] (Groth16's `Verifier` or `Halo2Verifier` over key contracts) and the
//!   proof bytes it takes ([`VerifierProof`]).
//! - [`bindings`]: `sol!` bindings over the committed artifacts.
//! - [`generate`]: Solidity and constructor words generated from zksettle's parameters.
//! - [`convert`]: field elements, addresses and proofs as EVM words.

pub mod anvil;
pub mod batch_verifier;
pub mod chain;
pub mod convert;
#[cfg(feature = "embedded")]
pub mod embedded;
pub mod generate;
pub mod rollup;
pub mod rpc;

pub use batch_verifier::{BatchVerifierKey, ProofSystem, UnknownProofSystem, VerifierProof};
pub use chain::{Chain, ChainError, ChainLog, MinedInput, Receipt, TxRequest, LOCAL_CHAIN_IDS};
#[cfg(feature = "embedded")]
pub use embedded::EmbeddedChain;
pub use rollup::{
    decode_submit_batch, deploy, deploy_implementation, exit_call, predicted_rollup_address,
    priority_op_of_log, verified_batch_of_log, BatchSubmission, DeployConfig, Deployment, L1Error,
    PendingUpgrade, PriorityOp, Roles, RollupClient, VerifiedBatch,
};
pub use rpc::{RpcChain, RpcConfig};

/// `sol!` bindings generated from the committed artifacts (ABI and bytecode).
#[allow(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    clippy::all
)]
pub mod bindings {
    alloy::sol!(
        #[sol(all_derives)]
        Rollup,
        "artifacts/Rollup.json"
    );
    alloy::sol!(RollupProxy, "artifacts/RollupProxy.json");
    alloy::sol!(Verifier, "artifacts/Verifier.json");
    alloy::sol!(Halo2Verifier, "artifacts/Halo2Verifier.json");
    alloy::sol!(PoseidonT5, "artifacts/PoseidonT5.json");
    alloy::sol!(PoseidonT7, "artifacts/PoseidonT7.json");
    alloy::sol!(TestToken, "artifacts/TestToken.json");
    alloy::sol!(NoReturnToken, "artifacts/NoReturnToken.json");
    alloy::sol!(Reenterer, "artifacts/Reenterer.json");
    alloy::sol!(FeeOnTransferToken, "artifacts/FeeOnTransferToken.json");
    alloy::sol!(BlacklistToken, "artifacts/BlacklistToken.json");
    alloy::sol!(BatchForwarder, "artifacts/BatchForwarder.json");
    alloy::sol!(GasProbe, "artifacts/GasProbe.json");
    alloy::sol!(BatchGasProbe, "artifacts/BatchGasProbe.json");
    alloy::sol! {
        /// What the rollup calls on a deployment's verifier, of either proof system.
        interface IBatchVerifier {
            function vkHash() external view returns (bytes32);
            function verifyBatch(bytes calldata proof, uint256 commitment) external view returns (bool);
        }
    }
}
