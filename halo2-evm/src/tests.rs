//! The reference verifier against halo2's `verify_proof` on real proofs of a circuit with every
//! feature the batch circuit uses: custom gates over two rows, copies, constants, a lookup, and
//! several public inputs.

use crate::key::EvmKey;
use crate::reference::{verify, Refusal};
use crate::sample::{sample_proof, SampleProof};
use crate::Fr;
use halo2_proofs::halo2curves::bn256::Bn256;
use halo2_proofs::halo2curves::ff::Field as _;
use halo2_proofs::plonk::verify_proof;
use halo2_proofs::poly::kzg::commitment::KZGCommitmentScheme;
use halo2_proofs::poly::kzg::multiopen::VerifierGWC;
use halo2_proofs::poly::kzg::strategy::SingleStrategy;
use halo2_proofs::transcript::TranscriptReadBuffer as _;
use zksettle_halo2_circuit::halo2_proofs;
use zksettle_halo2_circuit::transcript::EvmTranscriptRead;

fn halo2_accepts(setup: &SampleProof, instances: &[Fr], proof: &[u8]) -> bool {
    let mut transcript = EvmTranscriptRead::init(proof);
    verify_proof::<KZGCommitmentScheme<Bn256>, VerifierGWC<'_, _>, _, _, _>(
        &setup.params,
        &setup.vk,
        SingleStrategy::new(&setup.params),
        &[&[instances]],
        &mut transcript,
    )
    .is_ok()
}

#[test]
fn the_reference_verifier_accepts_and_refuses_what_halo2_does() {
    let setup = sample_proof();
    let key = EvmKey::compile(&setup.params, &setup.vk, 3).unwrap();
    assert!(halo2_accepts(&setup, &setup.instances, &setup.proof));
    verify(&key, &setup.instances, &setup.proof).unwrap();

    for i in 0..3 {
        let mut wrong = setup.instances.clone();
        wrong[i] += Fr::ONE;
        assert!(!halo2_accepts(&setup, &wrong, &setup.proof));
        assert!(
            matches!(verify(&key, &wrong, &setup.proof), Err(Refusal::Pairing)),
            "instance {i}"
        );
    }
    // Every part of the proof matters to both.
    let mut refused = 0;
    for at in (0..setup.proof.len()).step_by(61) {
        let mut changed = setup.proof.clone();
        changed[at] ^= 0x10;
        assert!(
            !halo2_accepts(&setup, &setup.instances, &changed),
            "byte {at}"
        );
        assert!(
            verify(&key, &setup.instances, &changed).is_err(),
            "byte {at}"
        );
        refused += 1;
    }
    assert!(refused > 50);
    let mut longer = setup.proof.clone();
    longer.push(0);
    assert!(matches!(
        verify(&key, &setup.instances, &longer),
        Err(Refusal::Trailing(1))
    ));
    assert!(matches!(
        verify(&key, &setup.instances, &setup.proof[..100]),
        Err(Refusal::Malformed(_))
    ));
    assert!(matches!(
        verify(&key, &setup.instances[..2], &setup.proof),
        Err(Refusal::Instances {
            got: 2,
            expected: 3
        })
    ));
}

#[test]
fn the_key_reads_the_whole_proof() {
    let setup = sample_proof();
    let key = EvmKey::compile(&setup.params, &setup.vk, 3).unwrap();
    let points = key.num_proof_points() + key.point_rotations.len();
    assert_eq!(setup.proof.len(), 64 * points + 32 * key.num_evals());
}

/// Every part of the key takes part: a valid proof is refused once any is changed.
#[test]
fn a_changed_key_refuses_a_valid_proof() {
    let setup = sample_proof();
    let key = EvmKey::compile(&setup.params, &setup.vk, 3).unwrap();
    type Change = Box<dyn Fn(&mut EvmKey)>;
    let changes: Vec<(&str, Change)> = vec![
        ("a gate constant", Box::new(|k| k.constants[3] += Fr::ONE)),
        (
            "a gate's last fold dropped",
            Box::new(|k| k.gates.truncate(k.gates.len() - 1)),
        ),
        (
            "a lookup's table program",
            Box::new(|k| k.lookups[0].table = k.lookups[0].input.clone()),
        ),
        (
            "a fixed commitment",
            Box::new(|k| k.fixed_commitments.swap(0, 1)),
        ),
        (
            "a sigma commitment",
            Box::new(|k| k.sigma_commitments.swap(0, 1)),
        ),
        (
            "the permutation's columns",
            Box::new(|k| k.permutation_columns.swap(0, 1)),
        ),
        (
            "the transcript's key hash",
            Box::new(|k| k.transcript_repr += Fr::ONE),
        ),
        (
            "an opening's point",
            Box::new(|k| k.point_rotations.swap(0, 1)),
        ),
        ("τ·G2", Box::new(|k| k.s_g2 = k.g2)),
    ];
    for (name, change) in changes {
        let mut changed = key.clone();
        change(&mut changed);
        assert!(
            verify(&changed, &setup.instances, &setup.proof).is_err(),
            "{name}"
        );
    }
    eprintln!(
        "proof {} bytes; key: {} constants, {} gate bytes, {} lookup bytes, {} fixed and {} sigma commitments, {} points",
        setup.proof.len(),
        key.constants.len(),
        key.gates.len(),
        key.lookups.iter().map(|l| l.input.len() + l.table.len()).sum::<usize>(),
        key.fixed_commitments.len(),
        key.sigma_commitments.len(),
        key.point_rotations.len(),
    );
}
