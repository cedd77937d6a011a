//! The batch circuit and a real batch's assignment in iden3's formats, checked by the
//! ecosystem's own tool: `snarkjs r1cs info` reads the circuit's counts back, and
//! `snarkjs wtns check` evaluates every constraint on the assignment (and refuses it once one
//! raw value is changed).

use crate::prove::{a_transfer_batch, domain, SHAPE};
use std::path::Path;
use std::process::Command;
use zksettle_circuits::{BatchAssignment, BatchCircuit};
use zksettle_core::Fr;
use zksettle_prover::iden3::{write_r1cs, write_wtns};
use zksettle_prover::ShapeConstraints;

/// Runs snarkjs in `dir`; its exit status and everything it printed.
pub(crate) fn run_snarkjs<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> (bool, String) {
    let out = Command::new(zksettle_test_support::snarkjs_bin())
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn write(path: &Path, bytes: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) {
    let mut buffer = Vec::new();
    bytes(&mut buffer).unwrap();
    std::fs::write(path, buffer).unwrap();
}

#[test]
fn snarkjs_reads_the_circuit_and_accepts_a_real_batch_witness_and_refuses_a_changed_one() {
    let shape = ShapeConstraints::of(SHAPE).unwrap();
    let assignment = BatchAssignment::from_witness(SHAPE, domain(), &a_transfer_batch()).unwrap();
    let z = BatchCircuit { assignment }
        .full_assignment()
        .unwrap()
        .concatenated();
    assert_eq!(
        z.len(),
        shape.instance_variables() + shape.witness_variables()
    );

    let dir = tempfile::tempdir().unwrap();
    let r1cs = dir.path().join("batch.r1cs");
    let wtns = dir.path().join("batch.wtns");
    write(&r1cs, |out| write_r1cs(&shape, out));
    write(&wtns, |out| write_wtns(&z, out));

    let (ok, info) = run_snarkjs(dir.path(), &[Path::new("r1cs"), Path::new("info"), &r1cs]);
    assert!(ok, "{info}");
    for line in [
        "Curve: bn-128".to_string(),
        format!("# of Wires: {}", z.len()),
        format!("# of Constraints: {}", shape.constraints()),
        "# of Public Inputs: 1".to_string(),
        "# of Outputs: 0".to_string(),
    ] {
        assert!(info.contains(&line), "{line:?} not in:\n{info}");
    }

    let (ok, check) = run_snarkjs(
        dir.path(),
        &[Path::new("wtns"), Path::new("check"), &r1cs, &wtns],
    );
    assert!(ok && check.contains("WITNESS IS CORRECT"), "{check}");

    // One raw value changed: a witness wire that a constraint from halfway through the circuit
    // reads. snarkjs must find a constraint it breaks.
    let [a, ..] = shape.matrices() else {
        panic!("three matrices")
    };
    let wire = a[shape.constraints() / 2..]
        .iter()
        .flatten()
        .map(|(_, column)| *column)
        .find(|column| *column >= shape.instance_variables())
        .expect("a witness wire in the middle row");
    let mut changed = z.clone();
    changed[wire] += Fr::from(1u64);
    write(&wtns, |out| write_wtns(&changed, out));
    let (_, check) = run_snarkjs(
        dir.path(),
        &[Path::new("wtns"), Path::new("check"), &r1cs, &wtns],
    );
    assert!(
        check.contains("WITNESS IS NOT CORRECT"),
        "snarkjs accepted a changed witness:\n{check}"
    );
}
