//! The batch verifier a deployment settles with, per proof system: what the rollup's
//! `IBatchVerifier` is on chain (`vkHash()`, `verifyBatch(bytes proof, uint256 commitment)`),
//! deployed from a verifying key, and the proof bytes it takes.
//!
//! | system | contract | key on chain | `vkHash` | proof bytes |
//! |---|---|---|---|---|
//! | Groth16 | `Verifier.sol` | 18 words, immutables | SHA-256 of the words | A, B (EIP-197 order), C: 8 words |
//! | halo2 (KZG, GWC) | `Halo2Verifier.sol` | `zksettle-halo2-evm`'s encoding in 1–4 key contracts | keccak256 of the encoding | the EVM transcript |

use crate::bindings::{Halo2Verifier, IBatchVerifier, Verifier};
use crate::chain::{Chain, Receipt, TxRequest};
use crate::convert::proof_words;
use crate::generate::verifier_key_words;
use crate::rollup::L1Error;
use alloy::primitives::{keccak256, Address, Bytes, U256};
use alloy::sol_types::{SolCall, SolConstructor};
use ark_bn254::Bn254;
use ark_groth16::{Proof, VerifyingKey};
use std::fmt;
use std::str::FromStr;

/// A deployment's proof system: which verifier contract settles its batches and which prover
/// makes their proofs (`--prover.system`).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ProofSystem {
    /// Groth16 over BN254: a per-circuit ceremony; the smallest proof and the cheapest check.
    #[default]
    Groth16,
    /// halo2 with KZG commitments on BN254: a universal powers-of-tau; larger proofs.
    Halo2,
}

impl ProofSystem {
    /// Every system, in the order tables list them.
    pub const ALL: [ProofSystem; 2] = [ProofSystem::Groth16, ProofSystem::Halo2];

    /// The name flags and records use.
    pub fn name(self) -> &'static str {
        match self {
            ProofSystem::Groth16 => "groth16",
            ProofSystem::Halo2 => "halo2",
        }
    }
}

impl fmt::Display for ProofSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A proof-system name that is neither `groth16` nor `halo2`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown proof system {0:?} (expected groth16 or halo2)")]
pub struct UnknownProofSystem(pub String);

impl FromStr for ProofSystem {
    type Err = UnknownProofSystem;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ProofSystem::ALL
            .into_iter()
            .find(|system| system.name() == s)
            .ok_or_else(|| UnknownProofSystem(s.to_owned()))
    }
}

/// The verifying key a deployment's batch verifier is built from.
// Built once per deployment: boxing the Groth16 key would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum BatchVerifierKey {
    /// A Groth16 key, fixed in `Verifier.sol`'s immutables.
    Groth16(VerifyingKey<Bn254>),
    /// A halo2 key compiled for the EVM (`zksettle_halo2_evm::key::EvmKey::to_bytes`), held by
    /// key contracts that `Halo2Verifier.sol` reads.
    Halo2(Vec<u8>),
}

impl BatchVerifierKey {
    /// The key's proof system.
    pub fn system(&self) -> ProofSystem {
        match self {
            BatchVerifierKey::Groth16(_) => ProofSystem::Groth16,
            BatchVerifierKey::Halo2(_) => ProofSystem::Halo2,
        }
    }

    /// The hash the verifier contract reports as `vkHash()` and the rollup pins.
    pub fn vk_hash(&self) -> [u8; 32] {
        match self {
            BatchVerifierKey::Groth16(vk) => zksettle_groth16_evm::vk_hash(vk),
            BatchVerifierKey::Halo2(key) => keccak256(key).0,
        }
    }

    /// Transactions [`Self::deploy`] sends: the verifier, after its key contracts for halo2.
    pub fn deploy_transactions(&self) -> Result<u64, L1Error> {
        Ok(match self {
            BatchVerifierKey::Groth16(_) => 1,
            BatchVerifierKey::Halo2(key) => {
                zksettle_halo2_evm::encoding::key_contracts(key)?.len() as u64 + 1
            }
        })
    }

    /// Deploys the verifier of this key (after its key contracts, for halo2) from `chain`'s
    /// sender and checks it reports the key's hash.
    pub async fn deploy<C: Chain>(&self, chain: &C) -> Result<Address, L1Error> {
        let init = match self {
            BatchVerifierKey::Groth16(vk) => {
                let words = verifier_key_words(vk)?.map(U256::from_be_bytes);
                [
                    Verifier::BYTECODE.as_ref(),
                    &Verifier::constructorCall { vk: words }.abi_encode(),
                ]
                .concat()
            }
            BatchVerifierKey::Halo2(key) => {
                let mut parts = Vec::new();
                for code in zksettle_halo2_evm::encoding::key_contracts(key)? {
                    let receipt = chain.send(TxRequest::deploy(code)).await?;
                    parts.push(created(&receipt, "a halo2 key contract")?);
                }
                [
                    Halo2Verifier::BYTECODE.as_ref(),
                    &Halo2Verifier::constructorCall {
                        parts,
                        expectedHash: keccak256(key),
                    }
                    .abi_encode(),
                ]
                .concat()
            }
        };
        let receipt = chain.send(TxRequest::deploy(init)).await?;
        let verifier = created(&receipt, "the batch verifier")?;
        let found = verifier_vk_hash(chain, verifier).await?;
        let expected = self.vk_hash();
        if found != expected {
            return Err(L1Error::VerifyingKeyMismatch {
                expected: hex::encode(expected),
                found: hex::encode(found),
            });
        }
        Ok(verifier)
    }
}

/// The key hash a deployed batch verifier (of either system) reports.
pub async fn verifier_vk_hash<C: Chain>(chain: &C, verifier: Address) -> Result<[u8; 32], L1Error> {
    let out = chain
        .call(verifier, IBatchVerifier::vkHashCall {}.abi_encode().into())
        .await?;
    let hash = IBatchVerifier::vkHashCall::abi_decode_returns(&out)
        .map_err(|e| L1Error::Decode(e.to_string()))?;
    Ok(hash.0)
}

fn created(receipt: &Receipt, what: &'static str) -> Result<Address, L1Error> {
    receipt.contract_address.ok_or(L1Error::NotDeployed(what))
}

/// A batch proof in the bytes a deployment's verifier takes (`submitBatch`'s `proof`).
pub trait VerifierProof {
    /// The bytes.
    fn verifier_bytes(&self) -> Bytes;
}

impl VerifierProof for Proof<Bn254> {
    /// A, B (EIP-197 order), C: eight big-endian words.
    fn verifier_bytes(&self) -> Bytes {
        proof_words(self)
            .iter()
            .flat_map(|w| w.to_be_bytes::<32>())
            .collect::<Vec<u8>>()
            .into()
    }
}

impl VerifierProof for [u8] {
    /// Already the verifier's bytes (a halo2 proof, or a stored one).
    fn verifier_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}

impl VerifierProof for Vec<u8> {
    fn verifier_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}
