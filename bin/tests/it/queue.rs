//! `zksettle node --prover.queue` with `zksettle prover worker` processes on a real PostgreSQL
//! server, against anvil: a worker SIGKILLed mid-proof, PostgreSQL restarted, and still every
//! batch proven by the others and settled exactly once.

use super::crash::{
    assert_settled_exactly_once, deploy_and_fund, free_port, send_round, Setup, DEADLINE,
    SHAPE_FLAGS, USERS,
};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use zksettle_prover_queue::JobQueue;
use zksettle_test_support::postgres::Postgres;

/// `zksettle prover worker` named `name` on one thread, with a 4-second lease; its log goes to
/// `worker-<name>.log`.
fn start_worker(setup: &Setup, url: &str, name: &str) -> Child {
    let log = std::fs::File::create(setup.dir.path().join(format!("worker-{name}.log"))).unwrap();
    Command::new(env!("CARGO_BIN_EXE_zksettle"))
        .args(["prover", "worker", "--queue", url, "--threads", "1"])
        .args(["--worker.name", name, "--worker.lease-seconds", "4"])
        .args(["--prover.table-memory-mib", "0"])
        .args(["--metrics.addr", &format!("127.0.0.1:{}", free_port())])
        .args(SHAPE_FLAGS)
        .arg("--prover.keys-dir")
        .arg(setup.keys_dir())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

fn worker_logs(setup: &Setup) -> String {
    ["doomed", "left", "right"]
        .iter()
        .map(|name| {
            let text = std::fs::read_to_string(setup.dir.path().join(format!("worker-{name}.log")))
                .unwrap_or_default();
            format!("--- worker {name} ---\n{text}")
        })
        .collect()
}

fn stop(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_on_a_postgres_queue_prove_every_batch_once_though_one_dies_mid_proof_and_postgres_restarts(
) {
    let mut postgres = Postgres::start();
    let url = postgres.new_database();
    let setup = deploy_and_fund().await;
    let node = setup.start_node_with(0, &["--prover.queue", &url]);
    node.wait_until("the deposits sealed", |s| s.priority_next == USERS as u64)
        .await;

    // The first worker claims the deposits' batch and is SIGKILLed while proving it.
    let queue = JobQueue::connect(&url).await.unwrap();
    let doomed = start_worker(&setup, &url, "doomed");
    let started = Instant::now();
    while queue.stats().await.unwrap().leased == 0 {
        assert!(started.elapsed() < DEADLINE, "no worker claimed a job");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop(doomed);
    // PostgreSQL restarts (on this, the test's, thread: the server's parent-death signal is
    // tied to it); the node's and the workers' connections come back by themselves.
    postgres.restart();

    let workers = [
        start_worker(&setup, &url, "left"),
        start_worker(&setup, &url, "right"),
    ];
    let mut acknowledged = Vec::new();
    for nonce in 0..2 {
        acknowledged.extend(send_round(&setup, &node, nonce).await);
    }
    let status = node
        .wait_until("everything settled", |s| {
            s.pending == 0 && s.settled == s.sealed && s.sealed >= 2
        })
        .await;
    let logs = format!("{}{}", setup.logs(), worker_logs(&setup));
    assert_settled_exactly_once(&setup, &node, &acknowledged, 2, &status, &logs).await;
    // The dead worker's job was reclaimed when its lease ran out, and every job was imported
    // (the node deletes a job once its proof is in the node's database).
    assert!(logs.contains("lease expired"), "{logs}");
    let stats = queue.stats().await.unwrap();
    assert_eq!(
        (stats.queued, stats.leased, stats.proven, stats.failed),
        (0, 0, 0, 0),
        "{logs}"
    );
    for worker in workers {
        stop(worker);
    }
    node.kill();
}
