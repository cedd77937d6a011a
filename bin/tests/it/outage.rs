//! `zksettle node` losing its base chain: anvil behind a loopback proxy that, while down, cuts
//! every open connection and drops every new one. Meanwhile the node admits, seals and proves,
//! backs off, and says so in `/health` and its metrics; when L1 is back it settles every batch
//! in order, each submitted once, and ends where an uninterrupted run ends.

use crate::crash::{assert_settled_exactly_once, deploy_and_fund, send_round, DEADLINE, USERS};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use zksettle_sequencer::rpc::{HealthStatus, HealthView, ZksApiClient};

/// A TCP proxy to one upstream that can be taken down and brought back.
struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
    listener: JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let connections = Arc::new(Mutex::new(Vec::<JoinHandle<()>>::new()));
        let (accepting, open) = (up.clone(), connections.clone());
        let listener = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if !accepting.load(Ordering::SeqCst) {
                    drop(client); // L1 is "down": the connection closes at once
                    continue;
                }
                open.lock().unwrap().push(tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                }));
            }
        });
        Proxy {
            addr,
            up,
            connections,
            listener,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Cuts every open connection and refuses new ones.
    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        for connection in self.connections.lock().unwrap().drain(..) {
            connection.abort();
        }
    }

    fn up(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.listener.abort();
        self.down();
    }
}

async fn health(node: &crate::crash::RunningNode) -> HealthView {
    node.client.health().await.unwrap()
}

async fn metrics(url: &str) -> String {
    alloy::transports::http::reqwest::get(url)
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The batch numbers of the node's `submitted` log lines, in order.
fn submissions(logs: &str) -> Vec<u64> {
    logs.lines()
        .filter(|line| line.contains("submitted"))
        .filter_map(|line| {
            let at = line.find("batch=")? + "batch=".len();
            let digits: String = line[at..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            digits.parse().ok()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_whose_base_chain_goes_away_keeps_admitting_and_settles_everything_once_it_returns()
{
    let setup = deploy_and_fund().await;
    let upstream: SocketAddr = setup
        .anvil
        .url()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let proxy = Proxy::start(upstream).await;
    let node = setup.start_node_on(0, &proxy.url(), &[]);
    let before = node
        .wait_until("the deposits settled", |s| {
            s.priority_next == USERS as u64 && s.settled == s.sealed && s.sealed > 0
        })
        .await;
    assert_eq!(health(&node).await.status, HealthStatus::Ok);

    // L1 goes away. Transfers are still acknowledged, sealed and proven.
    proxy.down();
    let mut acknowledged = Vec::new();
    for nonce in 0..2 {
        acknowledged.extend(send_round(&setup, &node, nonce).await);
    }
    let during = node
        .wait_until("the transfers sealed and proven without L1", |s| {
            s.pending == 0 && s.sealed > before.sealed && s.proven == s.sealed
        })
        .await;
    assert_eq!(during.settled, before.settled, "nothing settles without L1");
    let started = Instant::now();
    let degraded = loop {
        let health = health(&node).await;
        if health.status == HealthStatus::Degraded && health.l1.failures >= 3 {
            break health;
        }
        assert!(started.elapsed() < DEADLINE, "never degraded: {health:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!degraded.l1.reachable);
    assert!(degraded.l1.unreachable_since.is_some());
    assert!(degraded.l1.last_error.is_some(), "{degraded:?}");
    assert_eq!(degraded.unsettled, during.sealed - during.settled);
    let exported = metrics(&node.metrics_url).await;
    assert!(
        exported.lines().any(|l| l == "zksettle_l1_up 0"),
        "{exported}"
    );

    // L1 returns: everything settles, in order, each batch submitted once.
    proxy.up();
    let status = node
        .wait_until("everything settled after the outage", |s| {
            s.pending == 0 && s.settled == s.sealed && s.sealed == during.sealed
        })
        .await;
    assert_eq!(health(&node).await.status, HealthStatus::Ok);
    let logs = setup.logs();
    assert_settled_exactly_once(&setup, &node, &acknowledged, 2, &status, &logs).await;
    let submitted = submissions(&logs);
    let expected: Vec<u64> = (1..=status.settled).collect();
    assert_eq!(
        submitted, expected,
        "each batch submitted once, in order\n{logs}"
    );
    node.kill();
}
