//! `zksettle node` on a data directory that fills up: a small tmpfs mounted in a mount namespace
//! of the node's own (`unshare`, so the test needs no privileges beyond user namespaces), filled
//! to the last byte from outside through `/proc/<pid>/root`. The node must refuse transfers with
//! the storage error, lose none it acknowledged, and take transfers again once space returns.

use crate::crash::{deploy_and_fund, transfer, RunningNode, Setup, DEADLINE, USERS};
use jsonrpsee::core::client::Error as ClientError;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use zksettle_sequencer::records::TxStatus;
use zksettle_sequencer::rpc::{error as codes, ZksApiClient};

/// The data directory's filesystem: room for the node's database with a few batches, small
/// enough to fill in a moment.
const DISK_SIZE: &str = "32m";

/// A launcher that mounts a `DISK_SIZE` tmpfs on `data` in a new mount namespace (inside a new
/// user namespace, where the test is root) and runs the node there.
fn on_a_small_disk(data: &Path) -> Command {
    std::fs::create_dir_all(data).unwrap();
    let mut launcher = Command::new("unshare");
    launcher
        .args(["--user", "--map-root-user", "--mount", "sh", "-c"])
        .arg(format!(
            "mount -t tmpfs -o size={DISK_SIZE} zksettle-test-disk \"$0\" && exec \"$@\""
        ))
        .arg(data)
        .arg(env!("CARGO_BIN_EXE_zksettle"));
    launcher
}

/// Writes `path` until the filesystem has no byte left.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    for chunk in [1 << 20, 4096, 1] {
        let block = vec![0xa5u8; chunk];
        loop {
            match file.write_all(&block).and_then(|()| file.sync_data()) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC
                Err(e) => panic!("filling {}: {e}", path.display()),
            }
        }
    }
}

/// Sends user 0's transfer `nonce`: its hash, or the refusal's code and message.
async fn send(
    setup: &Setup,
    node: &RunningNode,
    nonce: u32,
) -> Result<alloy::primitives::B256, (i32, String)> {
    let tx = transfer(setup, 0, nonce);
    match node.client.send_transaction(tx.into()).await {
        Ok(hash) => Ok(hash),
        Err(ClientError::Call(e)) => Err((e.code(), e.message().to_owned())),
        Err(e) => panic!("transfer {nonce}: {e}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_whose_disk_fills_refuses_transfers_loses_none_and_recovers_when_space_returns() {
    let setup = deploy_and_fund().await;
    let data = setup.data_dir();
    let node = setup.launch_node(on_a_small_disk(&data), 0, setup.anvil.url(), &[]);
    node.wait_until("the deposits settled", |s| {
        s.priority_next == USERS as u64 && s.settled == s.sealed && s.sealed > 0
    })
    .await;
    let mount = PathBuf::from(format!("/proc/{}/root{}", node.pid(), data.display()));
    assert!(
        mount.join("CURRENT").exists(),
        "the node's database is on its own disk"
    );
    let filler = mount.join("filler");
    fill(&filler);

    // User 0 sends transfers until the node refuses one for want of space.
    let mut acknowledged = Vec::new();
    let mut nonce = 0;
    let refused = loop {
        match send(&setup, &node, nonce).await {
            Ok(hash) => {
                acknowledged.push(hash);
                nonce += 1;
            }
            Err(code) => break code,
        }
        assert!(nonce < 200, "a full disk never refused a transfer");
    };
    assert_eq!(refused.0, codes::STORAGE, "{refused:?}");
    assert!(refused.1.contains("min_free_mib"), "{refused:?}");
    assert!(node.status().await.is_some(), "the node still serves");

    // Space returns: the refused transfer is taken, and the next.
    std::fs::remove_file(&filler).unwrap();
    let started = Instant::now();
    loop {
        match send(&setup, &node, nonce).await {
            Ok(hash) => break acknowledged.push(hash),
            Err((codes::STORAGE, _)) => assert!(
                started.elapsed() < DEADLINE,
                "never took transfers again\n{}",
                setup.logs()
            ),
            Err(refused) => panic!("transfer {nonce}: {refused:?}\n{}", setup.logs()),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    nonce += 1;
    acknowledged.push(send(&setup, &node, nonce).await.unwrap());
    nonce += 1;

    let status = node
        .wait_until("everything settled", |s| {
            s.pending == 0 && s.settled == s.sealed
        })
        .await;
    let logs = setup.logs();
    for hash in &acknowledged {
        let view = node.client.get_transaction(*hash).await.unwrap();
        assert!(
            matches!(view.status, TxStatus::Settled { .. }),
            "{hash} was acknowledged: {view:?}\n{logs}"
        );
    }
    let sender = node.client.get_account(1).await.unwrap();
    assert_eq!(sender.account.nonce, nonce, "{logs}");
    assert_eq!(status.settled, status.sealed);
    node.kill();
}
