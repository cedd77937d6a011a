//! A halo2 proof of a real batch on the verifier contract: keys of the batch circuit compiled
//! for the EVM, the Rust reference and the contract both accept the proof under the batch's
//! commitment and refuse it under another.

use crate::contracts::{call, chain};
use crate::halo2_verifier::deploy;
use alloy::primitives::{Bytes, U256};
use alloy::sol_types::SolCall;
use ark_std::rand::rngs::StdRng;
use ark_std::rand::SeedableRng;
use zksettle_circuits::BatchAssignment;
use zksettle_core::BatchShape;
use zksettle_halo2_circuit::batch::BatchCircuit;
use zksettle_halo2_circuit::field::to_circuit;
use zksettle_halo2_evm::key::EvmKey;
use zksettle_halo2_evm::reference;
use zksettle_halo2_evm::transcript::encode_scalar;
use zksettle_l1::bindings::{Halo2Verifier, IBatchVerifier};
use zksettle_l1::{BatchVerifierKey, Chain, TxRequest};
use zksettle_prover::halo2::Halo2Keys;
use zksettle_prover::kzg::dev_kzg_params;
use zksettle_test_support::domain;

/// Depth 8, one chunk, one fee slot: the smallest batch that carries a signed transfer.
fn shape() -> BatchShape {
    BatchShape {
        depth: 8,
        chunks: 1,
        fee_slots: 1,
    }
}

/// [`zksettle_test_support::one_transfer`] laid out for the circuit.
fn transfer_batch() -> BatchAssignment {
    let applied = zksettle_test_support::one_transfer(shape());
    BatchAssignment::from_witness(shape(), domain(), &applied.witness).unwrap()
}

#[tokio::test]
async fn a_halo2_batch_proof_verifies_on_the_evm_under_its_commitment_only() {
    let k = BatchCircuit::k(shape());
    // The development SRS of a public seed: a test's, never a deployment's.
    let params = dev_kzg_params(b"l1 halo2 tests", k).unwrap();
    let keys = Halo2Keys::generate(params, shape(), domain()).unwrap();
    let batch = transfer_batch();
    let proof = keys.prove(&batch, StdRng::seed_from_u64(1)).unwrap();

    let key = EvmKey::compile(keys.params(), keys.vk(), 1).unwrap();
    let commitment = to_circuit(&batch.commitment);
    reference::verify(&key, &[commitment], &proof).unwrap();
    let other = commitment + zksettle_halo2_evm::Fr::from(1);
    assert!(reference::verify(&key, &[other], &proof).is_err());

    let key_bytes = key.to_bytes();
    committed_key_is(&key_bytes);
    let chain = chain();
    let verifier = deploy(&chain, &key_bytes, usize::MAX).await;
    let word = |x| U256::from_be_bytes(encode_scalar(&x));
    let verifies = |instance| {
        call(
            &chain,
            verifier,
            Halo2Verifier::verifyProofCall {
                proof: Bytes::copy_from_slice(&proof),
                instances: vec![instance],
            },
        )
    };
    assert!(verifies(word(commitment)).await.unwrap());
    assert!(!verifies(word(other)).await.unwrap());
    // The rollup's entry: the same check, one commitment, and the key's hash as `vkHash`.
    let verifies_batch = |commitment| {
        call(
            &chain,
            verifier,
            IBatchVerifier::verifyBatchCall {
                proof: Bytes::copy_from_slice(&proof),
                commitment,
            },
        )
    };
    assert!(verifies_batch(word(commitment)).await.unwrap());
    assert!(!verifies_batch(word(other)).await.unwrap());
    let key_hash = BatchVerifierKey::Halo2(key_bytes.clone()).vk_hash();
    let pinned = call(&chain, verifier, IBatchVerifier::vkHashCall {});
    assert_eq!(pinned.await.unwrap().0, key_hash);
    let receipt = chain
        .send(TxRequest::call(
            verifier,
            Halo2Verifier::verifyProofCall {
                proof: Bytes::copy_from_slice(&proof),
                instances: vec![word(commitment)],
            }
            .abi_encode(),
        ))
        .await
        .unwrap();
    eprintln!(
        "halo2 batch (D = 8, B = 1, k = {k}): {} gas with calldata, {} proof bytes, {} key bytes",
        receipt.gas_used,
        proof.len(),
        key_bytes.len()
    );
}

/// The committed key of this shape and seed (`halo2-keys/`): a change to the circuit, the key
/// compiler or the KZG parameters changes it, and must be seen in review.
/// `ZKSETTLE_REGENERATE_KEYS=1` rewrites it.
fn committed_key_is(key: &[u8]) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("halo2-keys/batch-d8-b1-f1.l1-halo2-tests.key");
    if std::env::var_os("ZKSETTLE_REGENERATE_KEYS").is_some() {
        std::fs::write(&path, key).unwrap();
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == key,
        "{} differs from a fresh generation (keccak256 0x{} committed, 0x{} now): \
         regenerate with ZKSETTLE_REGENERATE_KEYS=1 if the change is meant",
        path.display(),
        alloy::primitives::hex::encode(alloy::primitives::keccak256(&committed)),
        alloy::primitives::hex::encode(alloy::primitives::keccak256(key)),
    );
}
