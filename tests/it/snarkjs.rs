//! snarkjs (the pinned npm build in `l1-contracts`) and zksettle agree on Groth16 over BN254:
//! snarkjs makes keys and a proof for a circuit zksettle writes in circom's `.r1cs` format, and
//! zksettle's verifier accepts exactly what `snarkjs groth16 verify` accepts. The other
//! direction (real batch proofs exported for snarkjs) runs in the end-to-end audit.

use std::path::Path;
use std::process::Command;
use zksettle_core::field::fr_to_decimal;
use zksettle_core::Fr;
use zksettle_test_support::snarkjs_bin;
use zksettle_verifier::snarkjs::{export_public, import_public};
use zksettle_verifier::{BatchVerifier, Claim, SnarkjsKey, SnarkjsProof};

/// Runs snarkjs in `dir`; whether it succeeded, and what it printed.
pub(crate) fn snarkjs(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(snarkjs_bin())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

/// `snarkjs groth16 verify` on the three files in `dir`: whether it printed `OK!`.
pub(crate) fn snarkjs_verifies(dir: &Path) -> bool {
    let (ok, text) = snarkjs(
        dir,
        &[
            "groth16",
            "verify",
            "verification_key.json",
            "public.json",
            "proof.json",
        ],
    );
    ok && text.contains("OK!")
}

/// BN254's scalar field modulus r, little-endian.
fn modulus_le() -> [u8; 32] {
    use ark_ff::{BigInteger, PrimeField};
    let mut out = [0; 32];
    out.copy_from_slice(&Fr::MODULUS.to_bytes_le());
    out
}

fn le(x: &Fr) -> [u8; 32] {
    let mut out = zksettle_core::field::fr_to_be_bytes(x);
    out.reverse();
    out
}

/// An iden3 binary file: magic, version, then `(type, u64 size, bytes)` sections.
fn bin_file(magic: &[u8; 4], version: u32, sections: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = magic.to_vec();
    out.extend(version.to_le_bytes());
    out.extend((sections.len() as u32).to_le_bytes());
    for (kind, body) in sections {
        out.extend(kind.to_le_bytes());
        out.extend((body.len() as u64).to_le_bytes());
        out.extend(body);
    }
    out
}

/// circom's `.r1cs` for `out = a · b` (one public output, two private inputs). Wires: 0 the
/// constant one, 1 `out`, 2 `a`, 3 `b`.
fn product_r1cs() -> Vec<u8> {
    let mut header = 32u32.to_le_bytes().to_vec();
    header.extend(modulus_le());
    for v in [4u32, 1, 0, 2] {
        header.extend(v.to_le_bytes()); // wires, outputs, public inputs, private inputs
    }
    header.extend(4u64.to_le_bytes()); // labels
    header.extend(1u32.to_le_bytes()); // constraints
    let term = |wire: u32| {
        let mut lc = 1u32.to_le_bytes().to_vec();
        lc.extend(wire.to_le_bytes());
        lc.extend(le(&Fr::from(1u64)));
        lc
    };
    let constraint = [term(2), term(3), term(1)].concat(); // a · b = out
    let map: Vec<u8> = (0..4u64).flat_map(u64::to_le_bytes).collect();
    bin_file(b"r1cs", 1, &[(1, header), (2, constraint), (3, map)])
}

/// The `.wtns` of `witness` (the constant one first).
fn witness_file(witness: &[Fr]) -> Vec<u8> {
    let mut header = 32u32.to_le_bytes().to_vec();
    header.extend(modulus_le());
    header.extend((witness.len() as u32).to_le_bytes());
    let values: Vec<u8> = witness.iter().flat_map(le).collect();
    bin_file(b"wtns", 2, &[(1, header), (2, values)])
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn zksettle_accepts_exactly_what_snarkjs_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a, b) = (Fr::from(1_234_567u64), Fr::from(7_654_321u64));
    std::fs::write(d.join("product.r1cs"), product_r1cs()).unwrap();
    std::fs::write(
        d.join("witness.wtns"),
        witness_file(&[Fr::from(1u64), a * b, a, b]),
    )
    .unwrap();
    let steps: [&[&str]; 6] = [
        &["powersoftau", "new", "bn128", "4", "pot0.ptau"],
        &[
            "powersoftau",
            "contribute",
            "pot0.ptau",
            "pot1.ptau",
            "--name=one",
            "-e=zksettle test entropy",
        ],
        &["powersoftau", "prepare", "phase2", "pot1.ptau", "pot.ptau"],
        &[
            "groth16",
            "setup",
            "product.r1cs",
            "pot.ptau",
            "product0.zkey",
        ],
        &[
            "zkey",
            "contribute",
            "product0.zkey",
            "product.zkey",
            "--name=two",
            "-e=more entropy",
        ],
        &[
            "zkey",
            "export",
            "verificationkey",
            "product.zkey",
            "verification_key.json",
        ],
    ];
    for step in steps {
        let (ok, text) = snarkjs(d, step);
        assert!(ok, "snarkjs {step:?}: {text}");
    }
    let (ok, text) = snarkjs(
        d,
        &[
            "groth16",
            "prove",
            "product.zkey",
            "witness.wtns",
            "proof.json",
            "public.json",
        ],
    );
    assert!(ok, "snarkjs groth16 prove: {text}");
    assert!(snarkjs_verifies(d));

    let key: SnarkjsKey = read_json(&d.join("verification_key.json"));
    let proof: SnarkjsProof = read_json(&d.join("proof.json"));
    let public: Vec<String> = read_json(&d.join("public.json"));
    assert_eq!(public, vec![fr_to_decimal(&(a * b))]);
    let verifier = BatchVerifier::new(&key.import().unwrap());
    let claim = Claim {
        public: import_public(&public).unwrap(),
        proof: proof.import().unwrap(),
    };
    assert!(verifier.verify_one(&claim));
    assert!(verifier.verify_all(std::slice::from_ref(&claim)).is_ok());
    // What zksettle exports again is what snarkjs wrote, number for number.
    assert_eq!(SnarkjsKey::export(verifier.key()), key);
    assert_eq!(SnarkjsProof::export(&claim.proof), proof);

    // Another output: both refuse.
    let wrong = vec![a * b + Fr::from(1u64)];
    std::fs::write(
        d.join("public.json"),
        serde_json::to_string(&export_public(&wrong)).unwrap(),
    )
    .unwrap();
    assert!(!snarkjs_verifies(d));
    assert!(!verifier.verify_one(&Claim {
        public: wrong,
        proof: claim.proof,
    }));
}
