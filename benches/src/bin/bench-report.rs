//! `cargo run --release -p zksettle-benches --bin bench-report`: one run of each headline figure
//! beside the reference it must beat, printed as a ratio (the criterion benches give the
//! distributions; this gives the README's table in one command).

use std::time::Instant;
use zksettle_benches::random_accounts;
use zksettle_core::poseidon::poseidon;
use zksettle_core::tree::{AccountTree, MemoryStore, RocksStore};
use zksettle_core::{Fr, PrivateKey};

const DEPTH: u8 = 24;
const POPULATION: u32 = 100_000;
const UPDATES: u32 = 10_000;

fn rate(count: u32, seconds: f64) -> f64 {
    f64::from(count) / seconds
}

fn main() -> eyre::Result<()> {
    let mut results = zksettle_benches::results::Results::new("bench-report");
    results.line(format!(
        "zksettle bench report ({} threads)",
        rayon::current_num_threads()
    ));

    let mut base = AccountTree::open(MemoryStore::new(), DEPTH)?;
    base.set_accounts(&random_accounts(POPULATION, DEPTH, 1))?;
    base.commit()?;
    let updates = random_accounts(UPDATES, DEPTH, 2);

    let mut bulk = AccountTree::open(base.store().clone(), DEPTH)?;
    let started = Instant::now();
    let bulk_root = bulk.set_accounts(&updates)?;
    let bulk_rate = rate(UPDATES, started.elapsed().as_secs_f64());

    let mut single = AccountTree::open(base.store().clone(), DEPTH)?;
    let started = Instant::now();
    for (index, account) in &updates {
        single.set_account(*index, *account)?;
    }
    let single_root = single.root()?;
    let single_rate = rate(UPDATES, started.elapsed().as_secs_f64());
    eyre::ensure!(
        bulk_root == single_root,
        "bulk and one-by-one updates disagree on the root"
    );
    results.line(format!(
        "tree leaf updates/s (10k updates, depth 24, memory): zksettle bulk {bulk_rate:.0}  reference one-by-one {single_rate:.0}  ratio {:.2}x",
        bulk_rate / single_rate
    ));

    let dir = tempfile::tempdir()?;
    let mut rocks = AccountTree::open(RocksStore::open(dir.path())?, DEPTH)?;
    rocks.set_accounts(&random_accounts(POPULATION, DEPTH, 1))?;
    rocks.commit()?;
    let started = Instant::now();
    rocks.set_accounts(&updates)?;
    rocks.commit()?;
    let rocks_rate = rate(UPDATES, started.elapsed().as_secs_f64());
    results.line(format!(
        "tree leaf updates/s (10k updates, depth 24, RocksDB incl. atomic commit): zksettle bulk {rocks_rate:.0}  reference one-by-one in memory {single_rate:.0}  ratio {:.2}x",
        rocks_rate / single_rate
    ));

    let inputs: Vec<Fr> = (0..2u64).map(Fr::from).collect();
    let hashes = 100_000u32;
    let started = Instant::now();
    let mut acc = Fr::from(0u64);
    for _ in 0..hashes {
        acc += poseidon(&inputs)?;
    }
    std::hint::black_box(acc);
    results.line(format!(
        "poseidon(2 inputs)/s, one core: {:.0}",
        rate(hashes, started.elapsed().as_secs_f64())
    ));

    let key = PrivateKey::from_bytes([1; 32]);
    let public = key.public_key();
    let signature = key.sign(Fr::from(42u64));
    let checks = 2_000u32;
    let started = Instant::now();
    for _ in 0..checks {
        public.verify(Fr::from(42u64), &signature)?;
    }
    results.line(format!(
        "eddsa-poseidon verifications/s, one core: {:.0}",
        rate(checks, started.elapsed().as_secs_f64())
    ));
    results.write()?;
    Ok(())
}
