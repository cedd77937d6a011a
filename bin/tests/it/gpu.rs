//! The GPU MSM from the command line: its benches on whatever adapter the machine has (Mesa's
//! software Vulkan in CI), and `--prover.msm` on a machine with no adapter at all.

use super::zksettle;
use std::process::Output;

/// The Vulkan loader's driver lists pointed at nothing: wgpu finds no adapter.
fn without_an_adapter(command: &mut std::process::Command) -> &mut std::process::Command {
    command
        .env("VK_ICD_FILENAMES", "/nonexistent/icd.json")
        .env("VK_DRIVER_FILES", "/nonexistent/icd.json")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bench_msm_on_the_gpu_names_the_adapter_and_prints_its_ratio_to_the_cpu() {
    // `compare_prepared` fails the run if the GPU's sum differs from the CPU's.
    let out = zksettle()
        .args(["bench", "msm", "--backend", "gpu", "--log-sizes", "8,12"])
        .args(["--repeat", "1"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("G1 MSM on "), "{stdout}");
    for row in ["G1 2^8 ", "G1 2^12"] {
        let line = stdout.lines().find(|l| l.contains(row)).unwrap_or_default();
        for field in ["CPU", "GPU", "ratio", "uploaded once"] {
            assert!(line.contains(field), "{field} in {line:?} of {stdout}");
        }
    }
}

fn bench_prove(device: &str, keys: &std::path::Path) -> std::process::Command {
    let mut command = zksettle();
    command
        .args(["bench", "prove", "--tree.depth", "8", "--batch.chunks", "1"])
        .args(["--repeat", "1", "--prover.table-memory-mib", "0"])
        .args(["--prover.msm", device])
        .arg("--prover.keys-dir")
        .arg(keys);
    command
}

#[test]
fn bench_prove_on_the_gpu_proves_the_batch_on_both_and_names_the_adapter() {
    // `compare_backends` fails the run unless both proofs verify, of one commitment.
    let keys = tempfile::tempdir().unwrap();
    let out = bench_prove("gpu", keys.path()).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.contains("B=1 "))
        .unwrap_or_default();
    for field in ["constraints", "CPU", "GPU", "ratio", "G1 MSMs on "] {
        assert!(line.contains(field), "{field} in {line:?} of {stdout}");
    }
    assert!(!line.contains("the CPU (auto"), "{line}");
}

#[test]
fn without_an_adapter_gpu_is_refused_with_the_reason_and_auto_proves_on_the_cpu() {
    let keys = tempfile::tempdir().unwrap();
    let out = without_an_adapter(&mut bench_prove("gpu", keys.path()))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("--prover.msm gpu: no GPU adapter"),
        "{stderr}"
    );
    assert!(stderr.contains("mesa-vulkan-drivers"), "{stderr}");

    let out = without_an_adapter(&mut bench_prove("auto", keys.path()))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("G1 MSMs on the CPU (auto found no hardware GPU)"),
        "{stdout}"
    );
}
