//! A snarkjs ceremony's Groth16 key (`.zkey`) read by zksettle and proven with: a tiny circuit
//! (circom's tutorial cubic, `x = w³ + w + 5`) whose whole ceremony snarkjs runs in seconds:
//! powers of tau with one contribution, phase 2 with another. snarkjs accepts zksettle's proof;
//! a key changed in one place is refused by name.

use ark_bn254::{Bn254, Fq, Fr, G2Affine};
use ark_ec::short_weierstrass::Affine;
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, Field, One, PrimeField, UniformRand};
use ark_groth16::{Groth16, Proof};
use ark_relations::gr1cs::Matrix;
use ark_snark::SNARK;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use std::path::Path;
use zksettle_prover::groth16::{create_proof, MsmBackends, R1csInstance};
use zksettle_prover::iden3::write_r1cs_matrices;
use zksettle_prover::qap::Reduction;
use zksettle_prover::zkey::{CircuitMismatch, Zkey, ZkeyError};
use zksettle_prover::Pippenger;
use zksettle_prover::{BatchKeys, KeyError, ShapeConstraints};

/// Runs snarkjs in `dir`; what it printed. A failure fails the test.
fn snarkjs(dir: &Path, args: &[&str]) -> String {
    let (ok, text) = crate::iden3::run_snarkjs(dir, args);
    assert!(ok, "snarkjs {args:?}:\n{text}");
    text
}

/// Wires `(1, x, w, w², w³)`, `x` public; rows `w·w = w²`, `w²·w = w³`,
/// `(w³ + w + 5)·1 = x`; and the assignment for `w = 3`.
pub(crate) fn cubic() -> (Vec<Matrix<Fr>>, Vec<Fr>) {
    let one = Fr::one();
    let a = vec![
        vec![(one, 2)],
        vec![(one, 3)],
        vec![(one, 4), (one, 2), (Fr::from(5u64), 0)],
    ];
    let b = vec![vec![(one, 2)], vec![(one, 2)], vec![(one, 0)]];
    let c = vec![vec![(one, 3)], vec![(one, 4)], vec![(one, 1)]];
    let z = [1u64, 35, 3, 9, 27].map(Fr::from).to_vec();
    (vec![a, b, c], z)
}

fn decimal<F: PrimeField>(x: &F) -> String {
    x.into_bigint().to_string()
}

/// snarkjs' `proof.json`.
pub(crate) fn proof_json(proof: &Proof<Bn254>) -> String {
    let (a, b, c) = (proof.a, proof.b, proof.c);
    format!(
        r#"{{"pi_a":["{}","{}","1"],"pi_b":[["{}","{}"],["{}","{}"],["1","0"]],"pi_c":["{}","{}","1"],"protocol":"groth16","curve":"bn128"}}"#,
        decimal(&a.x),
        decimal(&a.y),
        decimal(&b.x.c0),
        decimal(&b.x.c1),
        decimal(&b.y.c0),
        decimal(&b.y.c1),
        decimal(&c.x),
        decimal(&c.y),
    )
}

/// The byte offset of section `kind`'s body in a container.
pub(crate) fn section_offset(bytes: &[u8], kind: u32) -> usize {
    let word = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap());
    let mut at = 12;
    loop {
        let size = u64::from_le_bytes(bytes[at + 4..at + 12].try_into().unwrap()) as usize;
        if word(at) == kind {
            return at + 12;
        }
        at += 12 + size;
    }
}

/// A base-field element as the key stores it: its Montgomery limbs, little-endian.
fn montgomery_bytes(x: &Fq) -> Vec<u8> {
    x.0.to_bytes_le()
}

/// Runs the cubic's whole ceremony in `path` (ptau 2^4 with one contribution, phase 2 with
/// one): the matrices, the assignment, and the final key's bytes (`k1.zkey`, its verifying key
/// in `vk.json`).
pub(crate) fn cubic_ceremony(path: &Path) -> (Vec<Matrix<Fr>>, Vec<Fr>, Vec<u8>) {
    let (matrices, z) = cubic();
    let mut r1cs = Vec::new();
    write_r1cs_matrices(&matrices, 2, z.len(), 3, &mut r1cs).unwrap();
    std::fs::write(path.join("cubic.r1cs"), r1cs).unwrap();
    for args in [
        &["powersoftau", "new", "bn128", "4", "p0.ptau"][..],
        &[
            "powersoftau",
            "contribute",
            "p0.ptau",
            "p1.ptau",
            "--name=tau",
            "-e=zksettle tau",
        ],
        &["powersoftau", "prepare", "phase2", "p1.ptau", "final.ptau"],
        &["groth16", "setup", "cubic.r1cs", "final.ptau", "k0.zkey"],
        &[
            "zkey",
            "contribute",
            "k0.zkey",
            "k1.zkey",
            "--name=delta",
            "-e=zksettle delta",
        ],
        &["zkey", "export", "verificationkey", "k1.zkey", "vk.json"],
    ] {
        snarkjs(path, args);
    }
    let bytes = std::fs::read(path.join("k1.zkey")).unwrap();
    (matrices, z, bytes)
}

#[test]
fn a_snarkjs_ceremony_key_proves_and_snarkjs_accepts_the_proof_and_changed_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let (matrices, z, bytes) = cubic_ceremony(path);
    let zkey = Zkey::read(&bytes).unwrap();
    assert_eq!((zkey.n_vars, zkey.n_public, zkey.domain_size), (5, 1, 8));
    assert_eq!(
        zkey.ceremony.as_ref().map(|c| c.contributions.len()),
        Some(1)
    );

    // Its coefficients are the circuit's A and B, plus the rows binding the constant and `x`.
    let mut stored: Vec<(u32, u32, u32, Fr)> = zkey
        .coefficients
        .iter()
        .map(|c| (c.matrix, c.constraint, c.wire, c.value))
        .collect();
    let mut expected: Vec<(u32, u32, u32, Fr)> = (0..2)
        .flat_map(|m| {
            matrices[m]
                .iter()
                .enumerate()
                .flat_map(move |(row, terms)| {
                    terms
                        .iter()
                        .map(move |&(value, wire)| (m as u32, row as u32, wire as u32, value))
                })
        })
        .chain((0..2).map(|s| (0, 3 + s, s, Fr::one())))
        .collect();
    stored.sort_by_key(|c| (c.0, c.1, c.2));
    expected.sort_by_key(|c| (c.0, c.1, c.2));
    assert_eq!(stored, expected);
    // The same comparison, as the prover makes it before taking a key.
    zkey.check_circuit(&ShapeConstraints::from_matrices(matrices.clone(), 2, 3))
        .unwrap();

    // Proven with the key's reduction: arkworks and snarkjs both accept the proof.
    let instance = R1csInstance {
        matrices: &matrices,
        instance_variables: 2,
        constraints: 3,
        assignment: &z,
    };
    let pippenger = Pippenger::default();
    let backends = MsmBackends {
        g1: &pippenger,
        g2: &pippenger,
        key_g1: None,
    };
    let mut rng = StdRng::seed_from_u64(7);
    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let pk = &zkey.proving_key;
    let proof = create_proof(backends, pk, Zkey::REDUCTION, None, r, s, instance).unwrap();
    assert!(Groth16::<Bn254>::verify(&pk.vk, &[z[1]], &proof).unwrap());
    std::fs::write(path.join("proof.json"), proof_json(&proof)).unwrap();
    std::fs::write(path.join("public.json"), r#"["35"]"#).unwrap();
    let verified = snarkjs(
        path,
        &["groth16", "verify", "vk.json", "public.json", "proof.json"],
    );
    assert!(verified.contains("OK!"), "{verified}");
    // The other basis's `h` makes a proof no verifier accepts.
    let wrong = create_proof(backends, pk, Reduction::Libsnark, None, r, s, instance).unwrap();
    assert!(!Groth16::<Bn254>::verify(&pk.vk, &[z[1]], &wrong).unwrap());

    // Changed keys, each refused by name.
    let changed = |at: usize, with: &[u8]| {
        let mut b = bytes.clone();
        b[at..at + with.len()].copy_from_slice(with);
        Zkey::read(&b).unwrap_err()
    };
    assert_eq!(changed(0, b"zkez"), ZkeyError::NotAZkey(*b"zkez"));
    assert!(matches!(
        Zkey::read(&bytes[..bytes.len() - 1]),
        Err(ZkeyError::Truncated(_))
    ));
    let a_query = section_offset(&bytes, 5);
    let second_a = a_query + 64;
    let mut y = bytes[second_a + 32..second_a + 64].to_vec();
    y[0] ^= 1;
    assert_eq!(
        changed(second_a + 32, &y),
        ZkeyError::NotOnCurve {
            section: 5,
            index: 1
        }
    );
    let b2_query = section_offset(&bytes, 7);
    assert_eq!(
        changed(b2_query + 128 * 2, &[0xff; 32]),
        ZkeyError::CoordinateOutOfRange {
            section: 7,
            index: 2
        }
    );
    // A point on the twist outside the prime-order subgroup (G2 has a cofactor).
    let outside = (1u64..)
        .find_map(|x| {
            let x = ark_bn254::Fq2::new(Fq::from(x), Fq::one());
            Affine::<ark_bn254::g2::Config>::get_point_from_x_unchecked(x, false)
                .filter(|p| !p.is_in_correct_subgroup_assuming_on_curve())
        })
        .unwrap();
    let encoded: Vec<u8> = [outside.x.c0, outside.x.c1, outside.y.c0, outside.y.c1]
        .iter()
        .flat_map(montgomery_bytes)
        .collect();
    assert_eq!(
        changed(b2_query, &encoded),
        ZkeyError::NotInSubgroup {
            section: 7,
            index: 0
        }
    );
    // The same point where a G2 point belongs in the header (β₂ after α₁ and β₁) is refused
    // there too, and an honest point moved there is read back as itself.
    let header = section_offset(&bytes, 2);
    let beta2 = header + 4 + 32 + 4 + 32 + 12 + 64 + 64;
    assert_eq!(
        changed(beta2, &encoded),
        ZkeyError::NotInSubgroup {
            section: 2,
            index: 2
        }
    );
    let generator = G2Affine::generator();
    let moved: Vec<u8> = [
        generator.x.c0,
        generator.x.c1,
        generator.y.c0,
        generator.y.c1,
    ]
    .iter()
    .flat_map(montgomery_bytes)
    .collect();
    let mut with_generator = bytes.clone();
    with_generator[beta2..beta2 + 128].copy_from_slice(&moved);
    let read = Zkey::read(&with_generator).unwrap();
    assert_eq!(read.proving_key.vk.beta_g2, generator);
    assert_eq!(read.proving_key.a_query, pk.a_query);
}

#[test]
fn a_ceremony_key_is_taken_only_for_the_circuit_it_was_made_for() {
    let dir = tempfile::tempdir().unwrap();
    let (matrices, _, bytes) = cubic_ceremony(dir.path());
    let zkey = Zkey::read(&bytes).unwrap();
    let circuit = |matrices: Vec<Matrix<Fr>>, public: usize| {
        ShapeConstraints::from_matrices(matrices, 1 + public, 4 - public)
    };
    assert_eq!(zkey.check_circuit(&circuit(matrices.clone(), 1)), Ok(()));

    // The same wires with `x` private, or one coefficient of B changed: another circuit.
    assert_eq!(
        zkey.check_circuit(&circuit(matrices.clone(), 0)),
        Err(CircuitMismatch::PublicInputs { key: 1, circuit: 0 })
    );
    let mut changed = matrices.clone();
    changed[1][1][0].0 = Fr::from(2u64);
    assert_eq!(
        zkey.check_circuit(&circuit(changed, 1)),
        Err(CircuitMismatch::Coefficient {
            matrix: 1,
            constraint: 1,
            wire: 2
        })
    );
    // C is not in a key (it is folded into the L query): a change there is not seen here.
    let mut other_c = matrices.clone();
    other_c[2][0][0].0 = Fr::from(2u64);
    assert_eq!(zkey.check_circuit(&circuit(other_c, 1)), Ok(()));

    // A coefficient changed in the file's own bytes (A[0][2] = 1 → 2, stored as 2·R² mod r):
    // the file still reads, and is refused for the circuit.
    let coefficients = section_offset(&bytes, 4);
    let first_value = coefficients + 4 + 12;
    let r_squared = Fr::from(2u64).pow([512u64]);
    assert_eq!(
        &bytes[first_value..first_value + 32],
        &r_squared.into_bigint().to_bytes_le()[..],
        "the first stored coefficient is A[0][2] = 1"
    );
    let mut tampered = bytes.clone();
    tampered[first_value..first_value + 32]
        .copy_from_slice(&(r_squared + r_squared).into_bigint().to_bytes_le());
    let read = Zkey::read(&tampered).unwrap();
    assert_eq!(
        read.check_circuit(&circuit(matrices, 1)),
        Err(CircuitMismatch::Coefficient {
            matrix: 0,
            constraint: 0,
            wire: 2
        })
    );

    // Offered for a batch shape, the cubic's key is refused, naming the shape.
    let refused = BatchKeys::from_zkey(crate::prove::SHAPE, zkey).unwrap_err();
    assert!(
        matches!(
            refused,
            KeyError::NotThisCircuit {
                source: CircuitMismatch::Wires { key: 5, .. },
                ..
            }
        ),
        "{refused}"
    );
}
