//! The committed artifacts are what the pinned solc makes of the committed sources.

use std::path::Path;
use std::process::Command;

#[test]
fn committed_artifacts_match_a_fresh_compile() {
    // The running checkout (cargo sets this at run time), not the one compiled in.
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR").expect("run by cargo test");
    let dir = Path::new(&manifest);
    assert!(
        dir.join("node_modules/solc").exists(),
        "solc-js is not installed: run scripts/test.sh (or `npm ci` in l1-contracts)"
    );
    let out = Command::new("node")
        .arg("scripts/compile.mjs")
        .arg("--check")
        .current_dir(dir)
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
