//! The properties. Each takes arbitrary bytes; a panic is a finding.

use zksettle_core::pubdata::{decode_batch, encode_batch};
use zksettle_core::{BatchShape, SignedTx};
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
