//! Differential, refusal side (`differential.rs` and `agreement.rs` hold the acceptance side):
//! random ops, most of them invalid in one way each (a stranger's signature, a stale or future
//! nonce, another token, someone else's account key or exit address, a zero L1 address, a forced
//! exit by a non-owner, a deposit into another owner's account), against a funded world whose
//! accepted ops move it on. Each op the native state transition refuses is forced into a batch as
//! a cheating prover would: the op's pubdata and signature, the leaf writes it would make with the
//! broken rule skipped, every Merkle path and root consistent with those writes, the fee credited
//! to a fee slot, and the public input that matches (the one row reading it left out). The
//! circuit must leave every one unsatisfied. A stranger's forced exit, which the native
//! transition consumes paying nothing, is also forced to pay out the whole balance.
//!
//! A refusal whose writes leave the typed witness is counted, not forced: a debit below zero or
//! a credit past 2^128 − 1 would need a balance no [`Account`] holds (the cheater's value is then
//! a field element the circuit range-checks; `raw_mutations` shows every such variable is
//! bound), and an amount the pubdata format cannot pack has no bytes to put in the batch.

use crate::support::*;
use ark_relations::gr1cs::Matrix;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zksettle_circuits::{BatchAssignment, BatchCircuit, Fr};
use zksettle_core::stf::{
    apply_batch, BatchInput, BatchWitness, FeeWitness, LeafUpdate, OpWitness, SignedWitness,
};
use zksettle_core::tree::{AccountTree, MemoryStore};
use zksettle_core::{
    Account, AccountIndex, L1Address, Op, PubdataOp, PublicKey, TokenId, Transfer, Tx,
};

/// The fee recipient of every batch here (account 3, owner 9, holds ether).
const FEE_RECIPIENT: AccountIndex = AccountIndex(3);

/// A leaf write: index, before, after.
type Write = (AccountIndex, Option<Account>, Option<Account>);

/// What a cheating prover puts in a batch for `op`: its pubdata, its signature, its writes and
/// its fee, no rule checked. `None` when the writes leave the typed witness (see the module).
fn forced(tree: &AccountTree<MemoryStore>, op: &Op) -> Option<Forced> {
    let account = |i: AccountIndex| tree.account(i).unwrap();
    let (op, signed, writes, fee) = match *op {
        Op::Noop => return None,
        Op::Deposit(d) => {
            let before = account(d.to);
            let after = match before {
                None => Account::new(d.token, d.amount, PublicKey(d.public_key), d.l1_address),
                Some(a) => Account {
                    balance: a.balance.checked_add(d.amount)?,
                    ..a
                },
            };
            let op = PubdataOp::Deposit {
                to: d.to,
                token: d.token,
                amount: d.amount,
                public_key: d.public_key,
                l1_address: d.l1_address,
            };
            (op, None, vec![(d.to, before, Some(after))], 0)
        }
        Op::ForcedExit(f) => {
            let before = account(f.index);
            // The exit a thief would want: the whole balance, to the requester.
            let amount = before.map_or(0, |a| a.balance);
            let after = before.map(|a| Account { balance: 0, ..a });
            let op = PubdataOp::ForcedExit {
                index: f.index,
                token: f.token,
                amount,
                l1_address: f.requester,
            };
            (op, None, vec![(f.index, before, after)], 0)
        }
        Op::Transfer {
            to,
            transfer: t,
            signature,
        } => {
            let sender = account(t.from)?;
            let sender_after = debit(&sender, t.amount, t.fee)?;
            let receiver = if to == t.from {
                Some(sender_after)
            } else {
                account(to)
            };
            let (op, receiver_after) = match receiver {
                Some(r) => (
                    PubdataOp::Transfer {
                        from: t.from,
                        to,
                        amount: t.amount,
                        fee: t.fee,
                    },
                    Account {
                        balance: r.balance.checked_add(t.amount)?,
                        ..r
                    },
                ),
                None => (
                    PubdataOp::TransferToNew {
                        from: t.from,
                        to,
                        amount: t.amount,
                        fee: t.fee,
                        to_public_key: t.to,
                        to_l1_address: t.to_l1_address,
                    },
                    Account::new(sender.token, t.amount, t.to, t.to_l1_address),
                ),
            };
            let tx = Tx::Transfer(t);
            let writes = vec![
                (t.from, Some(sender), Some(sender_after)),
                (to, receiver, Some(receiver_after)),
            ];
            (op, Some(signed(tx, signature, &sender)), writes, t.fee)
        }
        Op::Withdraw {
            withdraw: w,
            signature,
        } => {
            let sender = account(w.from)?;
            let op = PubdataOp::Withdraw {
                from: w.from,
                token: w.token,
                amount: w.amount,
                fee: w.fee,
                to_l1_address: w.to_l1_address,
            };
            let writes = vec![(w.from, Some(sender), Some(debit(&sender, w.amount, w.fee)?))];
            (
                op,
                Some(signed(Tx::Withdraw(w), signature, &sender)),
                writes,
                w.fee,
            )
        }
    };
    Some(Forced {
        op,
        signed,
        writes,
        fee,
    })
}

/// A refused op as the cheater lays it out.
struct Forced {
    op: PubdataOp,
    signed: Option<SignedWitness>,
    writes: Vec<Write>,
    fee: u128,
}

fn tx_token(tx: &Tx) -> TokenId {
    match tx {
        Tx::Transfer(t) => t.token,
        Tx::Withdraw(w) => w.token,
    }
}

fn debit(sender: &Account, amount: u128, fee: u128) -> Option<Account> {
    Some(Account {
        balance: sender.balance.checked_sub(amount.checked_add(fee)?)?,
        nonce: sender.nonce.checked_add(1)?,
        ..*sender
    })
}

fn signed(tx: Tx, signature: zksettle_core::Signature, sender: &Account) -> SignedWitness {
    SignedWitness {
        tx,
        signature,
        public_key: sender.public_key,
        message: tx.message(&domain()),
    }
}

/// Writes one leaf, recording the path and the roots on either side.
fn write(tree: &mut AccountTree<MemoryStore>, (index, before, after): Write) -> LeafUpdate {
    let path = tree.merkle_path(index).unwrap();
    let root_before = tree.root().unwrap();
    let root_after = tree.set_account(index, after).unwrap();
    LeafUpdate {
        index,
        before,
        after,
        path,
        root_before,
        root_after,
    }
}

/// The cheater's batch of one forced op; `None` if its pubdata cannot be encoded. The tree is
/// left as it was. Its commitment is zero: the public input is left to [`Claim::Matching`].
fn cheating_witness(w: &mut World, forced: Forced) -> Option<BatchWitness> {
    let shape = w.shape();
    // As `apply_batch` with this recipient: its slot settled, with whatever the batch paid.
    let recipients = [FEE_RECIPIENT];
    let pubdata = zksettle_core::pubdata::encode_batch(&shape, &[forced.op], &recipients).ok()?;
    let snapshot = w.tree.snapshot();
    let old_root = w.tree.root().unwrap();
    let updates = forced
        .writes
        .into_iter()
        .map(|x| write(&mut w.tree, x))
        .collect();
    let fees = recipients
        .iter()
        .map(|&r| {
            let before = w.tree.account(r).unwrap();
            let after = before.map(|a| Account {
                balance: a.balance + forced.fee,
                ..a
            });
            FeeWitness {
                // The slot of the signed token (what the layout pairs the fee with).
                token: forced
                    .signed
                    .as_ref()
                    .map_or(TokenId(ETH), |s| tx_token(&s.tx)),
                total: forced.fee,
                update: write(&mut w.tree, (r, before, after)),
            }
        })
        .collect();
    let new_root = w.tree.root().unwrap();
    w.tree.restore(snapshot);
    let witness = BatchWitness {
        shape,
        number: w.next_batch,
        old_root,
        new_root,
        ops: vec![OpWitness {
            op: forced.op,
            chunk_offset: 0,
            signed: forced.signed,
            updates,
        }],
        fees,
        pubdata,
        commitment: 0u64.into(),
    };
    Some(witness)
}

/// Participants: index `i` (1–3) is owned by `OWNERS[i]`; 4–6 start empty.
const OWNERS: [u8; 4] = [0, 1, 2, 9];

/// Kinds of op [`random_op`] makes.
const KINDS: u32 = 14;

/// One op of kind `kind` (below [`KINDS`]), valid or broken in one way.
fn random_op(rng: &mut ChaCha20Rng, w: &World, kind: u32) -> Op {
    let from = rng.random_range(1..=3u32);
    let owner = OWNERS[from as usize];
    let nonce = w.nonce(from);
    let stranger = 20 + rng.random_range(0..3u8);
    let to = rng.random_range(1..=6u32);
    let recipient = if to <= 3 {
        OWNERS[to as usize]
    } else {
        10 + to as u8
    };
    let amount = [1u128, 250, 10_000][rng.random_range(0..3)];
    let fee = [0u128, 3][rng.random_range(0..2)];
    let signed_transfer = |signer: u8, edit: &dyn Fn(&mut Transfer)| {
        let mut t = Transfer {
            from: AccountIndex(from),
            token: TokenId(ETH),
            amount,
            fee,
            nonce,
            to: key(recipient).public_key(),
            to_l1_address: addr(recipient),
        };
        edit(&mut t);
        let signature = Tx::Transfer(t).sign(&key(signer), &domain()).signature;
        Op::Transfer {
            to: AccountIndex(to),
            transfer: t,
            signature,
        }
    };
    match kind {
        0 | 1 => signed_transfer(owner, &|_| {}),
        2 => signed_transfer(stranger, &|_| {}),
        3 => signed_transfer(owner, &|t| t.nonce += 1),
        4 => signed_transfer(owner, &|t| t.nonce = t.nonce.wrapping_sub(1)),
        5 => signed_transfer(owner, &|t| t.token = TokenId(1)),
        // Someone else's existing account, under the signer's idea of its key or exit address.
        6 => signed_transfer(owner, &|t| t.to = key(stranger).public_key()),
        7 => signed_transfer(owner, &|t| t.to_l1_address = addr(stranger)),
        8 => signed_transfer(owner, &|t| t.to_l1_address = L1Address::ZERO),
        9 => withdraw(owner, from, amount, fee, nonce),
        10 => withdraw(stranger, from, amount, fee, nonce),
        11 => forced_exit(
            rng.random_range(1..=6u32),
            [owner, stranger][rng.random_range(0..2)],
        ),
        12 => deposit(
            to,
            ETH,
            amount,
            [recipient, stranger][rng.random_range(0..2)],
        ),
        _ => zksettle_test_support::withdraw(owner, from, ETH, amount, fee, nonce, L1Address::ZERO),
    }
}

/// The shape's R1CS, synthesized once: checking an assignment is then the prover's witness
/// generation and one pass over the rows (a full synthesis per op would take seconds).
struct Circuit {
    matrices: Vec<Matrix<Fr>>,
    instance_variables: usize,
    /// The row `computed commitment = public input`.
    input_row: usize,
}

/// The public input an assignment is checked with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Claim {
    /// The assignment's own `commitment`.
    Stated,
    /// Whichever matches the witness (a cheating prover's claim).
    Matching,
}

impl Circuit {
    fn of(shape: zksettle_core::BatchShape) -> Self {
        let (matrices, instance_variables) = r1cs_matrices(shape);
        // The commitment (z_1) is read by one row, its equality with the computed one: leaving
        // that row out is the cheater choosing the public input that matches the witness.
        let input_rows: Vec<usize> = (0..matrices[0].len())
            .filter(|r| {
                matrices
                    .iter()
                    .any(|m| m[*r].iter().any(|(_, col)| *col == 1))
            })
            .collect();
        assert_eq!(input_rows.len(), 1, "the public input is read by one row");
        Circuit {
            input_row: input_rows[0],
            matrices,
            instance_variables,
        }
    }

    /// Whether every row `⟨a,z⟩·⟨b,z⟩ = ⟨c,z⟩` holds for the assignment's `z = (1, x, w)`;
    /// with [`Claim::Matching`], every row but the public input's.
    fn satisfied_by(&self, a: &BatchAssignment, claims: Claim) -> bool {
        let full = BatchCircuit {
            assignment: a.clone(),
        }
        .full_assignment()
        .unwrap();
        assert_eq!(full.instance.len(), self.instance_variables);
        let z: Vec<Fr> = full.instance.iter().chain(&full.witness).copied().collect();
        let dot = |row: &[(Fr, usize)]| -> Fr { row.iter().map(|(c, i)| *c * z[*i]).sum() };
        let [a, b, c] = &self.matrices[..] else {
            panic!("R1CS has three matrices")
        };
        (0..a.len())
            .filter(|r| claims == Claim::Stated || *r != self.input_row)
            .all(|r| dot(&a[r]) * dot(&b[r]) == dot(&c[r]))
    }
}

#[test]
fn every_op_the_native_transition_refuses_forced_into_a_batch_leaves_the_circuit_unsatisfied() {
    let mut rng = ChaCha20Rng::seed_from_u64(28);
    // Eight chunks: room for the largest op (a deposit).
    let mut w = funded_world(8);
    let circuit = Circuit::of(w.shape());
    let (mut accepted, mut refused, mut untyped) = (0u32, 0u32, 0u32);
    // Every kind once, then at random; `ZKSETTLE_DIFFERENTIAL_OPS` runs longer.
    let rounds = std::env::var("ZKSETTLE_DIFFERENTIAL_OPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3 * KINDS);
    for round in 0..rounds {
        let kind = if round < KINDS {
            round
        } else {
            rng.random_range(0..KINDS)
        };
        let op = random_op(&mut rng, &w, kind);
        let input = BatchInput {
            number: w.next_batch,
            ops: vec![op],
            fee_recipients: vec![FEE_RECIPIENT],
        };
        // The cheater's layout of the op, made before the native transition sees it.
        let cheat = forced(&w.tree, &op).and_then(|f| cheating_witness(&mut w, f));
        let config = w.config();
        let applied = apply_batch(&mut w.tree, &config, &input).unwrap();
        let layout = |witness: &BatchWitness| {
            BatchAssignment::from_witness(w.shape(), domain(), witness).unwrap()
        };
        if let Some(rejection) = applied.rejected.first() {
            let Some(cheat) = cheat else {
                untyped += 1;
                w.tree.discard();
                continue;
            };
            assert!(
                !circuit.satisfied_by(&layout(&cheat), Claim::Matching),
                "round {round}: the native transition refuses {op:?} ({rejection:?}), the \
                 circuit accepts the forced witness"
            );
            w.tree.discard();
            refused += 1;
        } else {
            let cheat = cheat.expect("an accepted op has a typed layout");
            let honest = &applied.witness;
            if cheat.ops == honest.ops {
                // The harness is faithful: skipping no rule, it lays out exactly what
                // `apply_batch` does (so a refusal above is the broken rule's, not the harness's).
                assert_eq!(
                    (&cheat.fees, &cheat.pubdata, cheat.new_root),
                    (&honest.fees, &honest.pubdata, honest.new_root),
                    "round {round}: {op:?}"
                );
            } else {
                // A forced exit is never refused: a stranger's is consumed paying nothing. The
                // cheater makes it pay out the whole balance instead.
                assert!(
                    matches!(op, Op::ForcedExit(_)),
                    "round {round}: the harness lays out {op:?} otherwise than apply_batch"
                );
                assert!(
                    !circuit.satisfied_by(&layout(&cheat), Claim::Matching),
                    "round {round}: {op:?} pays a stranger"
                );
                refused += 1;
            }
            // That the circuit proves what was accepted is `differential.rs`'s (a full check of
            // every row takes seconds); here the world moves on.
            w.tree.commit().unwrap();
            w.next_batch += 1;
            accepted += 1;
        }
    }
    eprintln!("accepted {accepted}, refused and forced {refused}, refused outside the typed witness {untyped}");
    assert!(
        accepted >= 4 && refused >= 12,
        "accepted {accepted}, refused {refused}"
    );
}
