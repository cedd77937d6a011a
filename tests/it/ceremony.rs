//! A ceremony at the node's shape, as a deployment runs one: zksettle, snarkjs and zksettle
//! contribute in turn and a beacon ends it; `snarkjs zkey verify` and zksettle's own check
//! accept the ceremony; a node proves with the key on anvil and settles wallet traffic; the
//! auditor verifies every settled proof against the key, and snarkjs one of them.
//!
//! At the node's shape the domain is 2^18, so the powers of tau, the first key and snarkjs'
//! verification take minutes: the default run skips this test (the prover's tests run the same
//! turns and the refusals of forged contributions at a small circuit), and
//! `scripts/test.sh -- --ignored a_ceremony` runs it.

use crate::node::{end_to_end, signer, start_following};
use crate::settlement::l2::SHAPE;
use std::path::Path;
use zksettle_l1::anvil::Anvil;
use zksettle_l1::{RpcChain, RpcConfig};
use zksettle_prover::ceremony::{beacon, contribute, dev_ptau, initial_key, verify, Ptau};
use zksettle_prover::zkey::{Zkey, CONTRIBUTION_ORDER};
use zksettle_prover::{BatchKeys, ShapeConstraints};

fn snarkjs(dir: &Path, args: &[&str]) -> String {
    let (ok, text) = crate::snarkjs::snarkjs(dir, args);
    assert!(ok, "snarkjs {args:?}:\n{text}");
    text
}

fn write(key: &Zkey, path: &Path) {
    let mut bytes = Vec::new();
    key.write(&mut bytes, &CONTRIBUTION_ORDER).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn read(path: &Path) -> Zkey {
    Zkey::read(&std::fs::read(path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "minutes at the node's shape: scripts/test.sh -- --ignored a_ceremony"]
async fn a_ceremony_of_zksettle_snarkjs_zksettle_and_a_beacon_gives_keys_a_node_settles_with_on_anvil(
) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let circuit = ShapeConstraints::of(SHAPE).unwrap();
    let domain = (circuit.constraints() + circuit.instance_variables()).next_power_of_two();
    // One power above the domain: from 2^15 up zksettle refuses a domain that fills the powers
    // exactly (snarkjs' circuit hash then reads past them), as an operator is told to.
    let power = domain.trailing_zeros() + 1;
    let ptau = path.join("pot.ptau");
    dev_ptau::write(power, b"zksettle ceremony test", &ptau).unwrap();
    let mut r1cs = std::io::BufWriter::new(std::fs::File::create(path.join("batch.r1cs")).unwrap());
    zksettle_prover::iden3::write_r1cs(&circuit, &mut r1cs).unwrap();
    drop(r1cs);

    let first = initial_key(&circuit, &mut Ptau::open(&ptau).unwrap()).unwrap();
    let (one, one_hash) = contribute(&first, b"first contributor", Some("zksettle one")).unwrap();
    drop(first);
    write(&one, &path.join("c1.zkey"));
    drop(one);
    snarkjs(
        path,
        &[
            "zkey",
            "contribute",
            "c1.zkey",
            "c2.zkey",
            "--name=snarkjs",
            "-e=second contributor",
        ],
    );
    let (three, three_hash) = contribute(
        &read(&path.join("c2.zkey")),
        b"third contributor",
        Some("zksettle two"),
    )
    .unwrap();
    let value: Vec<u8> = (1..=32).collect();
    let (last, _) = beacon(&three, &value, 10, Some("Final Beacon")).unwrap();
    drop(three);
    write(&last, &path.join("final.zkey"));

    // Both tools accept the ceremony; snarkjs lists zksettle's contributions by their hashes.
    let text = snarkjs(
        path,
        &["zkey", "verify", "batch.r1cs", "pot.ptau", "final.zkey"],
    );
    assert!(text.contains("ZKey Ok!"), "{text}");
    let printed = text.to_lowercase().replace([' ', '\t', '\n'], "");
    for hash in [one_hash, three_hash] {
        assert!(printed.contains(&hex::encode(hash)), "{text}");
    }
    let verified = verify(&last, &circuit, &mut Ptau::open(&ptau).unwrap())
        .unwrap()
        .unwrap();
    assert_eq!(verified.contributions.len(), 4);
    drop((last, circuit));

    // The node proves with the ceremony's key on anvil; `end_to_end` settles deposits,
    // transfers, a withdrawal and a forced exit, then audits every proof against the key and
    // has `snarkjs groth16 verify` accept one.
    let keys = BatchKeys::read_zkey(&path.join("final.zkey"), SHAPE).unwrap();
    assert!(
        !keys.insecure,
        "a ceremony's key is not the development key"
    );
    let keys: &'static BatchKeys = Box::leak(Box::new(keys));
    let anvil = Anvil::start(31337).unwrap();
    let connect = |i| RpcChain::connect(anvil.url(), signer(i), RpcConfig::default());
    let n = start_following(
        connect(0).await.unwrap(),
        connect(1).await.unwrap(),
        connect(2).await.unwrap(),
        0,
        keys,
    )
    .await;
    end_to_end(n).await;
}
