//! The node's WebSocket subscriptions under load that does not play along: a thousand idle
//! connections, and a subscriber that stops reading its socket. Admission, sealing, proving
//! and settlement go on; the slow subscriber is dropped (and counted in `/health`); a
//! well-behaved subscriber sees every status of its transaction, in order.

use crate::node::{account, lifecycle_stage, start_embedded_serving, transfer, wait_for};
use crate::settlement::l2::user;
use alloy::primitives::U256;
use jsonrpsee::core::client::Subscription;
use jsonrpsee::ws_client::WsClientBuilder;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use zksettle_l1::convert::l1_address;
use zksettle_l1::{Chain, RollupClient};
use zksettle_sequencer::node::config::RpcConfig;
use zksettle_sequencer::records::TxStatus;
use zksettle_sequencer::rpc::{HealthView, TxView, ZksApiClient, ZksPubSubApiClient};

/// Idle WebSocket connections held open through the test.
const IDLE_CONNECTIONS: usize = 1000;
/// Batch subscriptions the slow subscriber opens on its one connection.
const SLOW_SUBSCRIPTIONS: usize = 200;
/// Transfers sent at most before the slow subscriber must have been dropped.
const MOST_TRANSFERS: u32 = 12;

/// Opens a WebSocket connection on `stream` (the RFC 6455 handshake), leaving it idle.
async fn handshake(mut stream: TcpStream, host: &str) -> TcpStream {
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).await.unwrap();
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    stream
}

/// A masked client text frame (RFC 6455 §5.2; the zero mask key leaves the payload as is).
fn text_frame(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x81];
    match payload.len() {
        n if n < 126 => frame.push(0x80 | n as u8),
        n => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
    }
    frame.extend_from_slice(&[0; 4]);
    frame.extend_from_slice(payload);
    frame
}

/// Reads one unmasked server frame's payload.
async fn read_frame(stream: &mut TcpStream) -> Vec<u8> {
    let mut head = [0u8; 2];
    stream.read_exact(&mut head).await.unwrap();
    let len = match head[1] & 0x7f {
        126 => u64::from(stream.read_u16().await.unwrap()),
        127 => stream.read_u64().await.unwrap(),
        n => u64::from(n),
    };
    let mut payload = vec![0u8; len as usize];
    stream.read_exact(&mut payload).await.unwrap();
    payload
}

/// A client that subscribes to batch notes many times over on one connection, reads the
/// answers to its subscriptions, and then never reads again.
async fn slow_subscriber(host: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    // A small receive window, so that the node's queue for it fills after a few notes.
    socket.set_recv_buffer_size(4096).unwrap();
    let stream = socket.connect(host.parse().unwrap()).await.unwrap();
    let mut stream = handshake(stream, host).await;
    let mut requests = Vec::new();
    for id in 0..SLOW_SUBSCRIPTIONS {
        let call = format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"zks_subscribeBatches"}}"#);
        requests.extend(text_frame(call.as_bytes()));
    }
    stream.write_all(&requests).await.unwrap();
    for _ in 0..SLOW_SUBSCRIPTIONS {
        let answer: serde_json::Value =
            serde_json::from_slice(&read_frame(&mut stream).await).expect("a JSON-RPC answer");
        assert!(!answer["result"].is_null(), "{answer}");
    }
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_that_stops_reading_is_dropped_while_idle_connections_and_readers_carry_on() {
    let rpc = RpcConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        message_buffer: std::num::NonZeroU32::new(16).unwrap(),
        ..Default::default()
    };
    let n = start_embedded_serving(rpc).await;
    let host = n.url.trim_start_matches("http://").to_owned();
    let alice_l1 = l1_address(n.alice.sender());
    RollupClient::new(n.alice.clone(), n.rollup)
        .deposit_eth(&user(1).public_key().0, alice_l1, U256::from(1_000_000u64))
        .await
        .unwrap();
    wait_for("Alice's deposit", async || {
        account(&n.client, 1).await.is_some()
    })
    .await;

    let mut idle = Vec::with_capacity(IDLE_CONNECTIONS);
    for _ in 0..IDLE_CONNECTIONS {
        let stream = TcpStream::connect(&host).await.unwrap();
        idle.push(handshake(stream, &host).await);
    }
    let _slow = slow_subscriber(&host).await;
    let ws = WsClientBuilder::default()
        .build(format!("ws://{host}"))
        .await
        .unwrap();

    // Alice pays Bob, one transfer per batch, until the node has dropped the slow subscriber;
    // each transfer is followed over WebSocket from before it was sent.
    let bob = (&user(2), l1_address(n.bob.sender()));
    let mut nonce = 0;
    loop {
        let tx = transfer(1, 1, bob, 10, 0, nonce, &n.domain);
        let mut notes: Subscription<Option<TxView>> =
            ws.subscribe_transaction(tx.hash().into()).await.unwrap();
        let hash = n.client.send_transaction(tx.into()).await.unwrap();
        assert_eq!(hash.0, tx.hash());
        let mut seen = Vec::new();
        loop {
            let note = tokio::time::timeout(Duration::from_secs(600), notes.next())
                .await
                .expect("a transaction note")
                .expect("open until final")
                .unwrap();
            seen.push(note.as_ref().map(|v| lifecycle_stage(&v.status)));
            if note.is_some_and(|v| matches!(v.status, TxStatus::Settled { .. })) {
                break;
            }
        }
        // Unknown when subscribed, then pending, included, proven and settled.
        assert_eq!(seen, [None, Some(0), Some(1), Some(2), Some(3)]);
        nonce += 1;
        let health: HealthView = n.client.health().await.unwrap();
        if health.subscriptions.dropped_slow > 0 {
            break;
        }
        assert!(
            nonce < MOST_TRANSFERS,
            "the slow subscriber was never dropped: {health:?}"
        );
    }
    assert_eq!(account(&n.client, 1).await.unwrap().account.nonce, nonce);
    // Every idle connection is still served: one of them asks for the node's health.
    let mut last = idle.pop().unwrap();
    last.write_all(&text_frame(
        br#"{"jsonrpc":"2.0","id":1,"method":"zks_health"}"#,
    ))
    .await
    .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(&read_frame(&mut last).await).unwrap();
    assert_eq!(answer["result"]["status"], "ok", "{answer}");
    n.handle.shutdown().await.unwrap();
}
