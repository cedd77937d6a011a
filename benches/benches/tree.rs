//! Leaf updates per second of the account tree (depth 24): updating 10,000 leaves at once, which
//! hashes each touched inner node once, against the same leaves one at a time (the reference),
//! in memory and on RocksDB (including the atomic commit).

// A bench fixture that fails has nothing to measure: stop loudly.
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use zksettle_benches::random_accounts;
use zksettle_core::tree::{AccountTree, MemoryStore, RocksStore};

const DEPTH: u8 = 24;
const UPDATES: u32 = 10_000;

fn populated() -> AccountTree<MemoryStore> {
    let mut tree = AccountTree::open(MemoryStore::new(), DEPTH).unwrap();
    tree.set_accounts(&random_accounts(100_000, DEPTH, 1))
        .unwrap();
    tree.commit().unwrap();
    tree
}

fn tree_updates(c: &mut Criterion) {
    let base = populated();
    let updates = random_accounts(UPDATES, DEPTH, 2);
    let mut group = c.benchmark_group("tree_10k_leaf_updates_depth24");
    group.sample_size(10);
    group.throughput(Throughput::Elements(u64::from(UPDATES)));
    group.bench_function("zksettle_bulk_memory", |b| {
        b.iter_batched(
            || AccountTree::open(base.store().clone(), DEPTH).unwrap(),
            |mut tree| tree.set_accounts(&updates).unwrap(),
            BatchSize::LargeInput,
        )
    });
    group.bench_function("reference_one_by_one_memory", |b| {
        b.iter_batched(
            || AccountTree::open(base.store().clone(), DEPTH).unwrap(),
            |mut tree| {
                for (index, account) in &updates {
                    tree.set_account(*index, *account).unwrap();
                }
                tree.root().unwrap()
            },
            BatchSize::LargeInput,
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let mut rocks = AccountTree::open(RocksStore::open(dir.path()).unwrap(), DEPTH).unwrap();
    rocks
        .set_accounts(&random_accounts(100_000, DEPTH, 1))
        .unwrap();
    rocks.commit().unwrap();
    let mut salt = 10;
    group.bench_function("zksettle_bulk_rocksdb_with_commit", |b| {
        b.iter_batched(
            || {
                salt += 1;
                random_accounts(UPDATES, DEPTH, salt)
            },
            |fresh| {
                rocks.set_accounts(&fresh).unwrap();
                rocks.commit().unwrap();
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, tree_updates);
criterion_main!(benches);
