//! The `zksettle` binary as a user runs it.

// Test fixtures and helpers fail the test by panicking, like the assertions around them.
#![allow(clippy::unwrap_used)]

use std::process::Command;

mod audit;
mod crash;
mod full_disk;
mod gpu;
mod halo2;
mod outage;
mod queue;
mod soak;

/// The smallest shape the deployment tests use (depth 4, 10 chunks, one fee slot).
const DEPLOYABLE_SHAPE_FLAGS: [&str; 6] = [
    "--tree.depth",
    "4",
    "--batch.chunks",
    "10",
    "--batch.fee-slots",
    "1",
];

fn zksettle() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zksettle"))
}

/// Runs `zksettle <args>` in the deployable shape against the L1 node at `url`, signing with
/// anvil's first development key, keys cached in `keys`.
fn on_l1(args: &[&str], url: &str, keys: &std::path::Path) -> std::process::Output {
    zksettle()
        .args(args)
        .args(DEPLOYABLE_SHAPE_FLAGS)
        .args(["--l1.rpc-url", url])
        .env("ZKSETTLE_L1_PRIVATE_KEY", zksettle_l1::anvil::DEV_KEYS[0])
        .arg("--prover.keys-dir")
        .arg(keys)
        .output()
        .unwrap()
}

/// `zksettle circuit export-r1cs` and `zksettle prover witness` write batch `batch` of the node
/// whose data directory is `data` (of the crash tests' shape) into `dir`; `snarkjs wtns check`
/// accepts them. A batch the node does not hold is a clear error.
pub(crate) fn snarkjs_checks_a_batch_witness_from_the_node(
    dir: &std::path::Path,
    data: &std::path::Path,
    batch: u64,
) {
    let (r1cs, wtns) = (dir.join("batch.r1cs"), dir.join("batch.wtns"));
    let exported = zksettle()
        .args(["circuit", "export-r1cs"])
        .args(crash::SHAPE_FLAGS)
        .arg("--out")
        .arg(&r1cs)
        .output()
        .unwrap();
    assert!(exported.status.success(), "{exported:?}");
    let witness = |batch: u64| {
        zksettle()
            .args(["prover", "witness", "--batch", &batch.to_string()])
            .arg("--datadir")
            .arg(data)
            .arg("--out")
            .arg(&wtns)
            .output()
            .unwrap()
    };
    let written = witness(batch);
    let stdout = String::from_utf8_lossy(&written.stdout);
    assert!(
        written.status.success() && stdout.contains(&format!("batch {batch}: ")),
        "{stdout}{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let check = Command::new(zksettle_test_support::snarkjs_bin())
        .args(["wtns", "check"])
        .args([&r1cs, &wtns])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success() && said.contains("WITNESS IS CORRECT"),
        "{said}{}",
        String::from_utf8_lossy(&check.stderr)
    );

    let missing = witness(batch + 100);
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains(&format!("no sealed batch {}", batch + 100)),
        "{stderr}"
    );
}

#[test]
fn simulate_rebuilds_the_state_from_pubdata() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    let out = zksettle()
        .args([
            "simulate",
            "--sim.accounts",
            "12",
            "--sim.batches",
            "4",
            "--batch.chunks",
            "16",
        ])
        .arg("--db.path")
        .arg(&db)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("replay: ok"), "{stdout}");
    assert!(
        stdout.contains("\"transfer\""),
        "traffic included transfers: {stdout}"
    );

    // The database now holds a tree: a second run refuses to start over it.
    let again = zksettle()
        .args(["simulate"])
        .arg("--db.path")
        .arg(&db)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a tree"));
}

#[test]
fn circuit_export_r1cs_writes_the_shapes_constraint_system_and_refuses_a_bad_shape() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("batch.r1cs");
    // The small shape the crash tests run (depth 8, 10 chunks, one fee slot).
    let shape = crash::SHAPE_FLAGS;
    let run = zksettle()
        .args(["circuit", "export-r1cs"])
        .args(shape)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(stdout.contains("(1 public input)"), "{stdout}");
    // iden3's container: magic, version 1, three sections, the header first.
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(&bytes[..4], b"r1cs");
    assert_eq!(bytes[4..8], 1u32.to_le_bytes());
    assert_eq!(bytes[8..12], 3u32.to_le_bytes());
    let constraints = u32::from_le_bytes(bytes[12 + 12 + 60..12 + 12 + 64].try_into().unwrap());
    assert!(
        stdout.starts_with(&format!("{constraints} constraints")),
        "{stdout}"
    );

    let odd = zksettle()
        .args(["circuit", "export-r1cs", "--tree.depth", "7"])
        .arg("--out")
        .arg(dir.path().join("odd.r1cs"))
        .output()
        .unwrap();
    assert!(!odd.status.success());
    assert!(String::from_utf8_lossy(&odd.stderr).contains("depth"));
}

#[test]
fn keygen_matches_circomlibjs_derivation() {
    // Private key and public key from circomlibjs 0.1.7 (`prv2pub`), in the project's vectors.
    let out = zksettle()
        .args([
            "keygen",
            "--from-private-key",
            "07ae96d797cc945c73ce3804f068306dcfe32ba354f4f12afe5cd9cfe6f33c60",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["public_key"][0],
        "16722388662883061659931473905554123904812943410768354005040445303818250803488"
    );
    assert_eq!(
        json["packed_public_key"],
        "4026ade574a1c0da48f5b7fd9a8c9b111660ea6a22cc0d85d0a69e549dc99d8d"
    );

    let fresh: serde_json::Value =
        serde_json::from_slice(&zksettle().arg("keygen").output().unwrap().stdout).unwrap();
    assert_eq!(fresh["private_key"].as_str().unwrap().len(), 64);

    let bad = zksettle()
        .args(["keygen", "--from-private-key", "abcd"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("32 bytes"));
}

#[test]
fn prover_setup_caches_insecure_keys_and_reports_their_hash() {
    let dir = tempfile::tempdir().unwrap();
    let setup = || {
        let out = zksettle()
            .args([
                "prover",
                "setup",
                "--tree.depth",
                "4",
                "--batch.chunks",
                "2",
                "--batch.fee-slots",
                "1",
            ])
            .arg("--prover.keys-dir")
            .arg(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains("INSECURE"), "{stderr}");
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report
    };
    let first = setup();
    assert_eq!(first["insecure"], true);
    let hash = first["vk_hash"].as_str().unwrap().to_owned();
    assert_eq!(hash.len(), 66);
    let file = std::path::PathBuf::from(first["key_file"].as_str().unwrap());
    assert!(file.exists());
    // The second run loads the cached file: same verifying key.
    assert_eq!(setup()["vk_hash"].as_str().unwrap(), hash);

    // `zksettle setup` is the same command.
    let odd = zksettle()
        .args(["setup", "--tree.depth", "5"])
        .arg("--prover.keys-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!odd.status.success());
    assert!(String::from_utf8_lossy(&odd.stderr).contains("depth"));
}

#[test]
fn simulate_proves_every_batch_it_makes() {
    let dir = tempfile::tempdir().unwrap();
    let out = zksettle()
        .args([
            "simulate",
            "--prove",
            "--tree.depth",
            "8",
            "--batch.chunks",
            "16",
            "--sim.accounts",
            "2",
            "--sim.batches",
            "1",
        ])
        .arg("--prover.keys-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("INSECURE"), "{stderr}");
    // Every batch the run made (at depth 8 a deposit takes 10 of the 16 chunks, so each opening
    // deposit has a batch of its own) is proven and checked against its commitment.
    let batches: usize = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("batches: "))
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(batches >= 5, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "proofs: ok ({batches} batches proven and verified"
        )),
        "{stdout}"
    );
}

#[test]
fn deploy_and_node_refuse_the_development_keys_on_a_chain_that_is_not_local_unless_told_dev() {
    // Sepolia's chain id on a local anvil: what a mistaken operator would point at.
    let anvil = zksettle_l1::anvil::Anvil::start(11_155_111).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| on_l1(args, anvil.url(), keys.path());
    let node_args = [
        "node",
        "--l1.rollup",
        "0x00000000000000000000000000000000000000aa",
        "--l1.deploy-block",
        "0",
        "--datadir",
        data.path().to_str().unwrap(),
    ];
    for refused in [run(&["l1", "deploy"]), run(&node_args)] {
        assert!(!refused.status.success());
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(
            stderr.contains("refusing the insecure development keys")
                && stderr.contains("chain id 11155111")
                && stderr.contains("--dev"),
            "{stderr}"
        );
    }
    // Refused before any work: no key was made.
    assert_eq!(std::fs::read_dir(keys.path()).unwrap().count(), 0);

    // `--dev` says the chain is a development one: the deployment goes ahead.
    let deployed = run(&["l1", "deploy", "--dev"]);
    let stderr = String::from_utf8_lossy(&deployed.stderr);
    assert!(deployed.status.success(), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&deployed.stdout).unwrap();
    assert_eq!(report["chain_id"], 11_155_111);
    assert_eq!(report["insecure_keys"], true);
}

#[test]
fn l1_deploy_puts_the_contracts_on_a_node_and_prints_them() {
    let anvil = zksettle_l1::anvil::Anvil::start(31337).unwrap();
    let keys = tempfile::tempdir().unwrap();
    let out = on_l1(&["l1", "deploy"], anvil.url(), keys.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("INSECURE"), "{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["chain_id"], 31337);
    assert_eq!(report["insecure_keys"], true);
    let rollup: alloy::primitives::Address = report["rollup"].as_str().unwrap().parse().unwrap();
    // The contract on the node holds the genesis root and the keys' hash.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let chain = zksettle_l1::RpcChain::connect(
            anvil.url(),
            zksettle_l1::anvil::DEV_KEYS[1].parse().unwrap(),
            zksettle_l1::RpcConfig::default(),
        )
        .await
        .unwrap();
        let client = zksettle_l1::RollupClient::new(chain, rollup);
        assert_eq!(
            format!("0x{}", hex::encode(client.vk_hash().await.unwrap())),
            report["vk_hash"].as_str().unwrap()
        );
        assert_eq!(
            zksettle_core::field::fr_to_decimal(&client.state_root().await.unwrap()),
            report["genesis_root"].as_str().unwrap()
        );
        assert_eq!(client.batch_number().await.unwrap(), 0);
    });

    // A wrong key is a clear error, not a panic.
    let bad = zksettle()
        .args(["l1", "deploy", "--tree.depth", "4", "--batch.chunks", "10"])
        .args(["--batch.fee-slots", "1"])
        .args(["--l1.rpc-url", anvil.url(), "--l1.private-key", "not-a-key"])
        .arg("--prover.keys-dir")
        .arg(keys.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("private-key"));

    // A shape whose batches cannot hold a deposit is refused by the contract, with its reason.
    let small = zksettle()
        .args(["l1", "deploy", "--tree.depth", "4", "--batch.chunks", "2"])
        .args(["--batch.fee-slots", "1", "--l1.rpc-url", anvil.url()])
        .env("ZKSETTLE_L1_PRIVATE_KEY", zksettle_l1::anvil::DEV_KEYS[0])
        .arg("--prover.keys-dir")
        .arg(keys.path())
        .output()
        .unwrap();
    assert!(!small.status.success());
    assert!(String::from_utf8_lossy(&small.stderr).contains("BadShape"));
}

#[test]
fn bench_load_sends_signed_transfers_that_the_node_accepts() {
    let keys = tempfile::tempdir().unwrap();
    // One transfer per `zks_sendTransaction`, then seven per `zks_sendTransactions`.
    for per_request in ["1", "7"] {
        let out = zksettle()
            .args([
                "bench",
                "load",
                "--senders",
                "6",
                "--transactions",
                "300",
                "--connections",
                "4",
                "--per-request",
                per_request,
                "--warmup",
                "60",
                "--tree.depth",
                "8",
                "--batch.chunks",
                "10",
            ])
            .arg("--prover.keys-dir")
            .arg(keys.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Every transfer is valid and in nonce order: all of them are accepted, none refused.
        assert!(
            stdout.contains(&format!(
                "load: 240 transfers (after 60 to warm up) from 4 submitters over Http, {per_request} per request"
            )),
            "{stdout}"
        );
        let accepted = stdout
            .lines()
            .find(|l| l.starts_with("accepted"))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap();
        assert_eq!(accepted, "240", "{stdout}");
        assert!(!stdout.contains("refused"), "{stdout}");
        assert!(stdout.contains("p99"), "{stdout}");
    }
}

#[test]
fn bench_msm_prints_both_implementations_which_agree() {
    // `compare` fails the run if zksettle's MSM differs from ark-ec's on the same points.
    let out = zksettle()
        .args(["bench", "msm", "--log-sizes", "8,11", "--g2", "true"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for row in [
        "G1 2^8 ",
        "G1 fixed 2^8 ",
        "G2 2^8 ",
        "G1 2^11",
        "G1 fixed 2^11",
        "G2 2^11",
    ] {
        assert!(text.contains(row), "{row} in {text}");
    }
    assert_eq!(text.matches("ratio").count(), 6, "{text}");
}

#[test]
fn bench_prove_proves_a_batch_both_ways_and_prints_the_ratio() {
    // `compare_prove` fails the run unless both proofs verify against the keys.
    let keys = tempfile::tempdir().unwrap();
    let out = zksettle()
        .args([
            "bench",
            "prove",
            "--tree.depth",
            "8",
            "--batch.chunks",
            "1,2",
        ])
        .arg("--prover.keys-dir")
        .arg(keys.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for row in ["B=1 ", "B=2 "] {
        let line = text.lines().find(|l| l.contains(row)).unwrap_or_default();
        for field in [
            "constraints",
            "ark_groth16",
            "zksettle",
            "ratio",
            "target 2.5x",
            "tables",
        ] {
            assert!(line.contains(field), "{field} in {line:?} of {text}");
        }
    }
}

#[test]
fn setup_ceremony_names_what_a_powers_of_tau_or_a_key_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let ptau = dir.path().join("small.ptau");
    let made = zksettle()
        .args(["setup", "ceremony", "dev-ptau", "--power", "3", "--out"])
        .arg(&ptau)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(String::from_utf8_lossy(&made.stderr).contains("INSECURE"));

    // The smallest batch shape needs a domain of 2^17 points.
    let new = zksettle()
        .args(["setup", "ceremony", "new", "--ptau"])
        .arg(&ptau)
        .args([
            "--tree.depth",
            "2",
            "--batch.chunks",
            "1",
            "--batch.fee-slots",
            "1",
        ])
        .arg("--out")
        .arg(dir.path().join("k0.zkey"))
        .output()
        .unwrap();
    assert!(!new.status.success());
    let stderr = String::from_utf8_lossy(&new.stderr);
    assert!(
        stderr.contains("2^17") && stderr.contains("goes to 2^3"),
        "{stderr}"
    );

    // A file that is not a key, offered to contribute to or to prove with.
    let contribute = zksettle()
        .args(["setup", "ceremony", "contribute", "--key"])
        .arg(&ptau)
        .arg("--out")
        .arg(dir.path().join("k1.zkey"))
        .output()
        .unwrap();
    assert!(!contribute.status.success());
    let stderr = String::from_utf8_lossy(&contribute.stderr);
    assert!(stderr.contains("not a .zkey file"), "{stderr}");
    let prove = zksettle()
        .args([
            "setup",
            "--tree.depth",
            "2",
            "--batch.chunks",
            "1",
            "--prover.zkey",
        ])
        .arg(&ptau)
        .output()
        .unwrap();
    assert!(!prove.status.success());
    let stderr = String::from_utf8_lossy(&prove.stderr);
    assert!(stderr.contains("not a .zkey file"), "{stderr}");
    assert!(!dir.path().join("k1.zkey").exists());
}
