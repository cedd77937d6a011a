//! Valid inputs each target starts from (the tests' mutations and AFL++'s initial corpus, which
//! `scripts/fuzz.sh` writes from these): made by the encoders, so they follow the code.

use alloy::primitives::{Bytes, U256};
use alloy::sol_types::SolCall;
use ark_ec::AffineRepr;
use zksettle_core::pubdata::encode_batch;
use zksettle_core::{
    AccountIndex, BatchShape, Domain, L1Address, PrivateKey, PubdataOp, SignedTx, TokenId,
    Transfer, Tx, Withdraw,
};
use zksettle_verifier::{SnarkjsKey, SnarkjsProof};

/// The seeds of target `name`.
pub fn seeds(name: &str) -> Vec<Vec<u8>> {
    match name {
        "signed_tx" => signed_txs(),
        "pubdata" => pubdata(),
        "snarkjs" => snarkjs(),
        "batch_file" => vec![
            format!(
                r#"{{"format":"{}"}}"#,
                zksettle_verifier::export::BATCH_FORMAT
            )
            .into_bytes(),
            b"{}".to_vec(),
        ],
        "submit_batch_calldata" => calldata(),
        "rpc_params" => rpc_params(),
        "node_config" => node_configs(),
        "l1_logs" => l1_logs(),
        _ => Vec::new(),
    }
}

fn signed_txs() -> Vec<Vec<u8>> {
    signed().iter().map(SignedTx::encode).collect()
}

fn signed() -> Vec<SignedTx> {
    let domain = Domain {
        chain_id: 31337,
        rollup: L1Address([7; 20]),
    };
    let key = PrivateKey::from_bytes([3; 32]);
    let transfer = Tx::Transfer(Transfer {
        from: AccountIndex(1),
        token: TokenId(0),
        amount: 1_000,
        fee: 10,
        nonce: 2,
        to: PrivateKey::from_bytes([4; 32]).public_key(),
        to_l1_address: L1Address([4; 20]),
    });
    let withdraw = Tx::Withdraw(Withdraw {
        from: AccountIndex(1),
        token: TokenId(0),
        amount: 500,
        fee: 0,
        nonce: 3,
        to_l1_address: L1Address([5; 20]),
    });
    [transfer, withdraw]
        .into_iter()
        .map(|tx| tx.sign(&key, &domain))
        .collect()
}

/// Each transaction as JSON and as hex, alone and as a `zks_sendTransactions` array.
fn rpc_params() -> Vec<Vec<u8>> {
    let params: Vec<serde_json::Value> = signed()
        .iter()
        .flat_map(|tx| {
            [
                serde_json::to_value(tx).unwrap(),
                serde_json::Value::String(alloy::hex::encode_prefixed(tx.encode())),
            ]
        })
        .collect();
    let mut seeds: Vec<Vec<u8>> = params
        .iter()
        .map(|p| serde_json::to_vec(p).unwrap())
        .collect();
    seeds.push(serde_json::to_vec(&params).unwrap());
    seeds
}

/// The defaults written out, and a file that sets every optional key.
fn node_configs() -> Vec<Vec<u8>> {
    let every_key = r#"data_dir = "/var/lib/zksettle"
[rpc]
addr = "0.0.0.0:8545"
max_request_bytes = 1048576
max_connections = 64
max_subscriptions_per_connection = 8
message_buffer = 16
[metrics]
addr = "127.0.0.1:9100"
[batch]
max_wait_ms = 500
[l1]
confirmations = 12
poll_interval_ms = 4000
[prover]
workers = 2
memory_mib = 8192
msm = "cpu"
table_memory_mib = 0
table_dir = "keys"
queue = "postgres://prover@db/zksettle"
max_attempts = 3
[mempool]
global_pending = 1024
account_queued = 4
[storage]
min_free_mib = 0
"#;
    vec![
        toml::to_string(&zksettle_sequencer::node::NodeConfig::default())
            .unwrap()
            .into_bytes(),
        every_key.as_bytes().to_vec(),
    ]
}

/// The first two bytes pick the shape (see [`crate::targets::pubdata`]): here depth 8, 10
/// chunks, one fee slot.
fn pubdata() -> Vec<Vec<u8>> {
    let shape = BatchShape {
        depth: 8,
        chunks: 10,
        fee_slots: 1,
    };
    let ops = [
        PubdataOp::Transfer {
            from: AccountIndex(1),
            to: AccountIndex(2),
            amount: 1_000,
            fee: 10,
        },
        PubdataOp::Withdraw {
            from: AccountIndex(2),
            token: TokenId(0),
            amount: 500,
            fee: 0,
            to_l1_address: L1Address([5; 20]),
        },
    ];
    [&ops[..0], &ops[..1], &ops[..]]
        .into_iter()
        .filter_map(|ops| encode_batch(&shape, ops, &[AccountIndex(1)]).ok())
        .map(|bytes| [vec![4, 9 | (1 << 6)], bytes].concat())
        .collect()
}

fn snarkjs() -> Vec<Vec<u8>> {
    let g1 = ark_bn254::G1Affine::generator();
    let g2 = ark_bn254::G2Affine::generator();
    let vk = ark_groth16::VerifyingKey::<ark_bn254::Bn254> {
        alpha_g1: g1,
        beta_g2: g2,
        gamma_g2: g2,
        delta_g2: g2,
        gamma_abc_g1: vec![g1, g1],
    };
    let proof = ark_groth16::Proof::<ark_bn254::Bn254> {
        a: g1,
        b: g2,
        c: g1,
    };
    vec![
        serde_json::to_vec(&SnarkjsKey::export(&vk)).unwrap(),
        serde_json::to_vec(&SnarkjsProof::export(&proof)).unwrap(),
        br#"["1","21888242871839275222246405745257275088548364400416034343698204186575808495616"]"#
            .to_vec(),
    ]
}

fn calldata() -> Vec<Vec<u8>> {
    let call = zksettle_l1::bindings::Rollup::submitBatchCall {
        number: 3,
        newRoot: [9; 32].into(),
        pubdata: Bytes::from(vec![1, 2, 3, 4, 5]),
        proof: Bytes::from(vec![7; 256]),
    };
    vec![call.abi_encode()]
}

/// One log of each event the watcher and the auditor read, as the target frames them.
fn l1_logs() -> Vec<Vec<u8>> {
    use alloy::primitives::{Address, FixedBytes, B256};
    use alloy::sol_types::SolEvent;
    use zksettle_l1::bindings::Rollup;
    let frame = |log: alloy::primitives::LogData| {
        let mut bytes = vec![log.topics().len() as u8];
        for topic in log.topics() {
            bytes.extend_from_slice(topic.as_slice());
        }
        bytes.extend_from_slice(&log.data);
        bytes
    };
    vec![
        frame(
            Rollup::DepositQueued {
                serial: 7,
                token: 0,
                amount: 1_000,
                packedKey: FixedBytes([4; 32]),
                l1Address: Address::repeat_byte(5),
                expiry: 99,
            }
            .encode_log_data(),
        ),
        frame(
            Rollup::ForcedExitQueued {
                serial: 8,
                index: 3,
                token: 0,
                requester: Address::repeat_byte(6),
                expiry: 100,
            }
            .encode_log_data(),
        ),
        frame(
            Rollup::BatchVerified {
                number: 2,
                oldRoot: B256::repeat_byte(1),
                newRoot: B256::repeat_byte(2),
                commitment: U256::from(3),
                priorityHead: 4,
            }
            .encode_log_data(),
        ),
    ]
}
