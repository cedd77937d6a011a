use super::*;
use ark_std::rand::rngs::StdRng;
use ark_std::rand::SeedableRng;
use zksettle_test_support::domain;

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

/// Keys from the blank batch prove a real batch, the proof verifies under its commitment and
/// the key made from the batch itself, and it is refused under another commitment, with a byte
/// changed, and with bytes appended; a witness of another shape is refused before proving.
#[test]
fn a_batch_proof_verifies_and_its_alterations_do_not() {
    let k = BatchCircuit::k(shape());
    let params = crate::kzg::dev_kzg_params(b"halo2 tests", k).unwrap();
    let keys = Halo2Keys::generate(params, shape(), domain()).unwrap();
    let batch = transfer_batch();
    {
        let c = BatchCircuit::new(batch.clone());
        let r = zksettle_halo2_circuit::halo2_proofs::dev::MockProver::run(k, &c, c.instance())
            .unwrap()
            .verify();
        eprintln!(
            "mock: {:?}",
            r.as_ref()
                .map_err(|e| e.iter().take(3).map(|f| format!("{f}")).collect::<Vec<_>>())
        );
    }
    let proof = keys.prove(&batch, StdRng::seed_from_u64(1)).unwrap();
    eprintln!("k = {k}, proof {} bytes", proof.len());
    // The key does not depend on the witness.
    let from_batch = keygen_vk(keys.params(), &BatchCircuit::new(batch.clone())).unwrap();
    assert_eq!(from_batch.transcript_repr(), keys.vk().transcript_repr());
    verify(keys.params(), keys.vk(), &proof, batch.commitment).unwrap();

    let wider = BatchShape {
        chunks: 2,
        ..shape()
    };
    assert!(matches!(
        keys.prove(
            &BatchAssignment::blank(wider, domain()),
            StdRng::seed_from_u64(1)
        ),
        Err(Halo2Error::ShapeMismatch { .. })
    ));

    let other = batch.commitment + zksettle_core::Fr::from(1u64);
    assert!(verify(keys.params(), keys.vk(), &proof, other).is_err());
    let mut changed = proof.clone();
    changed[100] ^= 1;
    assert!(verify(keys.params(), keys.vk(), &changed, batch.commitment).is_err());
    let mut longer = proof.clone();
    longer.push(0);
    assert!(matches!(
        verify(keys.params(), keys.vk(), &longer, batch.commitment),
        Err(Halo2Error::TrailingBytes(1))
    ));
}

#[test]
fn parameters_of_the_wrong_size_are_refused() {
    let k = BatchCircuit::k(shape());
    let small = crate::kzg::dev_kzg_params(b"halo2 tests", k - 1).unwrap();
    assert!(matches!(
        Halo2Keys::generate(small, shape(), domain()),
        Err(Halo2Error::ParamsSize { needed, given }) if needed == k && given == k - 1
    ));
}
