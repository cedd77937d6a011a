//! The mutation set of the batch circuits: a valid witness changed in one place, each case
//! named for the native rule the change breaks. Shared by the R1CS circuit's tests
//! (`mutations.rs`) and the halo2 circuit's differential tests, which include this file, so
//! that both proof systems are held to the same cases.

use zksettle_circuits::BatchAssignment;
use zksettle_core::babyjubjub::SubgroupScalar;
use zksettle_core::op::PubdataOp;
use zksettle_core::pubdata::encode_batch;
use zksettle_core::{AccountIndex, BatchShape, Fr, Tx};
use zksettle_test_support::{addr, deposit, domain, forced_exit, key, native_transfer, World};

/// The native token.
pub(crate) const ETH: u32 = 0;

/// A change to a valid witness.
pub(crate) type Mutation = Box<dyn Fn(&mut BatchAssignment)>;

/// Depth 16, two fee slots, `chunks` chunks.
pub(crate) fn shape(chunks: usize) -> BatchShape {
    BatchShape {
        depth: 16,
        chunks,
        fee_slots: 2,
    }
}

/// A world whose accounts 1, 2 and 3 hold 1,000,000 of ether for participants 1, 2 and 9.
pub(crate) fn funded_world(chunks: usize) -> World {
    let mut w = World::new(shape(chunks));
    w.fund(
        [(1u32, 1u8), (2, 2), (3, 9)]
            .into_iter()
            .map(|(index, owner)| deposit(index, ETH, 1_000_000, owner))
            .collect(),
    );
    w
}

/// The witness of the world's next batch of `ops`.
pub(crate) fn assignment_of(
    w: &mut World,
    ops: Vec<zksettle_core::Op>,
    fee_recipients: &[u32],
) -> BatchAssignment {
    let recipients = fee_recipients.iter().map(|i| AccountIndex(*i)).collect();
    let applied = w.batch(ops, recipients);
    assert!(applied.rejected.is_empty(), "{:?}", applied.rejected);
    BatchAssignment::from_witness(w.shape(), domain(), &applied.witness).unwrap()
}

/// Re-encodes the pubdata from the chunks' ops (so a changed op changes its bytes too).
pub(crate) fn reencode(a: &mut BatchAssignment) {
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

/// A transfer of 500 (fee 10) from account 1 to account 2, fees to account 3, in five chunks:
/// room for the op-type change below to re-encode as a withdrawal.
pub(crate) fn base_transfer() -> BatchAssignment {
    let mut w = funded_world(5);
    assignment_of(&mut w, vec![native_transfer(1, 1, 2, 2, 500, 10, 0)], &[3])
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

/// Single changes to [`base_transfer`], each breaking one rule.
pub(crate) fn transfer_mutations() -> Vec<(&'static str, Mutation)> {
    vec![
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
    ]
}

/// Changed priority ops: a forced exit paying what the state does not allow, and a valid
/// deposit key declared locked.
pub(crate) fn priority_mutations() -> Vec<(&'static str, BatchAssignment)> {
    let mut w = funded_world(5);
    let mut exit = assignment_of(&mut w, vec![forced_exit(2, ETH, addr(3))], &[]);
    for chunk in exit.chunks.iter_mut() {
        let PubdataOp::ForcedExit { amount, .. } = &mut chunk.op else {
            panic!("a forced exit")
        };
        *amount = 1;
    }
    reencode(&mut exit);

    let mut w = World::new(shape(8));
    let mut locked = assignment_of(&mut w, vec![deposit(5, ETH, 10, 4)], &[]);
    assert!(locked.chunks[0].key_valid);
    for chunk in &mut locked.chunks {
        chunk.key_valid = false;
    }
    vec![
        ("a refused forced exit paid out", exit),
        ("a valid deposit key declared locked", locked),
    ]
}
