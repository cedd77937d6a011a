//! zksettle's ceremony beside snarkjs' on the same files: the first key zksettle makes from a
//! snarkjs powers of tau is, byte for byte, the key `snarkjs groth16 setup` makes.

use crate::iden3::run_snarkjs;
use crate::zkey::cubic;
use ark_bn254::Fr;
use ark_ff::{One, UniformRand};
use ark_relations::gr1cs::Matrix;
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use std::path::Path;
use zksettle_prover::ceremony::{initial_key, CeremonyError, Ptau};
use zksettle_prover::iden3::write_r1cs_matrices;
use zksettle_prover::zkey::{Zkey, SETUP_ORDER};
use zksettle_prover::ShapeConstraints;

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
