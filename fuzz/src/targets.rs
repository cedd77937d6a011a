//! The properties. Each takes arbitrary bytes; a panic is a finding.

use zksettle_core::pubdata::{decode_batch, encode_batch};
use zksettle_core::{BatchShape, SignedTx};
use zksettle_sequencer::node::NodeConfig;
use zksettle_sequencer::rpc::TxParam;
use zksettle_verifier::{BatchExport, SnarkjsKey, SnarkjsProof};

/// The signed-transaction codec: decodes or refuses; what it accepts re-encodes byte for byte.
pub fn signed_tx(data: &[u8]) {
    if let Ok(tx) = SignedTx::decode(data) {
        assert_eq!(
            tx.encode(),
            data,
            "a non-canonical transaction encoding was accepted"
        );
    }
}

/// Batch pubdata under a shape chosen by the first two bytes (depth 4..=24, 1..=64 chunks,
/// 0..=3 fee slots): decodes strictly or refuses; what it accepts re-encodes byte for byte,
/// except where unused fee slots (index 0) sit among the used ones: the circuit accepts an
/// unused slot anywhere and credits the used ones (distinct accounts) in slot order, so the
/// decoder keeps the used recipients in order and re-encoding packs them first. Same state
/// either way; compared as such.
pub fn pubdata(data: &[u8]) {
    let [depth, chunks, rest @ ..] = data else {
        return;
    };
    let shape = BatchShape {
        depth: 4 + depth % 21,
        chunks: 1 + usize::from(chunks % 64),
        fee_slots: usize::from(chunks >> 6),
    };
    if let Ok(decoded) = decode_batch(&shape, rest) {
        let again = encode_batch(&shape, &decoded.ops, &decoded.fee_recipients)
            .expect("what decoded fits its shape");
        let fee_area = shape.fee_slots * shape.index_bytes();
        let (ops, fees) = rest.split_at(rest.len() - fee_area);
        let (ops_again, fees_again) = again.split_at(again.len() - fee_area);
        assert_eq!(ops_again, ops, "non-canonical op records were accepted");
        let used = |fees: &[u8]| -> Vec<Vec<u8>> {
            fees.chunks(shape.index_bytes().max(1))
                .filter(|slot| slot.iter().any(|b| *b != 0))
                .map(<[u8]>::to_vec)
                .collect()
        };
        assert_eq!(used(fees_again), used(fees), "fee recipients changed");
    }
}

/// snarkjs JSON: a verification key, a proof, or public inputs (whichever parses); importing
/// refuses points off the curve or out of the subgroup and non-canonical numbers: what imports
/// exports back to the same values.
pub fn snarkjs(data: &[u8]) {
    if let Ok(key) = serde_json::from_slice::<SnarkjsKey>(data) {
        if let Ok(vk) = key.import() {
            assert_eq!(SnarkjsKey::export(&vk).import().unwrap(), vk);
        }
    }
    if let Ok(proof) = serde_json::from_slice::<SnarkjsProof>(data) {
        if let Ok(p) = proof.import() {
            assert_eq!(SnarkjsProof::export(&p).import().unwrap(), p);
        }
    }
    if let Ok(public) = serde_json::from_slice::<Vec<String>>(data) {
        if let Ok(values) = zksettle_verifier::snarkjs::import_public(&public) {
            let exported = zksettle_verifier::snarkjs::export_public(&values);
            assert_eq!(
                exported, public,
                "a non-canonical public input was accepted"
            );
        }
    }
}

/// A batch export file (`zksettle verify batch`): parses or refuses with a typed error.
pub fn batch_file(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = BatchExport::from_json(text);
    }
}

/// `submitBatch` calldata: decodes as the contract does or refuses; what it decodes is
/// bounded by the input (the pubdata is a slice of it).
pub fn submit_batch_calldata(data: &[u8]) {
    if let Ok(call) = zksettle_l1::decode_submit_batch(data) {
        assert!(call.pubdata.len() <= data.len());
    }
}

/// JSON-RPC transaction parameters (`zks_sendTransaction`'s one, `zks_sendTransactions`' array):
/// each a hex string of the binary encoding or the JSON object. Decodes or refuses with an
/// error; what it accepts is the transaction's one spelling, up to the text-level choices the
/// API documents (`0x` optional and either case in hex, JSON integers for amounts below 2^64,
/// whitespace and key order). Unknown fields, second spellings of numbers and duplicate keys
/// are refused.
pub fn rpc_params(data: &[u8]) {
    let params = match serde_json::from_slice::<Vec<TxParam>>(data) {
        Ok(list) => list,
        Err(_) => match serde_json::from_slice::<TxParam>(data) {
            Ok(one) => vec![one],
            Err(_) => return,
        },
    };
    let sent: serde_json::Value = serde_json::from_slice(data).unwrap();
    let sent = match sent {
        serde_json::Value::Array(list) => list,
        one => vec![one],
    };
    for (param, sent) in params.into_iter().zip(sent) {
        let Ok(tx) = param.into_signed() else {
            continue;
        };
        match sent {
            serde_json::Value::String(hex) => {
                let bytes = alloy::hex::decode(&hex).unwrap();
                assert_eq!(tx.encode(), bytes, "a non-canonical encoding was accepted");
            }
            object => assert_eq!(
                spelling(serde_json::to_value(tx).unwrap()),
                spelling(object),
                "a second JSON spelling of a transaction was accepted"
            ),
        }
    }
}

/// A JSON value with the API's documented text-level choices made one way: numbers as their
/// decimal strings, hex strings in lower case.
fn spelling(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Number(n) => Value::String(n.to_string()),
        Value::String(s) if s.starts_with("0x") => Value::String(s.to_ascii_lowercase()),
        Value::Array(list) => Value::Array(list.into_iter().map(spelling).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, spelling(v))).collect())
        }
        other => other,
    }
}

/// The node's TOML configuration (`zksettle node --config`): parses or refuses with a typed
/// error (unknown keys included); what it accepts writes back to a file that parses to the same
/// settings.
pub fn node_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = toml::from_str::<NodeConfig>(text) {
        let written = toml::to_string(&config).unwrap();
        assert_eq!(
            toml::from_str::<NodeConfig>(&written).unwrap(),
            config,
            "a configuration does not survive being written back"
        );
    }
}

/// Rollup event logs as the watcher and `verify chain` read them: the first byte gives the
/// number of topics (0–4), then 32 bytes per topic, then the data. A log decodes to a priority
/// operation or a verified batch, or to nothing; never a panic, and what decodes is the one
/// encoding of its event (the contract emits no other).
pub fn l1_logs(data: &[u8]) {
    use alloy::primitives::{LogData, B256};
    use alloy::sol_types::SolEvent;
    use zksettle_l1::bindings::Rollup;
    let Some(log) = framed_log(data) else {
        return;
    };
    let canonical = |encoded: LogData| {
        assert_eq!(encoded, log.data, "a non-canonical event log was accepted");
    };
    if zksettle_l1::priority_op_of_log(&log).is_some() {
        match Rollup::DepositQueued::decode_log(&log) {
            Ok(e) => canonical(e.data.encode_log_data()),
            Err(_) => canonical(
                Rollup::ForcedExitQueued::decode_log(&log)
                    .unwrap()
                    .data
                    .encode_log_data(),
            ),
        }
    }
    let mined = zksettle_l1::ChainLog {
        log: log.clone(),
        block_number: 1,
        tx_hash: B256::ZERO,
    };
    if zksettle_l1::verified_batch_of_log(&mined).is_some() {
        canonical(
            Rollup::BatchVerified::decode_log(&log)
                .unwrap()
                .data
                .encode_log_data(),
        );
    }
}

/// A log framed as [`l1_logs`] reads it: topic count (mod 5), topics, data.
pub fn framed_log(data: &[u8]) -> Option<alloy::primitives::Log> {
    use alloy::primitives::{Address, Log, LogData, B256};
    let (&count, rest) = data.split_first()?;
    let topics = usize::from(count % 5);
    if rest.len() < topics * 32 {
        return None;
    }
    let (topic_bytes, body) = rest.split_at(topics * 32);
    let topics: Vec<B256> = topic_bytes.chunks(32).map(B256::from_slice).collect();
    Some(Log {
        address: Address::ZERO,
        data: LogData::new_unchecked(topics, body.to_vec().into()),
    })
}
