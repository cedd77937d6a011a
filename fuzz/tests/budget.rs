//! Every fuzz target over its seeds, every crash ever found (`fuzz/regressions/<target>/`), and
//! a fixed budget of deterministic mutations of the seeds: the CI share of the fuzzing.

// Test fixtures fail the test by panicking.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use zksettle_fuzz::mutate::{mutate, Rng};
use zksettle_fuzz::seeds::seeds;
use zksettle_fuzz::TARGETS;

/// Mutated inputs per target in the test command.
const BUDGET: usize = 300_000;

fn files(dir: &Path) -> Vec<Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect()
}

#[test]
fn every_seed_and_every_crash_found_so_far_passes_its_target() {
    let regressions = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    for (name, target) in TARGETS {
        let seeds = seeds(name);
        assert!(!seeds.is_empty(), "{name} has seeds");
        for input in seeds.iter().chain(&files(&regressions.join(name))) {
            target(input);
        }
    }
}

#[test]
fn a_fixed_budget_of_mutated_inputs_never_breaks_a_target() {
    for (i, (name, target)) in TARGETS.into_iter().enumerate() {
        let seeds = seeds(name);
        let mut rng = Rng::new(0x5eed + i as u64);
        let mut input = seeds[0].clone();
        for round in 0..BUDGET {
            // Mostly grow from the last input, sometimes restart from a seed.
            if round % 16 == 0 {
                input = seeds[rng.below(seeds.len())].clone();
            }
            input = mutate(&mut rng, &input, &seeds);
            let outcome = std::panic::catch_unwind(|| target(&input));
            assert!(
                outcome.is_ok(),
                "target {name} broke on input {} (hex); keep it in fuzz/regressions/{name}/",
                alloy::hex::encode(&input)
            );
        }
    }
}

/// Writes target `ZKSETTLE_FUZZ_TARGET`'s seeds into `ZKSETTLE_FUZZ_SEEDS` (AFL++'s initial
/// corpus; `scripts/fuzz.sh` runs it).
#[test]
#[ignore = "run by scripts/fuzz.sh"]
fn write_seeds() {
    let dir = std::env::var("ZKSETTLE_FUZZ_SEEDS").unwrap();
    let name = std::env::var("ZKSETTLE_FUZZ_TARGET").unwrap();
    let seeds = seeds(&name);
    assert!(!seeds.is_empty(), "no target {name}");
    for (i, seed) in seeds.iter().enumerate() {
        std::fs::write(Path::new(&dir).join(format!("seed-{i}")), seed).unwrap();
    }
}

#[test]
fn the_seeds_of_the_node_facing_targets_are_accepted_by_their_decoders() {
    for seed in seeds("node_config") {
        let text = std::str::from_utf8(&seed).unwrap();
        toml::from_str::<zksettle_sequencer::node::NodeConfig>(text).unwrap();
    }
    for seed in seeds("rpc_params") {
        let params: Vec<zksettle_sequencer::rpc::TxParam> = serde_json::from_slice(&seed)
            .unwrap_or_else(|_| vec![serde_json::from_slice(&seed).unwrap()]);
        for param in params {
            param.into_signed().unwrap();
        }
    }
    for seed in seeds("l1_logs") {
        let log = zksettle_fuzz::targets::framed_log(&seed).unwrap();
        let mined = zksettle_l1::ChainLog {
            log: log.clone(),
            block_number: 1,
            tx_hash: Default::default(),
        };
        assert!(
            zksettle_l1::priority_op_of_log(&log).is_some()
                || zksettle_l1::verified_batch_of_log(&mined).is_some()
        );
    }
}
