//! A cheating prover: a valid witness changed in one place, given the public input that
//! matches it (as the prover would claim), must leave the circuit unsatisfied. Each case names
//! the native rule the change breaks.

use crate::support::*;
use zksettle_circuits::{BatchAssignment, BatchCircuit};
use zksettle_core::babyjubjub::SubgroupScalar;
use zksettle_core::op::PubdataOp;
use zksettle_core::pubdata::encode_batch;
use zksettle_core::{AccountIndex, Fr, Tx};

/// Re-encodes the pubdata from the chunks' ops (so a changed op changes its bytes too).
fn reencode(a: &mut BatchAssignment) {
    let ops: Vec<PubdataOp> = a
        .chunks
        .iter()
        .filter(|c| c.position == 0 && c.op != PubdataOp::Noop)
        .map(|c| c.op)
        .collect();
    let recipients: Vec<AccountIndex> = a
        .fees
        .iter()
        .map(|f| f.recipient)
        .filter(|r| r.0 != 0)
        .collect();
    a.pubdata = encode_batch(&a.shape, &ops, &recipients).unwrap();
}

/// Whether the tampered assignment, with its own commitment, still satisfies the circuit.
fn still_proves(mut a: BatchAssignment) -> bool {
    a.commitment = BatchCircuit::computed_commitment(&a).unwrap();
    check(a).0
}

fn base_transfer() -> (World, BatchAssignment) {
    // Five chunks: room for the op-type change below to re-encode as a withdrawal.
    let mut w = funded_world(5);
    let applied = w.batch(vec![transfer(1, 1, 2, 2, 500, 10, 0)], vec![3]);
    assert!(applied.rejected.is_empty());
    let a = assignment(&w, &applied);
    (w, a)
}

/// The signed transfer of chunk 0, re-signed by `signer` after `edit`.
fn resign(a: &mut BatchAssignment, signer: u8, edit: impl FnOnce(&mut zksettle_core::Transfer)) {
    let signed = a.chunks[0].signed.as_mut().unwrap();
    let Tx::Transfer(mut t) = signed.tx else {
        panic!("a transfer")
    };
    edit(&mut t);
    let tx = Tx::Transfer(t);
    let resigned = tx.sign(&key(signer), &domain());
    signed.message = tx.message(&domain());
    signed.tx = tx;
    signed.signature = resigned.signature;
}

#[test]
fn the_untampered_witness_proves() {
    let (_, a) = base_transfer();
    let expected = a.commitment;
    assert_eq!(BatchCircuit::computed_commitment(&a).unwrap(), expected);
    assert!(still_proves(a));
}

#[test]
fn every_single_change_to_a_transfer_is_rejected() {
    type Mutation = Box<dyn Fn(&mut BatchAssignment)>;
    let cases: Vec<(&str, Mutation)> = vec![
        (
            "signature S",
            Box::new(|a| {
                let s = &mut a.chunks[0].signed.as_mut().unwrap().signature.s;
                *s += SubgroupScalar::from(1u64);
            }),
        ),
        (
            "signature R8",
            Box::new(|a| {
                let sig = &mut a.chunks[0].signed.as_mut().unwrap().signature;
                sig.r8 = sig.r8.add(&zksettle_core::babyjubjub::Point::base8());
            }),
        ),
        (
            "nonce (re-signed by the owner)",
            Box::new(|a| resign(a, 1, |t| t.nonce = 1)),
        ),
        (
            "amount above the balance (re-signed)",
            Box::new(|a| {
                resign(a, 1, |t| t.amount = 2_000_000);
                if let PubdataOp::Transfer { amount, .. } = &mut a.chunks[0].op {
                    *amount = 2_000_000
                }
                reencode(a);
            }),
        ),
        (
            "amount in pubdata differs from the signed amount",
            Box::new(|a| {
                if let PubdataOp::Transfer { amount, .. } = &mut a.chunks[0].op {
                    *amount = 600
                }
                reencode(a);
            }),
        ),
        (
            "fee in pubdata differs from the signed fee",
            Box::new(|a| {
                if let PubdataOp::Transfer { fee, .. } = &mut a.chunks[0].op {
                    *fee = 0
                }
                reencode(a);
            }),
        ),
        (
            "fee credited to no slot",
            Box::new(|a| a.chunks[0].fee_slot = None),
        ),
        (
            "token the sender does not hold (re-signed)",
            Box::new(|a| resign(a, 1, |t| t.token = zksettle_core::TokenId(5))),
        ),
        ("signed by someone else", Box::new(|a| resign(a, 2, |_| {}))),
        (
            "recipient routed to another key's account",
            Box::new(|a| {
                if let PubdataOp::Transfer { to, .. } = &mut a.chunks[0].op {
                    *to = AccountIndex(3)
                }
                reencode(a);
            }),
        ),
        (
            "sender index bit",
            Box::new(|a| {
                if let PubdataOp::Transfer { from, .. } = &mut a.chunks[0].op {
                    from.0 ^= 2
                }
                reencode(a);
            }),
        ),
        (
            "sibling of the sender's path",
            Box::new(|a| {
                a.chunks[0].write_a.as_mut().unwrap().path.siblings[3][1] += Fr::from(1u64);
            }),
        ),
        (
            "sibling of the recipient's path",
            Box::new(|a| {
                a.chunks[0].write_b.as_mut().unwrap().path.siblings[0][2] += Fr::from(1u64);
            }),
        ),
        (
            "sender balance before",
            Box::new(|a| {
                a.chunks[0]
                    .write_a
                    .as_mut()
                    .unwrap()
                    .before
                    .as_mut()
                    .unwrap()
                    .balance += 1;
            }),
        ),
        (
            "sender nonce before",
            Box::new(|a| {
                a.chunks[0]
                    .write_a
                    .as_mut()
                    .unwrap()
                    .before
                    .as_mut()
                    .unwrap()
                    .nonce += 1;
            }),
        ),
        (
            "recipient balance before",
            Box::new(|a| {
                a.chunks[0]
                    .write_b
                    .as_mut()
                    .unwrap()
                    .before
                    .as_mut()
                    .unwrap()
                    .balance -= 1;
            }),
        ),
        ("old root", Box::new(|a| a.old_root += Fr::from(1u64))),
        (
            "pubdata byte of the transfer",
            Box::new(|a| a.pubdata[5] ^= 1),
        ),
        (
            "pubdata byte of a padding chunk",
            Box::new(|a| {
                let at = a.shape.chunk_bytes() + 3;
                a.pubdata[at] ^= 0x80;
            }),
        ),
        (
            "fee recipient",
            Box::new(|a| a.fees[0].recipient = AccountIndex(2)),
        ),
        (
            "op type",
            Box::new(|a| {
                let PubdataOp::Transfer {
                    from,
                    to: _,
                    amount,
                    fee,
                } = a.chunks[0].op
                else {
                    panic!()
                };
                a.chunks[0].op = PubdataOp::Withdraw {
                    from,
                    token: zksettle_core::TokenId(ETH),
                    amount,
                    fee,
                    to_l1_address: addr(1),
                };
                a.chunks[0].write_b = None;
                reencode(a);
            }),
        ),
    ];
    for (name, mutate) in cases {
        let (_, mut a) = base_transfer();
        mutate(&mut a);
        assert!(
            !still_proves(a),
            "{name}: the tampered witness still proves"
        );
    }
}

#[test]
fn changes_to_priority_ops_are_rejected() {
    // A forced exit must pay exactly what the state allows.
    let mut w = funded_world(5);
    let applied = w.batch(vec![forced_exit(2, 3)], vec![]);
    assert!(applied.rejected.is_empty());
    let mut a = assignment(&w, &applied);
    for chunk in a.chunks.iter_mut() {
        let PubdataOp::ForcedExit { amount, .. } = &mut chunk.op else {
            panic!("a forced exit")
        };
        *amount = 1;
    }
    reencode(&mut a);
    assert!(!still_proves(a), "a refused forced exit paid out");

    // A deposit key's validity is decided in-circuit.
    let mut w = World::new(8);
    let applied = w.batch(vec![deposit(5, ETH, 10, 4)], vec![]);
    assert!(applied.rejected.is_empty());
    let mut a = assignment(&w, &applied);
    assert!(a.chunks[0].key_valid);
    for chunk in &mut a.chunks {
        chunk.key_valid = false;
    }
    assert!(!still_proves(a), "a valid deposit key declared locked");
}
