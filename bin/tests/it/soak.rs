//! `zksettle node` under steady load for a bounded time (60 s in CI; `ZKSETTLE_SOAK_SECONDS`
//! for a longer run), its resources sampled from `/health` every few seconds: resident memory
//! stays under the documented ceiling, open files stay bounded, and every acknowledged
//! transfer settles. Prints the samples' summary (the README's Reliability table quotes it).

use crate::crash::{assert_settled_exactly_once, deploy_and_fund, send_round, USERS};
use std::time::{Duration, Instant};
use zksettle_sequencer::node::ResourcesView;
use zksettle_sequencer::rpc::ZksApiClient;

/// The resident-memory ceiling of this test's node (depth 8, 10 chunks, one proof at a time,
/// tables within the default 1 GiB budget), documented in the README.
const RESIDENT_CEILING_BYTES: u64 = 2 << 30;
/// Open files (sockets included) the node may hold under this load.
const OPEN_FILES_CEILING: u64 = 512;

fn soak_seconds() -> u64 {
    std::env::var("ZKSETTLE_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_under_steady_load_stays_within_its_memory_and_file_ceilings_and_settles_everything()
{
    let setup = deploy_and_fund().await;
    let node = setup.start_node(0);
    node.wait_until("the deposits settled", |s| {
        s.priority_next == USERS as u64 && s.settled == s.sealed && s.sealed > 0
    })
    .await;

    let soak = Duration::from_secs(soak_seconds());
    let started = Instant::now();
    let mut acknowledged = Vec::new();
    let mut samples: Vec<ResourcesView> = Vec::new();
    let mut rounds = 0;
    // A transfer from each user every 5 s: below what one proof worker settles here (about a
    // batch of two transfers every 2.5 s), so the load is steady rather than a growing backlog.
    while started.elapsed() < soak {
        acknowledged.extend(send_round(&setup, &node, rounds).await);
        rounds += 1;
        samples.push(node.client.health().await.unwrap().resources);
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
    let status = node
        .wait_until("everything settled", |s| {
            s.pending == 0 && s.settled == s.sealed
        })
        .await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    samples.push(node.client.health().await.unwrap().resources);

    let most = |f: fn(&ResourcesView) -> Option<u64>| samples.iter().filter_map(f).max();
    let peak = most(|r| r.peak_resident_bytes).expect("memory sampled");
    let files = most(|r| r.open_files).expect("open files sampled");
    let database = samples.last().and_then(|r| r.database_bytes).unwrap();
    eprintln!(
        "soak: {} s, {} transfers in {} batches; resident at most {} MiB (peak {} MiB, \
         ceiling {} MiB), open files at most {files}, database {} MiB",
        soak.as_secs(),
        acknowledged.len(),
        status.settled,
        most(|r| r.resident_bytes).unwrap_or(0) >> 20,
        peak >> 20,
        RESIDENT_CEILING_BYTES >> 20,
        database >> 20
    );
    let logs = setup.logs();
    assert!(peak < RESIDENT_CEILING_BYTES, "{samples:?}");
    assert!(files < OPEN_FILES_CEILING, "{samples:?}");
    assert_settled_exactly_once(&setup, &node, &acknowledged, rounds, &status, &logs).await;
    node.kill();
}
