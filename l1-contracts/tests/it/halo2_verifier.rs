//! The halo2 verifier contract on the embedded EVM, on the sample circuit of
//! `zksettle-halo2-evm`: a real proof verifies with the key read from key contracts, and the
//! contract refuses what the Rust reference refuses (changed bytes, public inputs, lengths).

use crate::contracts::{call, chain, deploy_code};
use alloy::primitives::{keccak256, Address, Bytes, U256};
use alloy::sol_types::{SolCall, SolConstructor};
use zksettle_halo2_evm::encoding::{key_contracts, key_contracts_of};
use zksettle_halo2_evm::key::EvmKey;
use zksettle_halo2_evm::reference;
use zksettle_halo2_evm::sample::{sample_proof, SampleProof};
use zksettle_halo2_evm::transcript::encode_scalar;
use zksettle_halo2_evm::Fr;
use zksettle_l1::bindings::Halo2Verifier;
use zksettle_l1::{Chain, EmbeddedChain, TxRequest};

fn word(x: &Fr) -> U256 {
    U256::from_be_bytes(encode_scalar(x))
}

/// Deploys the key's contracts (parts of `part_bytes`) and a verifier over them.
pub(crate) async fn deploy(chain: &EmbeddedChain, key: &[u8], part_bytes: usize) -> Address {
    let mut parts = Vec::new();
    for init in key_contracts_of(key, part_bytes).unwrap() {
        parts.push(deploy_code(chain, init).await);
    }
    let init = [
        Halo2Verifier::BYTECODE.as_ref(),
        &Halo2Verifier::constructorCall {
            parts,
            expectedHash: keccak256(key),
        }
        .abi_encode(),
    ]
    .concat();
    deploy_code(chain, init).await
}

async fn verifies(
    chain: &EmbeddedChain,
    verifier: Address,
    proof: &[u8],
    instances: &[U256],
) -> bool {
    call(
        chain,
        verifier,
        Halo2Verifier::verifyProofCall {
            proof: Bytes::copy_from_slice(proof),
            instances: instances.to_vec(),
        },
    )
    .await
    .unwrap()
}

fn setup() -> (SampleProof, Vec<u8>, Vec<U256>) {
    let sample = sample_proof();
    let key = EvmKey::compile(&sample.params, &sample.vk, sample.instances.len()).unwrap();
    let instances = sample.instances.iter().map(word).collect();
    (sample, key.to_bytes(), instances)
}

#[tokio::test]
async fn a_halo2_proof_verifies_on_the_evm_and_changes_to_it_are_refused_as_the_reference_refuses()
{
    let (sample, key_bytes, instances) = setup();
    let key = EvmKey::compile(&sample.params, &sample.vk, sample.instances.len()).unwrap();
    let chain = chain();
    let verifier = deploy(&chain, &key_bytes, usize::MAX).await;
    let pinned = call(&chain, verifier, Halo2Verifier::keyHashCall {})
        .await
        .unwrap();
    assert_eq!(pinned, keccak256(&key_bytes));

    assert!(verifies(&chain, verifier, &sample.proof, &instances).await);
    let receipt = chain
        .send(TxRequest::call(
            verifier,
            Halo2Verifier::verifyProofCall {
                proof: Bytes::copy_from_slice(&sample.proof),
                instances: instances.clone(),
            }
            .abi_encode(),
        ))
        .await
        .unwrap();
    eprintln!(
        "halo2 verification: {} gas with the transaction's calldata ({} proof bytes, {} key bytes)",
        receipt.gas_used,
        sample.proof.len(),
        key_bytes.len()
    );

    for i in 0..instances.len() {
        let mut wrong = instances.clone();
        wrong[i] += U256::from(1);
        assert!(
            !verifies(&chain, verifier, &sample.proof, &wrong).await,
            "instance {i}"
        );
    }
    let mut past_r = instances.clone();
    past_r[0] += U256::from_be_bytes(encode_scalar(&-Fr::from(1))) + U256::from(1);
    assert!(
        !verifies(&chain, verifier, &sample.proof, &past_r).await,
        "an instance + r"
    );
    assert!(!verifies(&chain, verifier, &sample.proof, &instances[..2]).await);

    for at in (0..sample.proof.len()).step_by(157) {
        let mut changed = sample.proof.clone();
        changed[at] ^= 0x08;
        let reference = reference::verify(&key, &sample.instances, &changed).is_ok();
        let contract = verifies(&chain, verifier, &changed, &instances).await;
        assert!(
            !reference && !contract,
            "byte {at}: reference {reference}, contract {contract}"
        );
    }
    for len in [0, sample.proof.len() - 32, sample.proof.len() + 32] {
        let mut resized = sample.proof.clone();
        resized.resize(len, 0);
        assert!(
            !verifies(&chain, verifier, &resized, &instances).await,
            "{len} bytes"
        );
    }
}

#[tokio::test]
async fn a_key_spread_over_several_contracts_verifies_and_another_key_is_refused_at_deployment() {
    let (sample, key_bytes, instances) = setup();
    let chain = chain();
    let verifier = deploy(&chain, &key_bytes, key_bytes.len() / 3 + 1).await;
    assert!(verifies(&chain, verifier, &sample.proof, &instances).await);

    let mut parts = Vec::new();
    for init in key_contracts(&key_bytes).unwrap() {
        parts.push(deploy_code(&chain, init).await);
    }
    let mut other = key_bytes.clone();
    other[100] ^= 1;
    let init = [
        Halo2Verifier::BYTECODE.as_ref(),
        &Halo2Verifier::constructorCall {
            parts,
            expectedHash: keccak256(&other),
        }
        .abi_encode(),
    ]
    .concat();
    assert!(chain.send(TxRequest::deploy(init)).await.is_err());
}
