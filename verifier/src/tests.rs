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
            Err(SnarkjsError::OffCurve(_)) | Err(SnarkjsError::CoordinateNotReduced { .. }) => {}
            Err(e) => panic!("unexpected {e}"),
            Ok(proof) => assert!(!verifier.verify_one(&Claim {
                public: c.public.clone(),
                proof
            })),
        }
    }
    let mut bad = good.clone();
    bad.pi_a[0] = "1".repeat(80);
    assert!(matches!(bad.import(), Err(SnarkjsError::NotDecimal { .. })));
    bad = good.clone();
    bad.pi_a[0] = "-1".into();
    assert!(matches!(bad.import(), Err(SnarkjsError::NotDecimal { .. })));
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
        Err(SnarkjsError::PublicInputNotReduced { index: 0, .. })
    ));
}

/// q, the BN254 base field's modulus, in decimal.
const Q: &str = "21888242871839275222246405745257275088696311157297823662689037894645226208583";

#[test]
fn each_kind_of_malformed_proof_input_has_its_own_named_error() {
    let c = claim(4, 6);
    let good = SnarkjsProof::export(&c.proof);
    // A coordinate at q (the same point mod q, but not canonical).
    let mut bad = good.clone();
    bad.pi_a[1] = Q.into();
    assert_eq!(
        bad.import(),
        Err(SnarkjsError::CoordinateNotReduced {
            what: "pi_a",
            value: Q.into()
        })
    );
    // Off the curve.
    bad = good.clone();
    bad.pi_c[1] = "7".into();
    assert_eq!(bad.import(), Err(SnarkjsError::OffCurve("pi_c")));
    // B's limbs in the EVM's order.
    bad = good.clone();
    bad.pi_b[0].swap(0, 1);
    bad.pi_b[1].swap(0, 1);
    assert_eq!(bad.import(), Err(SnarkjsError::SwappedLimbs("pi_b")));
    // On the twist, outside the prime-order subgroup (the cofactor is not 1).
    let outside = (1u64..)
        .find_map(|x| {
            let p = ark_bn254::G2Affine::get_point_from_x_unchecked(
                ark_bn254::Fq2::new(ark_bn254::Fq::from(x), ark_bn254::Fq::from(0u64)),
                false,
            )?;
            (!p.is_in_correct_subgroup_assuming_on_curve()).then_some(p)
        })
        .unwrap();
    bad = good.clone();
    bad.pi_b = SnarkjsProof::export(&ark_groth16::Proof {
        a: c.proof.a,
        b: outside,
        c: c.proof.c,
    })
    .pi_b;
    assert_eq!(bad.import(), Err(SnarkjsError::NotInSubgroup("pi_b")));
    // A public input at r.
    assert_eq!(
        import_public(&["1".into(), R.into()]),
        Err(SnarkjsError::PublicInputNotReduced {
            index: 1,
            value: R.into()
        })
    );
}

/// r, the BN254 scalar field's modulus, in decimal.
const R: &str = "21888242871839275222246405745257275088548364400416034343698204186575808495617";

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

#[test]
fn many_snarkjs_proofs_of_any_circuit_are_checked_together_and_each_bad_one_is_named() {
    use crate::proofs::{check, read_many};
    let verifier = BatchVerifier::new(&keys().vk);
    let (c1, c2) = (claim(2, 3), claim(5, 7));
    let (p1, p2) = (
        SnarkjsProof::export(&c1.proof),
        SnarkjsProof::export(&c2.proof),
    );
    let (x1, x2) = (export_public(&c1.public), export_public(&c2.public));
    let mut swapped = p2.clone();
    swapped.pi_b[0].swap(0, 1);
    swapped.pi_b[1].swap(0, 1);
    let two_inputs = vec!["6".to_string(), "1".to_string()];
    let entries: Vec<(&str, &SnarkjsProof, &Vec<String>)> = vec![
        ("a", &p1, &x1),
        ("b", &p2, &x2),
        ("c-other-public", &p1, &x2),
        ("d-swapped", &swapped, &x2),
        ("e-two-inputs", &p1, &two_inputs),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut lines = String::new();
    for (name, proof, public) in &entries {
        let sub = dir.path().join(name);
        std::fs::create_dir(&sub).unwrap();
        std::fs::write(
            sub.join("proof.json"),
            serde_json::to_string(proof).unwrap(),
        )
        .unwrap();
        std::fs::write(
            sub.join("public.json"),
            serde_json::to_string(public).unwrap(),
        )
        .unwrap();
        lines.push_str(&serde_json::json!({ "proof": proof, "public": public }).to_string());
        lines.push('\n');
    }
    lines.push_str("not json\n");
    let from_dir = check(&verifier, read_many(&verifier, dir.path()).unwrap());
    assert_eq!(from_dir.valid, ["a", "b"]);
    assert_eq!(from_dir.invalid, ["c-other-public"]);
    let malformed: Vec<&str> = from_dir.malformed.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(malformed, ["d-swapped", "e-two-inputs"]);
    assert!(
        from_dir.malformed[0].1.contains("swapped"),
        "{:?}",
        from_dir.malformed
    );
    assert!(from_dir.malformed[1]
        .1
        .contains("expected 1 public inputs, got 2"));
    assert!(!from_dir.all_valid());

    let file = dir.path().join("proofs.jsonl");
    std::fs::write(&file, lines).unwrap();
    let from_lines = check(&verifier, read_many(&verifier, &file).unwrap());
    assert_eq!(from_lines.valid, ["line 1", "line 2"]);
    assert_eq!(from_lines.invalid, ["line 3"]);
    let malformed: Vec<&str> = from_lines
        .malformed
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(malformed, ["line 4", "line 5", "line 6"]);

    let only_good = check(
        &verifier,
        vec![crate::proofs::Named {
            name: "one".into(),
            claim: crate::proofs::claim(&verifier, &p1, &x1),
        }],
    );
    assert!(only_good.all_valid());
}
