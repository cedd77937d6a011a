//! `zksettle node` killed with SIGKILL while sealing, while proving and while its settlement
//! is on the way to L1, restarted each time on the same data directory, against anvil. It must
//! end where an uninterrupted run ends: every acknowledged transfer applied exactly once (each
//! sender's nonce counts them, balances add up), every batch proven and settled, and the
//! contract's root equal to the node's.

use alloy::primitives::{B256, U256};
use alloy::signers::local::PrivateKeySigner;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use serde_json::Value;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use zksettle_core::{AccountIndex, Domain, PrivateKey, TokenId, Transfer, Tx};
use zksettle_l1::anvil::{Anvil, DEV_KEYS};
use zksettle_l1::convert::l1_address;
use zksettle_l1::{Chain, RollupClient, RpcChain, RpcConfig};
use zksettle_sequencer::records::TxStatus;
use zksettle_sequencer::rpc::{StatusView, ZksApiClient};

/// A hang fails the test; nothing here asserts a duration.
pub(crate) const DEADLINE: Duration = Duration::from_secs(600);
pub(crate) const USERS: usize = 3;
const DEPOSIT_WEI: u128 = 1_000_000_000_000_000_000;
pub(crate) const SHAPE_FLAGS: [&str; 6] = [
    "--tree.depth",
    "8",
    "--batch.chunks",
    "10",
    "--batch.fee-slots",
    "1",
];

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn user(i: usize) -> PrivateKey {
    PrivateKey::from_bytes([i as u8 + 0x31; 32])
}

pub(crate) struct Setup {
    pub(crate) anvil: Anvil,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) rollup: String,
    pub(crate) deploy_block: u64,
    pub(crate) domain: Domain,
}

impl Setup {
    pub(crate) fn keys_dir(&self) -> PathBuf {
        self.dir.path().join("keys")
    }

    /// Starts the node on the shared data directory; its log goes to `node-<run>.log`.
    pub(crate) fn start_node(&self, run: usize) -> RunningNode {
        self.start_node_with(run, &[])
    }

    /// [`Setup::start_node`] with more flags.
    pub(crate) fn start_node_with(&self, run: usize, flags: &[&str]) -> RunningNode {
        self.start_node_on(run, self.anvil.url(), flags)
    }

    /// [`Setup::start_node_with`], reaching L1 at `l1_url`.
    pub(crate) fn start_node_on(&self, run: usize, l1_url: &str, flags: &[&str]) -> RunningNode {
        let binary = Command::new(env!("CARGO_BIN_EXE_zksettle"));
        self.launch_node(binary, run, l1_url, flags)
    }

    /// The data directory.
    pub(crate) fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Starts the node with `launcher`: the `zksettle` binary, or a command that ends by running
    /// the arguments appended to it (`unshare … sh -c '…; exec "$@"' … zksettle`).
    pub(crate) fn launch_node(
        &self,
        mut launcher: Command,
        run: usize,
        l1_url: &str,
        flags: &[&str],
    ) -> RunningNode {
        let config = self.dir.path().join("node.toml");
        std::fs::write(
            &config,
            // The full-disk test's filesystem is 32 MiB: keep 4 MiB free, not the default 512.
            "[batch]\nmax_wait_ms = 300\n[l1]\npoll_interval_ms = 100\n[prover]\nworkers = 1\n\
             [storage]\nmin_free_mib = 4\n",
        )
        .unwrap();
        let rpc_port = free_port();
        let metrics_port = free_port();
        let log = std::fs::File::create(self.dir.path().join(format!("node-{run}.log"))).unwrap();
        let child = launcher
            .arg("node")
            .arg("--config")
            .arg(&config)
            .arg("--datadir")
            .arg(self.data_dir())
            .args(["--rpc.addr", &format!("127.0.0.1:{rpc_port}")])
            .args(["--metrics.addr", &format!("127.0.0.1:{metrics_port}")])
            .args(["--l1.rollup", &self.rollup])
            .args(["--l1.deploy-block", &self.deploy_block.to_string()])
            .args(["--l1.follow-confirmations", "0"])
            .args(["--l1.rpc-url", l1_url])
            .args(["--l1.private-key", DEV_KEYS[0]])
            .args(SHAPE_FLAGS)
            .arg("--prover.keys-dir")
            .arg(self.keys_dir())
            .args(flags)
            .env("RUST_LOG", "zksettle_sequencer=debug")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        let url = format!("http://127.0.0.1:{rpc_port}");
        RunningNode {
            child,
            client: HttpClientBuilder::default().build(&url).unwrap(),
            metrics_url: format!("http://127.0.0.1:{metrics_port}/metrics"),
        }
    }

    pub(crate) fn logs(&self) -> String {
        let mut out = String::new();
        for run in 0..8 {
            if let Ok(text) =
                std::fs::read_to_string(self.dir.path().join(format!("node-{run}.log")))
            {
                out.push_str(&format!("--- node run {run} ---\n{text}"));
            }
        }
        out
    }
}

pub(crate) struct RunningNode {
    child: Child,
    pub(crate) client: HttpClient,
    /// The node's Prometheus endpoint.
    pub(crate) metrics_url: String,
}

impl RunningNode {
    /// The node's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown path runs.
    pub(crate) fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    pub(crate) async fn status(&self) -> Option<StatusView> {
        self.client.status().await.ok()
    }

    pub(crate) async fn wait_until(
        &self,
        what: &str,
        done: impl Fn(&StatusView) -> bool,
    ) -> StatusView {
        let started = Instant::now();
        loop {
            if let Some(status) = self.status().await {
                if done(&status) {
                    return status;
                }
            }
            assert!(started.elapsed() < DEADLINE, "node never reached: {what}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub(crate) async fn send(&self, signed: &zksettle_core::SignedTx) -> B256 {
        self.client
            .send_transaction((*signed).into())
            .await
            .unwrap()
    }
}

fn field(v: &Value, name: &str) -> u64 {
    v[name].as_u64().unwrap_or_else(|| panic!("{name} in {v}"))
}

pub(crate) async fn deploy_and_fund() -> Setup {
    deploy_and_fund_with(&[]).await
}

/// [`deploy_and_fund`] with more `l1 deploy` flags.
pub(crate) async fn deploy_and_fund_with(flags: &[&str]) -> Setup {
    let anvil = Anvil::start(31337).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_zksettle"))
        .args(["l1", "deploy", "--l1.rpc-url", anvil.url()])
        .args(["--l1.private-key", DEV_KEYS[0]])
        .args(SHAPE_FLAGS)
        .args(flags)
        .arg("--prover.keys-dir")
        .arg(dir.path().join("keys"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let deployed: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rollup = deployed["rollup"].as_str().unwrap().to_owned();
    let deploy_block = field(&deployed, "block");
    let depositor = depositor();
    let chain = RpcChain::connect(anvil.url(), depositor.clone(), RpcConfig::default())
        .await
        .unwrap();
    let domain = Domain {
        chain_id: chain.chain_id(),
        rollup: l1_address(rollup.parse().unwrap()),
    };
    let from_depositor = RollupClient::new(chain, rollup.parse().unwrap());
    for i in 0..USERS {
        from_depositor
            .deposit_eth(
                &user(i).public_key().0,
                l1_address(depositor.address()),
                U256::from(DEPOSIT_WEI),
            )
            .await
            .unwrap();
    }
    Setup {
        anvil,
        dir,
        rollup,
        deploy_block,
        domain,
    }
}

/// The L1 account that funds every user.
fn depositor() -> PrivateKeySigner {
    DEV_KEYS[1].parse().unwrap()
}

/// Transfer `nonce` of user `i` (account `i + 1`) to the next user.
pub(crate) fn transfer(setup: &Setup, i: usize, nonce: u32) -> zksettle_core::SignedTx {
    Tx::Transfer(Transfer {
        from: AccountIndex(i as u32 + 1),
        token: TokenId(0),
        amount: amount(i, nonce),
        fee: 0,
        nonce,
        to: user((i + 1) % USERS).public_key(),
        // Every user's account was opened by the depositor's deposit.
        to_l1_address: l1_address(depositor().address()),
    })
    .sign(&user(i), &setup.domain)
}

fn amount(i: usize, nonce: u32) -> u128 {
    1_000 * (i as u128 + 1) + u128::from(nonce)
}

pub(crate) async fn send_round(setup: &Setup, node: &RunningNode, nonce: u32) -> Vec<B256> {
    let mut hashes = Vec::new();
    for i in 0..USERS {
        hashes.push(node.send(&transfer(setup, i, nonce)).await);
    }
    hashes
}

/// Every acknowledged transfer settled, each user's nonce and balance those of `rounds` rounds
/// applied exactly once, and the contract's batch count and root the node's.
pub(crate) async fn assert_settled_exactly_once(
    setup: &Setup,
    node: &RunningNode,
    acknowledged: &[B256],
    rounds: u32,
    status: &StatusView,
    logs: &str,
) {
    for hash in acknowledged {
        let view = node.client.get_transaction(*hash).await.unwrap();
        assert!(
            matches!(view.status, TxStatus::Settled { .. }),
            "{hash} was acknowledged: {view:?}\n{logs}"
        );
    }
    for i in 0..USERS {
        let view = node.client.get_account(i as u32 + 1).await.unwrap();
        let previous = (i + USERS - 1) % USERS;
        let sent: u128 = (0..rounds).map(|n| amount(i, n)).sum();
        let received: u128 = (0..rounds).map(|n| amount(previous, n)).sum();
        assert_eq!(view.account.nonce, rounds, "{view:?}\n{logs}");
        assert_eq!(
            view.account.balance,
            DEPOSIT_WEI - sent + received,
            "{view:?}\n{logs}"
        );
    }
    let chain = RpcChain::connect(
        setup.anvil.url(),
        DEV_KEYS[2].parse().unwrap(),
        RpcConfig::default(),
    )
    .await
    .unwrap();
    let contract = RollupClient::new(chain, setup.rollup.parse().unwrap());
    assert_eq!(contract.batch_number().await.unwrap(), status.settled);
    assert_eq!(
        zksettle_core::field::fr_to_decimal(&contract.state_root().await.unwrap()),
        status.root,
        "{logs}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_killed_while_sealing_proving_and_settling_ends_as_an_uninterrupted_run() {
    let setup = deploy_and_fund().await;
    let mut acknowledged = Vec::new();

    // Run 0: the deposits open accounts 1..=3; two rounds of transfers are acknowledged
    // (durable), then the node dies while the batcher is about to seal or sealing them.
    let node = setup.start_node(0);
    node.wait_until("the deposits sealed", |s| s.priority_next == USERS as u64)
        .await;
    for nonce in 0..2 {
        acknowledged.extend(send_round(&setup, &node, nonce).await);
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    node.kill();

    // Run 1: killed while a sealed batch is being proven.
    let node = setup.start_node(1);
    node.wait_until("a batch being proven", |s| s.sealed > s.proven)
        .await;
    node.kill();

    // Run 2: killed once a proof exists that L1 has not yet verified (the settlement is
    // being sent, or about to be).
    let node = setup.start_node(2);
    node.wait_until("a proof not yet settled", |s| s.proven > s.settled)
        .await;
    node.kill();

    // Run 3: more transfers, then everything settles.
    let node = setup.start_node(3);
    node.wait_until("serving", |_| true).await;
    for nonce in 2..4 {
        acknowledged.extend(send_round(&setup, &node, nonce).await);
    }
    let status = node
        .wait_until("everything settled", |s| {
            s.pending == 0 && s.settled == s.sealed && s.sealed > 0
        })
        .await;

    assert_settled_exactly_once(&setup, &node, &acknowledged, 4, &status, &setup.logs()).await;
    node.kill();
    // The ecosystem's tools take a settled batch as it was proven: its witness from the node's
    // records, checked by snarkjs against the exported circuit.
    crate::snarkjs_checks_a_batch_witness_from_the_node(
        setup.dir.path(),
        &setup.dir.path().join("data"),
        status.settled,
    );
    // An auditor, trusting no node, rebuilds and checks all of it from anvil.
    crate::audit::audit_with_the_cli(
        setup.dir.path(),
        &SHAPE_FLAGS,
        &setup.keys_dir(),
        setup.anvil.url(),
        &setup.rollup,
        setup.deploy_block,
        (status.root.as_str(), status.settled, USERS),
    );
}
