//! Bit-exactness with circomlibjs: every vector in `../shared/test-vectors` (made by the project
//! with circomlibjs 0.1.7) and in `data/circomlibjs-extra.json` (made by `data/generate-vectors.mjs`:
//! Poseidon at every width 1..16, packed keys and signatures).

use serde_json::Value;
use std::path::PathBuf;
use zksettle_core::babyjubjub::Point;
use zksettle_core::eddsa::{scalar_from_decimal, PrivateKey, PublicKey, Signature, SignatureError};
use zksettle_core::field::{fr_from_decimal, Fr};
use zksettle_core::poseidon::poseidon;

fn shared_vectors() -> Value {
    // The shared folder sits beside the clone (`../shared`); ZKSETTLE_SHARED_DIR points elsewhere.
    // The clone is the running one (cargo sets CARGO_MANIFEST_DIR at run time), not the one the
    // binary was compiled in: checkouts that share a target directory share test binaries.
    let shared = std::env::var_os("ZKSETTLE_SHARED_DIR").map_or_else(
        || {
            let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo test");
            PathBuf::from(manifest).join("../../shared")
        },
        PathBuf::from,
    );
    let path = shared.join("test-vectors/circomlib-poseidon-eddsa.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{} must exist (set ZKSETTLE_SHARED_DIR to the shared folder): {e}",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

fn extra_vectors() -> Value {
    serde_json::from_str(include_str!("data/circomlibjs-extra.json")).unwrap()
}

fn fr(v: &Value) -> Fr {
    fr_from_decimal(v.as_str().unwrap()).unwrap()
}

fn point(v: &Value) -> Point {
    Point {
        x: fr(&v[0]),
        y: fr(&v[1]),
    }
}

fn check_poseidon(vectors: &Value) -> usize {
    let list = vectors["poseidon"].as_array().unwrap();
    for v in list {
        let inputs: Vec<Fr> = v["inputs"].as_array().unwrap().iter().map(fr).collect();
        assert_eq!(
            poseidon(&inputs).unwrap(),
            fr(&v["hash"]),
            "poseidon of {} inputs",
            inputs.len()
        );
    }
    list.len()
}

#[test]
fn poseidon_matches_every_shared_vector() {
    assert!(check_poseidon(&shared_vectors()) > 0);
}

#[test]
fn poseidon_matches_circomlibjs_at_every_width() {
    let v = extra_vectors();
    assert_eq!(check_poseidon(&v), 32);
    let widths: std::collections::BTreeSet<usize> = v["poseidon"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["inputs"].as_array().unwrap().len())
        .collect();
    assert_eq!(widths, (1..=16).collect());
}

struct Triple {
    private_key: PrivateKey,
    public_key: Point,
    message: Fr,
    r8: Point,
    s: String,
}

fn shared_triples() -> Vec<Triple> {
    shared_vectors()["eddsa_poseidon"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Triple {
            private_key: PrivateKey::from_bytes(
                hex::decode(v["private_key_hex"].as_str().unwrap())
                    .unwrap()
                    .try_into()
                    .unwrap(),
            ),
            public_key: point(&v["public_key"]),
            message: fr(&v["message"]),
            r8: point(&v["signature"]["R8"]),
            s: v["signature"]["S"].as_str().unwrap().to_owned(),
        })
        .collect()
}

#[test]
fn eddsa_matches_every_shared_triple() {
    let triples = shared_triples();
    assert!(!triples.is_empty());
    for t in &triples {
        let pk = t.private_key.public_key();
        assert_eq!(pk.0, t.public_key, "prv2pub");
        let sig = t.private_key.sign(t.message);
        assert_eq!(sig.r8, t.r8, "signPoseidon R8");
        assert_eq!(sig.s, scalar_from_decimal(&t.s).unwrap(), "signPoseidon S");
        assert_eq!(pk.verify(t.message, &sig), Ok(()), "verifyPoseidon");
    }
}

#[test]
fn tampered_shared_triples_are_rejected() {
    for t in shared_triples() {
        let pk = PublicKey(t.public_key);
        let sig = Signature {
            r8: t.r8,
            s: scalar_from_decimal(&t.s).unwrap(),
        };
        assert_eq!(
            pk.verify(t.message + Fr::from(1u64), &sig),
            Err(SignatureError::Mismatch)
        );
        let s_plus_one = Signature {
            s: sig.s + zksettle_core::babyjubjub::SubgroupScalar::from(1u64),
            ..sig
        };
        assert_eq!(
            pk.verify(t.message, &s_plus_one),
            Err(SignatureError::Mismatch)
        );
        let other_r8 = Signature {
            r8: t.r8.add(&Point::base8()),
            ..sig
        };
        assert_eq!(
            pk.verify(t.message, &other_r8),
            Err(SignatureError::Mismatch)
        );
        let other_key = PublicKey(t.public_key.add(&Point::base8()));
        assert_eq!(
            other_key.verify(t.message, &sig),
            Err(SignatureError::Mismatch)
        );
    }
}

#[test]
fn packed_keys_and_signatures_match_circomlibjs() {
    let v = extra_vectors();
    let list = v["eddsa"].as_array().unwrap();
    assert_eq!(list.len(), 8);
    for e in list {
        let sk = PrivateKey::from_bytes(
            hex::decode(e["private_key"].as_str().unwrap())
                .unwrap()
                .try_into()
                .unwrap(),
        );
        let msg = fr(&e["message"]);
        let pk = sk.public_key();
        assert_eq!(pk.0, point(&e["public_key"]));
        assert_eq!(
            hex::encode(pk.pack()),
            e["packed_public_key"].as_str().unwrap()
        );
        let unpacked = PublicKey::unpack(&pk.pack()).unwrap();
        assert_eq!(unpacked, pk);
        let sig = sk.sign(msg);
        assert_eq!(
            hex::encode(sig.pack()),
            e["packed_signature"].as_str().unwrap()
        );
        let packed: [u8; 64] = hex::decode(e["packed_signature"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        assert_eq!(pk.verify(msg, &Signature::unpack(&packed).unwrap()), Ok(()));
        assert!(e["valid"].as_bool().unwrap());
    }
}
