//! The verifier on a small circuit (`a·b = c`, `c` public): snarkjs round trips, tampered
//! fields, and batches with a bad proof hidden among good ones.

use crate::batch::{BatchVerifier, BatchVerifyError, Claim};
use crate::snarkjs::{export_public, import_public, SnarkjsError, SnarkjsKey, SnarkjsProof};
use ark_bn254::{Bn254, Fr};
use ark_ff::{BigInt, BigInteger};
use ark_groth16::{Groth16, ProvingKey};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use ark_snark::SNARK;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use std::str::FromStr;
use std::sync::OnceLock;

#[derive(Clone)]
struct Product {
    a: Fr,
    b: Fr,
}

impl ConstraintSynthesizer<Fr> for Product {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let c = FpVar::new_input(cs.clone(), || Ok(self.a * self.b))?;
        let a = FpVar::new_witness(cs.clone(), || Ok(self.a))?;
        let b = FpVar::new_witness(cs, || Ok(self.b))?;
        (a * b).enforce_equal(&c)
    }
}

fn keys() -> &'static ProvingKey<Bn254> {
    static KEYS: OnceLock<ProvingKey<Bn254>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = StdRng::seed_from_u64(7);
        let (pk, _) = Groth16::<Bn254>::circuit_specific_setup(
            Product {
                a: Fr::from(1u64),
                b: Fr::from(1u64),
            },
            &mut rng,
        )
        .unwrap();
        pk
    })
}

fn claim(a: u64, b: u64) -> Claim {
    let mut rng = StdRng::seed_from_u64(7);
    let (a, b) = (Fr::from(a), Fr::from(b));
    let proof = Groth16::<Bn254>::prove(keys(), Product { a, b }, &mut rng).unwrap();
    Claim {
        public: vec![a * b],
        proof,
    }
}

fn claims(n: u64) -> Vec<Claim> {
    // Re-randomised copies of a few proofs: distinct, valid, cheap.
    let base: Vec<Claim> = (1..=4).map(|i| claim(i, i + 1)).collect();
    let mut rng = StdRng::seed_from_u64(7);
    (0..n as usize)
        .map(|i| {
            let c = &base[i % base.len()];
            Claim {
                public: c.public.clone(),
                proof: Groth16::<Bn254>::rerandomize_proof(&keys().vk, &c.proof, &mut rng),
            }
        })
        .collect()
}

#[test]
fn a_batch_of_valid_proofs_passes_and_each_passes_alone() {
    let verifier = BatchVerifier::new(&keys().vk);
    for n in [0, 1, 2, 70, 130] {
        let set = claims(n);
        assert_eq!(verifier.verify_all(&set), Ok(()), "n = {n}");
        assert!(verifier.verify_each(&set).into_iter().all(|ok| ok));
        assert!(verifier.locate_invalid(&set).is_empty());
    }
}

#[test]
fn one_bad_proof_hidden_among_many_fails_the_batch_and_is_located() {
    let verifier = BatchVerifier::new(&keys().vk);
    let mut set = claims(100);
    // A valid proof claimed for another public input.
    set[41].public[0] += Fr::from(1u64);
    // A valid proof of a different statement's C.
    let other = claim(9, 9);
    set[77].proof.c = other.proof.c;
    assert_eq!(
        verifier.verify_all(&set),
        Err(BatchVerifyError::Invalid(100))
    );
    assert_eq!(verifier.locate_invalid(&set), vec![41, 77]);
}

#[test]
fn a_wrong_input_count_is_a_named_error() {
    let verifier = BatchVerifier::new(&keys().vk);
    let mut set = claims(3);
    set[2].public.push(Fr::from(5u64));
    assert_eq!(
        verifier.verify_all(&set),
        Err(BatchVerifyError::PublicInputs {
            index: 2,
            expected: 1,
            got: 2
        })
    );
    assert!(!verifier.verify_one(&set[2]));
}

#[test]
fn snarkjs_json_round_trips_and_verifies() {
    let c = claim(6, 7);
    let key = SnarkjsKey::export(&keys().vk);
    let proof = SnarkjsProof::export(&c.proof);
    let public = export_public(&c.public);
    assert_eq!(public, vec!["42".to_string()]);
    // Through text, as the files travel.
    let key: SnarkjsKey = serde_json::from_str(&serde_json::to_string(&key).unwrap()).unwrap();
    let proof: SnarkjsProof =
        serde_json::from_str(&serde_json::to_string(&proof).unwrap()).unwrap();
    let vk = key.import().unwrap();
    assert_eq!(vk, keys().vk);
    let imported = Claim {
        public: import_public(&public).unwrap(),
        proof: proof.import().unwrap(),
    };
    assert_eq!(imported.proof, c.proof);
    assert!(BatchVerifier::new(&vk).verify_one(&imported));
    let json = serde_json::to_value(&key).unwrap();
    assert_eq!(json["nPublic"], 1);
    assert_eq!(json["IC"].as_array().unwrap().len(), 2);
}

/// Picks one coordinate of a proof.
type CoordinateOf = dyn Fn(&mut SnarkjsProof) -> &mut String;

#[test]
fn every_tampered_proof_coordinate_is_refused() {
    let c = claim(3, 5);
    let verifier = BatchVerifier::new(&keys().vk);
    let good = SnarkjsProof::export(&c.proof);
    let mut slots: Vec<Box<CoordinateOf>> = Vec::new();
    for i in 0..2 {
        slots.push(Box::new(move |p| &mut p.pi_a[i]));
        slots.push(Box::new(move |p| &mut p.pi_c[i]));
        for j in 0..2 {
            slots.push(Box::new(move |p| &mut p.pi_b[i][j]));
        }
    }
    for slot in &slots {
        let mut bad = good.clone();
        let value = slot(&mut bad);
        let mut n = BigInt::<4>::from_str(value).unwrap();
        n.add_with_carry(&BigInt::from(1u64));
        *value = n.to_string();
        // Off the curve (or, by luck, a different point whose proof fails).
        match bad.import() {
            Err(SnarkjsError::Point(_)) | Err(SnarkjsError::Number { .. }) => {}
            Err(e) => panic!("unexpected {e}"),
            Ok(proof) => assert!(!verifier.verify_one(&Claim {
                public: c.public.clone(),
                proof
            })),
        }
    }
    let mut bad = good.clone();
    bad.pi_a[0] = "1".repeat(80);
    assert!(matches!(bad.import(), Err(SnarkjsError::Number { .. })));
    bad = good.clone();
    bad.pi_a[0] = "-1".into();
    assert!(matches!(bad.import(), Err(SnarkjsError::Number { .. })));
    bad = good.clone();
    bad.curve = "bls12381".into();
    assert_eq!(bad.import(), Err(SnarkjsError::Curve("bls12381".into())));
    bad = good.clone();
    bad.pi_c[2] = "2".into();
    assert_eq!(bad.import(), Err(SnarkjsError::Projective("pi_c")));
    assert!(matches!(
        import_public(&[
            "21888242871839275222246405745257275088548364400416034343698204186575808495617".into()
        ]),
        Err(SnarkjsError::Number { .. })
    ));
}

#[test]
fn a_tampered_key_is_refused_or_fails_every_proof() {
    let c = claim(2, 8);
    let good = SnarkjsKey::export(&keys().vk);
    let mut bad = good.clone();
    bad.n_public = 2;
    assert!(matches!(
        bad.import(),
        Err(SnarkjsError::PublicCount { .. })
    ));
    bad = good.clone();
    bad.vk_gamma_2 = good.vk_delta_2.clone();
    let vk = bad.import().unwrap();
    assert!(!BatchVerifier::new(&vk).verify_one(&c));
    bad = good.clone();
    bad.ic.swap(0, 1);
    let vk = bad.import().unwrap();
    assert!(!BatchVerifier::new(&vk).verify_one(&c));
    assert!(BatchVerifier::new(&good.import().unwrap()).verify_one(&c));
}
