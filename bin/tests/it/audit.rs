//! `zksettle verify` as an auditor runs it, on the chain the crash test settled: the verifying
//! key exported, the whole chain rebuilt from the anvil node and exported, one batch checked
//! alone (and refused once tampered), the chain rebuilt again from the export directory alone,
//! and an exit proof made from it.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn zksettle(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zksettle"))
        .args(args)
        .output()
        .unwrap()
}

fn succeeds(args: &[&str]) -> String {
    let out = zksettle(args);
    assert!(
        out.status.success(),
        "zksettle {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// Audits the rollup at `rollup` on `l1_url` (deployed at `from_block` with `shape_flags` and
/// the keys in `keys_dir`), whose contract holds `root` after `batches` batches.
pub(crate) fn audit_with_the_cli(
    dir: &Path,
    shape_flags: &[&str],
    keys_dir: &Path,
    l1_url: &str,
    rollup: &str,
    from_block: u64,
    (root, batches, accounts): (&str, u64, usize),
) {
    let vk = dir.join("verification_key.json");
    let export = dir.join("export");
    let accounts_file = dir.join("accounts.json");
    let mut args = vec![
        "prover",
        "export-vk",
        "--out",
        text(&vk),
        "--prover.keys-dir",
    ];
    args.push(text(keys_dir));
    args.extend(shape_flags);
    succeeds(&args);

    let from_block = from_block.to_string();
    let report: Value = serde_json::from_str(&succeeds(&[
        "verify",
        "chain",
        "--vk",
        text(&vk),
        "--l1.rpc-url",
        l1_url,
        "--l1.rollup",
        rollup,
        "--l1.from-block",
        &from_block,
        "--export",
        text(&export),
        "--accounts-out",
        text(&accounts_file),
    ]))
    .unwrap();
    assert_eq!(report["state_root"], root, "{report}");
    assert_eq!(report["batches"], batches, "{report}");
    assert_eq!(report["proofs"], batches, "{report}");
    assert_eq!(report["accounts"], accounts, "{report}");
    let exported: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&accounts_file).unwrap()).unwrap();
    assert_eq!(exported.len(), accounts);

    // One batch alone, and its snarkjs files.
    let batch = export.join("batches/00000001.json");
    let out = succeeds(&[
        "verify",
        "batch",
        "--vk",
        text(&vk),
        text(&batch),
        "--snarkjs-out",
        text(&dir.join("snarkjs")),
    ]);
    assert!(out.starts_with("batch 1 verifies"), "{out}");
    for file in ["verification_key.json", "proof.json", "public.json"] {
        assert!(dir.join("snarkjs").join(file).exists(), "{file}");
    }
    // Tampered: a precise reason and a failing exit status.
    let mut tampered: Value =
        serde_json::from_str(&std::fs::read_to_string(&batch).unwrap()).unwrap();
    tampered["new_root"] = "1".into();
    let tampered_file = dir.join("tampered.json");
    std::fs::write(&tampered_file, tampered.to_string()).unwrap();
    let out = zksettle(&["verify", "batch", "--vk", text(&vk), text(&tampered_file)]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("commitment mismatch"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The export directory alone rebuilds the same state, and gives exit proofs.
    let offline = ["--vk", text(&vk), "--from-dir", text(&export)];
    let again: Value =
        serde_json::from_str(&succeeds(&[&["verify", "chain"][..], &offline].concat())).unwrap();
    assert_eq!(again, report);
    let exit_file = dir.join("exit.json");
    let exit_proof =
        |index: &'static str| [&["verify", "exit-proof", "--index", index][..], &offline].concat();
    succeeds(&[exit_proof("1"), vec!["--out", text(&exit_file)]].concat());
    let exit: Value = serde_json::from_str(&std::fs::read_to_string(&exit_file).unwrap()).unwrap();
    assert_eq!(exit["root"], root);
    assert_eq!(exit["index"], 1);
    assert!(exit["calldata"].as_str().unwrap().starts_with("0x"));
    // An empty leaf has no exit proof.
    let out = zksettle(&exit_proof("200"));
    assert!(!out.status.success());
}
