//! zksettle's ceremony beside snarkjs' on the same files: the first key zksettle makes from a
//! snarkjs powers of tau is, byte for byte, the key `snarkjs groth16 setup` makes; zksettle's
//! and snarkjs' contributors take turns and `snarkjs zkey verify` accepts the ceremony; a
//! beacon gives the same bytes in both tools.

use crate::iden3::run_snarkjs;
use crate::zkey::cubic;
use ark_bn254::Fr;
use ark_ec::CurveGroup;
use ark_ff::{One, UniformRand};
use ark_relations::gr1cs::Matrix;
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use std::path::Path;
use zksettle_prover::ceremony::{
    beacon, contribute, dev_ptau, initial_key, verify, CeremonyError, Ptau, VerifyFault,
};
use zksettle_prover::groth16::{create_proof, MsmBackends, R1csInstance};
use zksettle_prover::iden3::write_r1cs_matrices;
use zksettle_prover::zkey::{Zkey, CONTRIBUTION_ORDER, SETUP_ORDER};
use zksettle_prover::{Pippenger, ShapeConstraints};

fn snarkjs(dir: &Path, args: &[&str]) {
    let (ok, text) = run_snarkjs(dir, args);
    assert!(ok, "snarkjs {args:?}:\n{text}");
}

/// A powers of tau of `power` with one contribution, prepared for phase 2, as `name`; the
/// unprepared file as `raw-{name}`.
fn prepared_ptau(dir: &Path, power: u32, name: &str) {
    let raw = format!("raw-{name}");
    snarkjs(
        dir,
        &["powersoftau", "new", "bn128", &power.to_string(), "p0.ptau"],
    );
    snarkjs(
        dir,
        &[
            "powersoftau",
            "contribute",
            "p0.ptau",
            &raw,
            "--name=tau",
            "-e=zksettle tau",
        ],
    );
    snarkjs(dir, &["powersoftau", "prepare", "phase2", &raw, name]);
}

/// A circuit with what the cubic lacks: 3 public inputs, coefficients of every size and sign,
/// a wire only in `C`, an unused wire, empty rows; 40 rows, so a domain of 64.
fn scrambled() -> (Vec<Matrix<Fr>>, usize, usize) {
    let (instance, wires, rows) = (4, 24, 40);
    let mut rng = StdRng::seed_from_u64(25);
    let coefficient = |rng: &mut StdRng| match rng.gen_range(0..4) {
        0 => Fr::one(),
        1 => -Fr::one(),
        2 => Fr::from(rng.gen_range(2u64..1 << 20)),
        _ => Fr::rand(rng),
    };
    let mut matrices = vec![Vec::new(), Vec::new(), Vec::new()];
    for row in 0..rows {
        for (m, matrix) in matrices.iter_mut().enumerate() {
            let mut terms = Vec::new();
            if row % 7 != 3 || m == 2 {
                for wire in 0..wires - 2 {
                    if rng.gen_ratio(1, 5) {
                        terms.push((coefficient(&mut rng), wire));
                    }
                }
            }
            if m == 2 && row % 5 == 0 {
                terms.push((coefficient(&mut rng), wires - 2)); // only in C
            }
            matrix.push(terms);
        }
    }
    (matrices, instance, wires)
}

#[test]
fn zksettle_makes_the_first_key_of_a_ceremony_byte_for_byte_as_snarkjs_does() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    prepared_ptau(path, 6, "final.ptau");
    let (cubic, z) = cubic();
    let circuits = [("cubic", cubic, 2, z.len()), {
        let (matrices, instance, wires) = scrambled();
        ("scrambled", matrices, instance, wires)
    }];
    for (name, matrices, instance, wires) in circuits {
        let rows = matrices[0].len();
        let mut r1cs = Vec::new();
        write_r1cs_matrices(&matrices, instance, wires, rows, &mut r1cs).unwrap();
        std::fs::write(path.join(format!("{name}.r1cs")), r1cs).unwrap();
        let theirs = format!("{name}-snarkjs.zkey");
        snarkjs(
            path,
            &[
                "groth16",
                "setup",
                &format!("{name}.r1cs"),
                "final.ptau",
                &theirs,
            ],
        );

        let circuit = ShapeConstraints::from_matrices(matrices, instance, wires - instance);
        let mut ptau = Ptau::open(&path.join("final.ptau")).unwrap();
        let key = initial_key(&circuit, &mut ptau).unwrap();
        let mut ours = Vec::new();
        key.write(&mut ours, &SETUP_ORDER).unwrap();
        let theirs = std::fs::read(path.join(theirs)).unwrap();
        assert_eq!(ours.len(), theirs.len(), "{name}: sizes");
        let first_difference = ours.iter().zip(&theirs).position(|(a, b)| a != b);
        assert_eq!(first_difference, None, "{name}: first differing byte");
        // And it reads back as the same key, for the same circuit.
        let read = Zkey::read(&ours).unwrap();
        assert_eq!(read, key);
        read.check_circuit(&circuit).unwrap();
    }
}

#[test]
fn a_powers_of_tau_that_cannot_serve_the_circuit_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    prepared_ptau(path, 3, "small.ptau");
    let (matrices, instance, wires) = scrambled();
    let circuit = ShapeConstraints::from_matrices(matrices, instance, wires - instance);

    let mut small = Ptau::open(&path.join("small.ptau")).unwrap();
    assert!(matches!(
        initial_key(&circuit, &mut small),
        Err(CeremonyError::PtauTooSmall { needs: 6, has: 3 })
    ));
    // Two matrices are not an R1CS: refused, not a panic.
    let (mut two, _) = cubic();
    two.pop();
    let not_r1cs = ShapeConstraints::from_matrices(two, 2, 3);
    assert!(matches!(
        initial_key(&not_r1cs, &mut small),
        Err(CeremonyError::NotAnR1cs(2))
    ));
    let (cubic, z) = cubic();
    let cubic = ShapeConstraints::from_matrices(cubic, 2, z.len() - 2);
    let mut unprepared = Ptau::open(&path.join("raw-small.ptau")).unwrap();
    assert!(matches!(
        initial_key(&cubic, &mut unprepared),
        Err(CeremonyError::PtauNotPrepared(_))
    ));

    let bytes = std::fs::read(path.join("small.ptau")).unwrap();
    let refused = |bytes: &[u8]| {
        std::fs::write(path.join("changed.ptau"), bytes).unwrap();
        Ptau::open(&path.join("changed.ptau"))
            .and_then(|mut ptau| initial_key(&cubic, &mut ptau))
            .unwrap_err()
    };
    assert!(matches!(refused(b"ptax"), CeremonyError::PtauTruncated(_)));
    let mut other = bytes.clone();
    other[..4].copy_from_slice(b"zkey");
    assert!(matches!(refused(&other), CeremonyError::NotAPtau(m) if &m == b"zkey"));
    assert!(matches!(
        refused(&bytes[..bytes.len() - 1]),
        CeremonyError::PtauTruncated(_)
    ));
    // A Lagrange point of the cubic's block (domain 8, from point 7 of section 12) moved off
    // the curve.
    let lagrange = crate::zkey::section_offset(&bytes, 12);
    let mut moved = bytes.clone();
    moved[lagrange + 8 * 64 + 40] ^= 1;
    assert!(matches!(
        refused(&moved),
        CeremonyError::Point {
            section: 12,
            index: 8,
            ..
        }
    ));
}

/// The bytes of `key` as snarkjs writes a contributed key, into `path`.
fn write_contributed(key: &Zkey, path: &Path) {
    let mut bytes = Vec::new();
    key.write(&mut bytes, &CONTRIBUTION_ORDER).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn read(path: &Path) -> Zkey {
    Zkey::read(&std::fs::read(path).unwrap()).unwrap()
}

/// snarkjs' `zkey verify` of `key` against the cubic and the ptau: whether it passed, and what
/// it printed.
fn snarkjs_verifies(dir: &Path, key: &str) -> (bool, String) {
    let (ok, text) = run_snarkjs(dir, &["zkey", "verify", "cubic.r1cs", "final.ptau", key]);
    (ok && text.contains("ZKey Ok!"), text)
}

#[test]
fn zksettle_and_snarkjs_contributors_take_turns_in_one_ceremony_and_both_tools_end_it_with_the_same_beacon(
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    // The cubic's snarkjs files: its .r1cs and a prepared ptau of power 4.
    let (matrices, z, _) = crate::zkey::cubic_ceremony(path);
    let circuit = ShapeConstraints::from_matrices(matrices.clone(), 2, z.len() - 2);
    let first = initial_key(&circuit, &mut Ptau::open(&path.join("final.ptau")).unwrap()).unwrap();

    let (one, one_hash) = contribute(&first, b"dice: 3 1 4 1 5", Some("zksettle one")).unwrap();
    write_contributed(&one, &path.join("c1.zkey"));
    snarkjs(
        path,
        &[
            "zkey",
            "contribute",
            "c1.zkey",
            "c2.zkey",
            "--name=snarkjs",
            "-e=snarkjs entropy",
        ],
    );
    let (three, three_hash) = contribute(
        &read(&path.join("c2.zkey")),
        b"more dice",
        Some("zksettle two"),
    )
    .unwrap();
    write_contributed(&three, &path.join("c3.zkey"));

    // A beacon is public randomness: both tools make the same key from it.
    let value: Vec<u8> = (1..=32).collect();
    let (last, _) = beacon(&three, &value, 10, Some("Final Beacon")).unwrap();
    write_contributed(&last, &path.join("ours.zkey"));
    snarkjs(
        path,
        &[
            "zkey",
            "beacon",
            "c3.zkey",
            "theirs.zkey",
            &hex::encode(&value),
            "10",
            "-n=Final Beacon",
        ],
    );
    let theirs = std::fs::read(path.join("theirs.zkey")).unwrap();
    assert!(
        std::fs::read(path.join("ours.zkey")).unwrap() == theirs,
        "zksettle's beacon key differs from snarkjs'"
    );

    // snarkjs checks the whole ceremony, and lists zksettle's contributions by their hashes.
    let (ok, text) = snarkjs_verifies(path, "ours.zkey");
    assert!(ok, "{text}");
    let printed = text.to_lowercase().replace([' ', '\t', '\n'], "");
    for hash in [one_hash, three_hash] {
        assert!(
            printed.contains(&hex::encode(hash)),
            "{} not in {text}",
            hex::encode(hash)
        );
    }
    assert_eq!(
        last.ceremony.as_ref().map(|c| c.contributions.len()),
        Some(4)
    );

    // The final key proves; snarkjs accepts the proof.
    let pippenger = Pippenger::default();
    let backends = MsmBackends {
        g1: &pippenger,
        g2: &pippenger,
        key_g1: None,
    };
    let instance = R1csInstance {
        matrices: &matrices,
        instance_variables: 2,
        constraints: 3,
        assignment: &z,
    };
    let mut rng = StdRng::seed_from_u64(9);
    let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let proof = create_proof(
        backends,
        &last.proving_key,
        Zkey::REDUCTION,
        None,
        r,
        s,
        instance,
    )
    .unwrap();
    std::fs::write(path.join("proof.json"), crate::zkey::proof_json(&proof)).unwrap();
    std::fs::write(path.join("public.json"), r#"["35"]"#).unwrap();
    snarkjs(
        path,
        &["zkey", "export", "verificationkey", "ours.zkey", "vk.json"],
    );
    snarkjs(
        path,
        &["groth16", "verify", "vk.json", "public.json", "proof.json"],
    );

    // zksettle's own check accepts the same ceremony, and names the same contributions.
    let mut ptau = Ptau::open(&path.join("final.ptau")).unwrap();
    let verified = verify(&last, &circuit, &mut ptau).unwrap().unwrap();
    let hashes: Vec<[u8; 64]> = verified.contributions.iter().map(|c| c.1).collect();
    assert_eq!((hashes[0], hashes[2]), (one_hash, three_hash));
    assert_eq!(
        verified
            .contributions
            .iter()
            .map(|c| c.2)
            .collect::<Vec<_>>(),
        [false, false, false, true]
    );
    assert!(verify(&read(&path.join("c2.zkey")), &circuit, &mut ptau)
        .unwrap()
        .is_ok());

    // Changed after the fact, each refused by both tools: a proof of knowledge (g2_spx doubled,
    // still a valid point), the H query, the L query, a beacon's points.
    let mut forged = read(&path.join("c3.zkey"));
    let record = &mut forged.ceremony.as_mut().unwrap().contributions[0];
    record.g2_spx = (record.g2_spx + record.g2_spx).into_affine();
    let mut changed_h = last.clone();
    let h0 = changed_h.proving_key.h_query[0];
    changed_h.proving_key.h_query[0] = (h0 + h0).into_affine();
    let mut changed_l = last.clone();
    let l1 = changed_l.proving_key.l_query[1];
    changed_l.proving_key.l_query[1] = (l1 + l1).into_affine();
    let mut other_beacon = last.clone();
    let record = &mut other_beacon.ceremony.as_mut().unwrap().contributions[3];
    record.beacon.as_mut().unwrap().hash[0] ^= 1;
    for (name, key, fault) in [
        ("forged", forged, VerifyFault::ProofOfKnowledge(0)),
        ("other-beacon", other_beacon, VerifyFault::Beacon(3)),
        ("changed-h", changed_h, VerifyFault::HQuery),
        ("changed-l", changed_l, VerifyFault::LQuery),
    ] {
        let file = format!("{name}.zkey");
        write_contributed(&key, &path.join(&file));
        assert!(!snarkjs_verifies(path, &file).0, "snarkjs accepted {name}");
        assert_eq!(
            verify(&key, &circuit, &mut ptau).unwrap().unwrap_err(),
            fault,
            "{name}"
        );
    }
}

#[test]
fn the_development_powers_of_tau_are_prepared_exactly_as_snarkjs_prepares_the_same_powers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let secrets = dev_ptau::Secrets::from_seed(b"a test's public seed");
    let write = |prepared: bool, name: &str| {
        let mut bytes = Vec::new();
        dev_ptau::write_to(&secrets, 5, prepared, &mut bytes).unwrap();
        std::fs::write(path.join(name), &bytes).unwrap();
        bytes
    };
    write(false, "raw.ptau");
    let ours = write(true, "ours.ptau");
    snarkjs(
        path,
        &[
            "powersoftau",
            "prepare",
            "phase2",
            "raw.ptau",
            "theirs.ptau",
        ],
    );
    let theirs = std::fs::read(path.join("theirs.ptau")).unwrap();
    assert_eq!(ours.len(), theirs.len());
    assert_eq!(ours.iter().zip(&theirs).position(|(a, b)| a != b), None);

    // The file reads back, and a ceremony's first key from it is the one snarkjs makes.
    let (cubic, z) = cubic();
    let circuit = ShapeConstraints::from_matrices(cubic.clone(), 2, z.len() - 2);
    let mut r1cs = Vec::new();
    write_r1cs_matrices(&cubic, 2, z.len(), 3, &mut r1cs).unwrap();
    std::fs::write(path.join("cubic.r1cs"), r1cs).unwrap();
    snarkjs(
        path,
        &["groth16", "setup", "cubic.r1cs", "ours.ptau", "k0.zkey"],
    );
    let key = initial_key(&circuit, &mut Ptau::open(&path.join("ours.ptau")).unwrap()).unwrap();
    let mut bytes = Vec::new();
    key.write(&mut bytes, &SETUP_ORDER).unwrap();
    assert!(bytes == std::fs::read(path.join("k0.zkey")).unwrap());
}
