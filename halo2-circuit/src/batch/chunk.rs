//! One chunk: the state transition of the op that starts in it, or the continuation of an op
//! that started earlier — the statement of `zksettle_circuits`' `batch::chunk`, line for line
//! (its module docs give the rules per op type).
//!
//! Two layouts differ from the R1CS one without changing what is accepted. The signature is
//! checked by the EdDSA chip on `enable_sig ? A.key : O` and `enable_sig ? R8 : O`, as the R1CS
//! circuit checks those points on the curve only when a signature is verified. And the key
//! verdict (`l·key = O ∧ key.x ≠ 0`) has its own scalar multiplication instead of sharing one
//! with the signature.

use super::account::{apply_write, AccountCells};
use super::glue::Glue;
use super::op::{OpCells, DEPOSIT, FORCED_EXIT, NOOP, TRANSFER, TRANSFER_TO_NEW, WITHDRAW};
use crate::babyjubjub::{Operand, PointWords};
use crate::eddsa::{SignatureWords, SCALAR_BITS};
use crate::field::{subgroup_scalar, to_circuit};
use crate::layout::{Layout, Word};
use crate::Fr;
use ark_ff::{Field as _, PrimeField as _};
use halo2_proofs::circuit::Value;
use halo2_proofs::halo2curves::ff::Field as _;
use halo2_proofs::plonk::Error;
use zksettle_circuits::batch::assignment::{idle_write, ChunkAssignment};
use zksettle_core::babyjubjub::{Point, SubgroupScalar};
use zksettle_core::pubdata::BatchShape;

/// What a chunk hands to the batch.
#[derive(Debug, Clone)]
pub(crate) struct ChunkOut {
    pub(crate) starts: Word,
    pub(crate) last: Word,
    pub(crate) position: Word,
    pub(crate) identity: Vec<Word>,
    pub(crate) root: Word,
    /// The chunk's bytes, in pubdata order.
    pub(crate) pubdata: Vec<Word>,
    pub(crate) fees: Vec<Word>,
}

fn signed_nonce(assignment: &ChunkAssignment) -> u32 {
    match assignment.signed.as_ref().map(|s| &s.tx) {
        Some(zksettle_core::Tx::Transfer(t)) => t.nonce,
        Some(zksettle_core::Tx::Withdraw(w)) => w.nonce,
        None => 0,
    }
}

fn two_to(n: u64) -> Fr {
    Fr::from(2).pow([n])
}

/// The constraints of one chunk from the root `root` before it.
#[allow(clippy::too_many_arguments)]
pub(crate) fn chunk(
    glue: &Glue<'_>,
    layout: &mut Layout<'_, '_>,
    shape: &BatchShape,
    assignment: &ChunkAssignment,
    root: &Word,
    domain: &Word,
    fee_tokens: &[Word],
) -> Result<ChunkOut, Error> {
    let g = glue;
    let op = OpCells::witness(g, layout, shape, assignment)?;
    let f = |t: usize| op.flags[t];
    let first = op.position[0];
    let signed = g.sum(
        layout,
        &[
            (&f(TRANSFER), Fr::ONE),
            (&f(TRANSFER_TO_NEW), Fr::ONE),
            (&f(WITHDRAW), Fr::ONE),
        ],
        Fr::ZERO,
    )?;
    let transfer_like = g.add(layout, &f(TRANSFER), &f(TRANSFER_TO_NEW))?;
    let token = op.token.value;
    let amount = op.amount.value;
    let l1 = op.l1_address.value;

    let not_noop = g.not(layout, &f(NOOP))?;
    let enable_a = g.mul(layout, &first, &not_noop)?;
    let enable_b = g.mul(layout, &first, &transfer_like)?;
    let enable_sig = g.mul(layout, &first, &signed)?;

    // Account A.
    let idle = idle_write(shape.depth);
    let write_a = assignment.write_a.as_ref().unwrap_or(&idle);
    let a = AccountCells::witness(g, layout, write_a.before.as_ref())?;
    g.nonzero_if(layout, &op.index_a.value, &enable_a)?;
    let a_missing = g.not(layout, &a.exists)?;
    g.zero_if(layout, &a_missing, &enable_sig)?;
    g.equal_if(layout, &a.token, &token, &enable_sig)?;

    let deposit_key = PointWords {
        x: g.mul(layout, &op.key_valid, &op.key.x)?,
        y: g.select(layout, &op.key_valid, &op.key.y, &g.one)?,
    };
    let first_deposit = g.mul(layout, &first, &f(DEPOSIT))?;
    let into_existing = g.mul(layout, &first_deposit, &a.exists)?;
    g.equal_if(layout, &a.token, &token, &into_existing)?;
    g.equal_if(layout, &a.key.x, &deposit_key.x, &into_existing)?;
    g.equal_if(layout, &a.key.y, &deposit_key.y, &into_existing)?;
    // A deposit adds only to the account whose exit address it names.
    g.equal_if(layout, &a.l1_address, &l1, &into_existing)?;

    // Forced exit: the whole balance to the owner's non-zero L1 address, else nothing.
    let same_token = g.is_eq(layout, &a.token, &token)?;
    let same_l1 = g.is_eq(layout, &a.l1_address, &l1)?;
    let l1_zero = g.is_zero(layout, &l1)?;
    let l1_set = g.not(layout, &l1_zero)?;
    let owner = g.mul(layout, &a.exists, &same_token)?;
    let owner = g.mul(layout, &owner, &same_l1)?;
    let owner_asks = g.mul(layout, &owner, &l1_set)?;
    let paid = g.mul(layout, &owner_asks, &a.balance)?;
    let first_exit = g.mul(layout, &first, &f(FORCED_EXIT))?;
    g.equal_if(layout, &amount, &paid, &first_exit)?;

    // Withdrawals, deposits and transfers name a non-zero L1 address.
    let signed_or_deposit = g.add(layout, &signed, &f(DEPOSIT))?;
    let needs_l1 = g.mul(layout, &first, &signed_or_deposit)?;
    g.nonzero_if(layout, &l1, &needs_l1)?;

    // Transfers: the amount is the packed one.
    g.equal_if(layout, &amount, &op.amount_unpacked, &transfer_like)?;

    // Fee: only signed ops pay one, in their first chunk.
    let fee = g.mul(layout, &enable_sig, &op.fee)?;
    let amount_and_fee = g.add(layout, &amount, &fee)?;
    let debit = g.mul(layout, &amount_and_fee, &signed)?;
    let credit = g.mul(layout, &f(DEPOSIT), &amount)?;
    let exit = g.mul(layout, &f(FORCED_EXIT), &paid)?;
    let held = g.mul(layout, &a.exists, &a.balance)?;
    let a_balance = g.sum(
        layout,
        &[
            (&held, Fr::ONE),
            (&credit, Fr::ONE),
            (&debit, -Fr::ONE),
            (&exit, -Fr::ONE),
        ],
        Fr::ZERO,
    )?;
    let a_nonce_next = g.add(layout, &a.nonce, &signed)?;
    let after_a = AccountCells {
        exists: g.or(layout, &a.exists, &f(DEPOSIT))?,
        token: g.select(layout, &a.exists, &a.token, &token)?,
        nonce: g.mul(layout, &a.exists, &a_nonce_next)?,
        balance: a_balance,
        key: g.select_point(layout, &a.exists, &a.key, &deposit_key)?,
        l1_address: g.select(layout, &a.exists, &a.l1_address, &l1)?,
    };
    let written_balance = g.mul(layout, &enable_a, &after_a.balance)?;
    g.bytes_le(layout, &written_balance, 128)?;
    let written_nonce = g.mul(layout, &enable_a, &after_a.nonce)?;
    g.bytes_le(layout, &written_nonce, 32)?;
    let root_a = apply_write(
        g,
        layout,
        root,
        &enable_a,
        &op.index_a.value,
        &write_a.path.siblings,
        (&a, &after_a),
    )?;

    // Account B.
    let write_b = assignment.write_b.as_ref().unwrap_or(&idle);
    let b = AccountCells::witness(g, layout, write_b.before.as_ref())?;
    g.nonzero_if(layout, &op.index_b.value, &enable_b)?;
    let to_existing = g.mul(layout, &first, &f(TRANSFER))?;
    let b_missing = g.not(layout, &b.exists)?;
    g.zero_if(layout, &b_missing, &to_existing)?;
    g.equal_if(layout, &b.token, &token, &to_existing)?;
    g.equal_if(layout, &b.key.x, &op.key.x, &to_existing)?;
    g.equal_if(layout, &b.key.y, &op.key.y, &to_existing)?;
    g.equal_if(layout, &b.l1_address, &l1, &to_existing)?;
    let to_new = g.mul(layout, &first, &f(TRANSFER_TO_NEW))?;
    g.zero_if(layout, &b.exists, &to_new)?;
    let b_held = g.mul(layout, &b.exists, &b.balance)?;
    let after_b = AccountCells {
        exists: g.one,
        token: g.select(layout, &b.exists, &b.token, &token)?,
        nonce: g.mul(layout, &b.exists, &b.nonce)?,
        balance: g.add(layout, &b_held, &amount)?,
        key: g.select_point(layout, &b.exists, &b.key, &op.key)?,
        l1_address: g.select(layout, &b.exists, &b.l1_address, &l1)?,
    };
    let written_balance = g.mul(layout, &enable_b, &after_b.balance)?;
    g.bytes_le(layout, &written_balance, 128)?;
    let root_b = apply_write(
        g,
        layout,
        &root_a,
        &enable_b,
        &op.index_b.value,
        &write_b.path.siblings,
        (&b, &after_b),
    )?;

    // Keys: every key a transfer names, and every deposit key, is a curve point.
    let keyed = g.add(layout, &f(DEPOSIT), &transfer_like)?;
    let has_key = g.mul(layout, &keyed, &first)?;
    let key_or_identity = g.select_point(layout, &has_key, &op.key, &g.identity())?;
    let curve = g.chips.eddsa.curve();
    curve.assert_on_curve(layout, &key_or_identity)?;
    let first_transfer = g.mul(layout, &first, &transfer_like)?;
    g.nonzero_if(layout, &op.key.x, &first_transfer)?;

    // The signature.
    let nonce = g.witness(
        layout,
        Value::known(Fr::from(u64::from(signed_nonce(assignment)))),
    );
    g.bytes_le(layout, &nonce, 32)?;
    g.equal_if(layout, &a.nonce, &nonce, &enable_sig)?;
    let header = g.sum(
        layout,
        &[
            (&f(TRANSFER), Fr::from(2)),
            (&f(TRANSFER_TO_NEW), Fr::from(2)),
            (&f(WITHDRAW), Fr::from(4)),
            (&token, two_to(8)),
            (&nonce, two_to(40)),
            (&op.index_a.value, two_to(72)),
        ],
        Fr::ZERO,
    )?;
    let signed_to = PointWords {
        x: g.mul(layout, &transfer_like, &op.key.x)?,
        y: g.mul(layout, &transfer_like, &op.key.y)?,
    };
    let message = g.chips.poseidon.hash(
        layout,
        &[
            *domain,
            header,
            amount,
            op.fee,
            signed_to.x,
            signed_to.y,
            l1,
        ],
    )?;
    let signature = assignment.signed.as_ref().map(|s| s.signature);
    let (r8x, r8y) = signature.map_or((Fr::ZERO, Fr::ONE), |s| {
        (to_circuit(&s.r8.x), to_circuit(&s.r8.y))
    });
    let s = signature.map_or(Fr::ZERO, |s| subgroup_scalar(&s.s));
    let cells = g.witnesses(layout, &[r8x, r8y, s].map(Value::known));
    let r8 = PointWords {
        x: cells[0],
        y: cells[1],
    };
    let r8_checked = g.select_point(layout, &enable_sig, &r8, &g.identity())?;
    let key_checked = g.select_point(layout, &enable_sig, &a.key, &g.identity())?;
    g.chips.eddsa.verify_if(
        layout,
        &g.chips.poseidon,
        &message,
        &key_checked,
        &SignatureWords {
            r8: r8_checked,
            s: cells[2],
        },
        &enable_sig,
    )?;

    // The key verdict, in the second chunk of an op that opens an account with a key.
    let second = op.position.get(1).copied().unwrap_or(g.zero);
    let opens_with_key = g.add(layout, &f(DEPOSIT), &f(TRANSFER_TO_NEW))?;
    let enable_key_check = g.mul(layout, &second, &opens_with_key)?;
    let order = subgroup_scalar(&(-SubgroupScalar::ONE)) + Fr::ONE;
    let row = layout.take_rows(1);
    let order_cell = layout.constant(order, g.chips.shared.copyable[0], row)?;
    let q = curve.mul_add(
        layout,
        &order_cell,
        SCALAR_BITS,
        SubgroupScalar::MODULUS.0,
        Operand::Cells(op.key),
        Operand::Constant(Point::IDENTITY),
    )?;
    let q_x_zero = g.is_zero(layout, &q.x)?;
    let q_y_one = g.is_eq(layout, &q.y, &g.one)?;
    let in_subgroup = g.mul(layout, &q_x_zero, &q_y_one)?;
    let key_x_zero = g.is_zero(layout, &op.key.x)?;
    let key_x_set = g.not(layout, &key_x_zero)?;
    let can_sign = g.mul(layout, &in_subgroup, &key_x_set)?;
    g.equal_if(layout, &can_sign, &op.key_valid, &enable_key_check)?;
    // A new recipient's key must be able to sign.
    let second_to_new = g.mul(layout, &second, &f(TRANSFER_TO_NEW))?;
    let invalid = g.not(layout, &op.key_valid)?;
    g.zero_if(layout, &invalid, &second_to_new)?;
    // Only ops that open an account with a key have a key verdict.
    let other_ops = g.not(layout, &opens_with_key)?;
    g.zero_if(layout, &op.key_valid, &other_ops)?;

    // Fees: the op's fee goes to one slot of its token, or to none if it is zero.
    let selectors = (0..fee_tokens.len())
        .map(|k| g.boolean(layout, assignment.fee_slot == Some(k)))
        .collect::<Result<Vec<_>, _>>()?;
    let terms: Vec<(&Word, Fr)> = selectors.iter().map(|s| (s, Fr::ONE)).collect();
    let chosen = g.sum(layout, &terms, Fr::ZERO)?;
    let fee_zero = g.is_zero(layout, &fee)?;
    let fee_set = g.not(layout, &fee_zero)?;
    g.assert_equal(layout, &chosen, &fee_set)?;
    let mut chosen_token = g.zero;
    let mut fees = Vec::with_capacity(fee_tokens.len());
    for (selector, slot_token) in selectors.iter().zip(fee_tokens) {
        chosen_token = g
            .chips
            .arith
            .mul_add(layout, selector, slot_token, &chosen_token)?;
        fees.push(g.mul(layout, selector, &fee)?);
    }
    let expected_token = g.mul(layout, &chosen, &token)?;
    g.assert_equal(layout, &chosen_token, &expected_token)?;

    // The chunk's bytes: its slice of the op's record.
    let pubdata = op.chunk_bytes(g, layout, shape)?;

    let position = op.position_value(g, layout)?;
    let count = op.chunk_count(g, layout, shape)?;
    let last_position =
        g.chips
            .arith
            .linear(layout, (&count, Fr::ONE), (&count, Fr::ZERO), -Fr::ONE)?;
    let last = g.is_eq(layout, &position, &last_position)?;
    Ok(ChunkOut {
        starts: first,
        last,
        position,
        identity: op.identity_values(g, layout)?,
        root: root_b,
        pubdata,
        fees,
    })
}
