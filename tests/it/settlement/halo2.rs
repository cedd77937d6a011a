//! A halo2 deployment on the embedded EVM: the rollup's verifier is `Halo2Verifier` over the
//! batch circuit's key (in key contracts); a deposit's batch proven with halo2 settles, and the
//! contract refuses the proof for other pubdata, a cut proof, and a Groth16 proof of the same
//! batch; the offline verifier rebuilds it from L1 and checks the proof with the halo2 key.

use super::l2::{deposit_op, keys, user, L2, SHAPE};
use super::{deployed_with, embedded, rollup_error};
use alloy::primitives::U256;
use zksettle_core::{Domain, L1Address};
use zksettle_halo2_circuit::batch::BatchCircuit;
use zksettle_halo2_evm::key::EvmKey;
use zksettle_l1::bindings::Rollup::RollupErrors;
use zksettle_l1::convert::l1_address;
use zksettle_l1::{BatchVerifierKey, Chain, DeployConfig, ProofSystem, RollupClient};
use zksettle_prover::halo2::{Halo2BatchProver, Halo2Keys};
use zksettle_prover::kzg::dev_kzg_params;
use zksettle_prover::BatchProver;
use zksettle_verifier::{
    rebuild, BatchExport, BatchFileError, BatchProofData, BatchVerifier, Halo2BatchVerifier,
    L1Record, ProofChecker, RebuildError, Step,
};

#[tokio::test]
async fn a_halo2_deployment_settles_a_batch_through_its_halo2_verifier_on_the_embedded_evm() {
    let a = embedded();
    // The development SRS of a public seed: a test's, never a deployment's.
    let params = dev_kzg_params(b"zksettle settlement tests", BatchCircuit::k(SHAPE)).unwrap();
    let blank = Domain {
        chain_id: 0,
        rollup: L1Address::ZERO,
    };
    let halo2_keys = Halo2Keys::generate(params, SHAPE, blank).unwrap();
    let evm_key = EvmKey::compile(halo2_keys.params(), halo2_keys.vk(), 1)
        .unwrap()
        .to_bytes();
    let key = BatchVerifierKey::Halo2(evm_key.clone());
    assert_eq!(key.system(), ProofSystem::Halo2);
    let config = DeployConfig::new(key.clone(), key.vk_hash(), L2::genesis_root(), SHAPE, 3600);
    let (deployment, mut l2) = deployed_with(&a, config).await;
    let operator = RollupClient::new(a.operator.clone(), deployment.rollup);
    let alice = RollupClient::new(a.alice.clone(), deployment.rollup);
    assert_eq!(operator.vk_hash().await.unwrap(), key.vk_hash());

    let d1 = alice
        .deposit_eth(
            &user(1).public_key().0,
            l1_address(a.alice.sender()),
            U256::from(1_000_000u64),
        )
        .await
        .unwrap();
    let applied = l2.apply(vec![deposit_op(&d1, 1)]);
    let prover = Halo2BatchProver::new(halo2_keys, l2.domain());
    let proof = prover.prove(&applied.witness).unwrap();
    assert_eq!(proof.commitment, applied.commitment());
    let (root, pubdata) = (applied.new_root(), applied.pubdata());

    let mut tampered = pubdata.to_vec();
    *tampered.last_mut().unwrap() ^= 1;
    let groth16 = BatchProver::new(keys().clone(), l2.domain())
        .unwrap()
        .prove(&applied.witness, &|_| {})
        .unwrap();
    let refusals = [
        (&tampered[..], &proof.proof[..]),
        (pubdata, &proof.proof[..proof.proof.len() - 32]),
    ];
    for (pubdata, proof) in refusals {
        assert!(matches!(
            rollup_error(operator.submit_batch(1, &root, pubdata, proof).await),
            RollupErrors::InvalidProof(_)
        ));
    }
    assert!(matches!(
        rollup_error(
            operator
                .submit_batch(1, &root, pubdata, &groth16.proof)
                .await
        ),
        RollupErrors::InvalidProof(_)
    ));

    let receipt = operator
        .submit_batch(1, &root, pubdata, &proof.proof)
        .await
        .unwrap();
    eprintln!(
        "halo2 batch (depth {}, {} chunks): settled for {} gas, {}-byte proof",
        SHAPE.depth,
        SHAPE.chunks,
        receipt.gas_used,
        proof.proof.len()
    );
    assert_eq!(operator.batch_number().await.unwrap(), 1);
    assert_eq!(operator.state_root().await.unwrap(), l2.root());
    audit(&operator, &evm_key).await;
}

/// The offline verifier on the halo2 deployment: it reads the system from the verifier
/// contract, rebuilds the state and checks the proof with the key contracts' bytes; a Groth16
/// key, a changed proof and a changed key are refused.
async fn audit<C: Chain>(rollup: &RollupClient<C>, evm_key: &[u8]) {
    let record = L1Record::read(rollup, 0, |_, _| {}).await.unwrap();
    assert_eq!(record.header.proof_system, ProofSystem::Halo2);
    let halo2 = ProofChecker::Halo2(Halo2BatchVerifier::from_key_bytes(evm_key).unwrap());
    let no_progress = |_: Step| {};
    let rebuilt = rebuild(&record, &halo2, &[], &no_progress).unwrap();
    assert_eq!(
        rebuilt.report.state_root,
        rollup.state_root().await.unwrap()
    );
    assert_eq!(rebuilt.report.proofs, 1);

    // One batch file alone, through its JSON form.
    let batch = &record.batches[0];
    let text = serde_json::to_string(batch).unwrap();
    let read = BatchExport::from_json(&text).unwrap();
    read.verify(&halo2).unwrap();

    let groth16 = ProofChecker::Groth16(BatchVerifier::new(keys().verifying_key()));
    assert!(matches!(
        rebuild(&record, &groth16, &[], &no_progress),
        Err(RebuildError::WrongSystem { .. })
    ));
    assert!(matches!(
        read.verify(&groth16),
        Err(BatchFileError::WrongSystem(1))
    ));
    let mut changed = record.clone();
    if let BatchProofData::Halo2 { halo2: proof } = &mut changed.batches[0].proof {
        proof[100] ^= 1;
    }
    assert!(matches!(
        rebuild(&changed, &halo2, &[], &no_progress),
        Err(RebuildError::InvalidProofs(ref batches)) if batches == &[1]
    ));
    let mut other_key = evm_key.to_vec();
    let at = other_key.len() - 1;
    other_key[at] ^= 1;
    if let Ok(other) = Halo2BatchVerifier::from_key_bytes(&other_key) {
        assert!(matches!(
            rebuild(&record, &ProofChecker::Halo2(other), &[], &no_progress),
            Err(RebuildError::WrongKeyHash { .. })
        ));
    }
}
