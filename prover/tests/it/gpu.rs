//! `--prover.msm` placement with the `gpu` feature: `gpu` takes any adapter (lavapipe in CI),
//! `auto` only a hardware one, and a prover placed on the GPU keeps only G2's table.

use super::prove::{domain, keys};
use zksettle_prover::backend::place;
use zksettle_prover::gpu::GpuDevice;
use zksettle_prover::{BatchProver, MsmDevice, MsmPlacement};

fn prover() -> BatchProver {
    BatchProver::new(keys().1.clone(), domain()).unwrap()
}

#[test]
fn auto_takes_only_a_hardware_gpu_and_gpu_takes_any_adapter() {
    let adapter = GpuDevice::open().expect("the test command installs lavapipe");
    let (_, auto) = place(prover(), MsmDevice::Auto).unwrap();
    if adapter.kind().is_hardware() {
        assert!(auto.is_gpu(), "{auto}");
    } else {
        let MsmPlacement::Cpu {
            reason: Some(reason),
        } = &auto
        else {
            panic!("auto on a software adapter: {auto}");
        };
        assert!(reason.contains("software"), "{reason}");
    }
    let (cpu, placement) = place(prover(), MsmDevice::Cpu).unwrap();
    assert_eq!(placement, MsmPlacement::Cpu { reason: None });
    assert!(cpu.key_msm().is_none());
    let (gpu, placement) = place(prover(), MsmDevice::Gpu).unwrap();
    assert!(placement.is_gpu(), "{placement}");
    assert!(gpu.key_msm().is_some());
}

#[test]
fn a_prover_placed_on_the_gpu_builds_only_g2s_fixed_base_table() {
    // Proving on the GPU is the settlement tests' (`tests/it/settlement/gpu.rs`): the proof
    // verifies on the contract.
    let (gpu, _) = place(prover(), MsmDevice::Gpu).unwrap();
    // The G1 queries are on the device: their tables would never be read.
    let tables = gpu.build_tables(1 << 30).unwrap();
    assert!(
        tables.a.is_none() && tables.b_g1.is_none() && tables.l.is_none() && tables.h.is_none()
    );
    assert_eq!(tables.queries(), usize::from(tables.b_g2.is_some()));
}
