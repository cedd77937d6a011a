//! One chunk of the batch circuit: the state transition of the op that starts in it, or the
//! continuation of an op that started earlier.
//!
//! In the first chunk of an op (`position = 0`), with `A` the first account and `B` the second:
//!
//! ```text
//! Deposit        l1 ≠ 0; A.key' = key_valid ? key : O; A empty → {token, 0, amount, key', l1};
//!                A existing → same token, key' and l1, balance + amount
//! Transfer       signature of m under A.key (on the curve), A.nonce = nonce, A.token = token;
//!                A: balance − amount − fee, nonce + 1;  l1 ≠ 0; B exists, B.token = token,
//!                B.key = key, B.l1 = l1: B: balance + amount;  amount = unpack(amount_packed)
//! TransferToNew  as Transfer, but B empty → {token, 0, amount, key, l1}
//! Withdraw       signature; A.token = token; l1 ≠ 0; A: balance − amount − fee, nonce + 1
//! ForcedExit     paid = (A exists ∧ A.token = token ∧ A.l1 = l1 ≠ 0) ? A.balance : 0;
//!                amount = paid; A: balance − paid
//! every balance written is range-checked to 128 bits (no wrap-around mod r), every nonce to 32
//! ```
//!
//! The scalar multiplication unit (`Q = P·k`, one per chunk) verifies the signature in the
//! first chunk (`P = 8·A.key`, `k = h`) and, in the second chunk of a Deposit or TransferToNew,
//! decides whether the op's key can sign (`P = key`, `k = l`: `key_valid ⇔ Q = O ∧ key.x ≠ 0`).

use super::account::AccountVar;
use super::assignment::{idle_write, ChunkAssignment};
use super::bits::{reversed, value_be, witness_bits, Bits};
use super::op::{OpVars, DEPOSIT, FORCED_EXIT, NOOP, TRANSFER, TRANSFER_TO_NEW, WITHDRAW};
use crate::gadgets::babyjubjub::PointVar;
use crate::gadgets::eddsa::SCALAR_BITS;
use crate::gadgets::merkle::{sibling_witnesses, write_leaf};
use crate::gadgets::num::to_bits_le;
use crate::gadgets::poseidon::poseidon;
use crate::gadgets::FrVar;
use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::convert::ToBitsGadget;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::select::CondSelectGadget;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use zksettle_core::babyjubjub::{Point, SubgroupScalar};
use zksettle_core::pubdata::BatchShape;
use zksettle_core::stf::LeafUpdate;

/// What a chunk hands to the batch: field variables only, so that a chunk synthesized in a
/// constraint system of its own (parallel witness generation, [`super::witness`]) can be
/// adopted by the batch's.
#[derive(Debug)]
pub(crate) struct ChunkOut {
    /// 1 if an op starts in this chunk, else 0.
    pub(crate) starts: FrVar,
    /// 1 if this chunk is its op's last, else 0.
    pub(crate) last: FrVar,
    /// The chunk's position within its op.
    pub(crate) position: FrVar,
    /// The op's fields that every chunk of the op repeats ([`OpVars::identity_values`]).
    pub(crate) identity: Vec<FrVar>,
    /// The root after this chunk.
    pub(crate) root: FrVar,
    /// The chunk's pubdata bits, each constrained boolean here.
    pub(crate) pubdata: Vec<FrVar>,
    /// This chunk's fee per fee slot.
    pub(crate) fees: Vec<FrVar>,
}

fn any(bits: &[&Boolean<Fr>]) -> FrVar {
    bits.iter()
        .fold(FpVar::zero(), |acc, b| acc + FpVar::from((*b).clone()))
}

fn and(a: &Boolean<Fr>, b: &Boolean<Fr>) -> Boolean<Fr> {
    a & b
}

/// `cond ⇒ x ≠ 0`.
fn enforce_nonzero_if(x: &FrVar, cond: &Boolean<Fr>) -> Result<(), SynthesisError> {
    FrVar::conditionally_select(cond, x, &FpVar::one())?.enforce_not_equal(&FpVar::zero())
}

struct WriteVars {
    before: AccountVar,
    siblings: Vec<[FrVar; 3]>,
}

fn write_witness(
    cs: &ConstraintSystemRef<Fr>,
    depth: u8,
    update: Option<&LeafUpdate>,
) -> Result<WriteVars, SynthesisError> {
    let idle = idle_write(depth);
    let update = update.unwrap_or(&idle);
    Ok(WriteVars {
        before: AccountVar::witness(cs, update.before.as_ref())?,
        siblings: sibling_witnesses(cs, &update.path)?,
    })
}

/// Applies a leaf write to the running root when `enabled`.
fn apply_write(
    root: &FrVar,
    enabled: &Boolean<Fr>,
    index_bits_be: &Bits,
    siblings: &[[FrVar; 3]],
    before: &AccountVar,
    after: &AccountVar,
) -> Result<FrVar, SynthesisError> {
    let (old, new) = write_leaf(
        &before.leaf()?,
        &after.leaf()?,
        &reversed(index_bits_be),
        siblings,
    )?;
    old.conditional_enforce_equal(root, enabled)?;
    FrVar::conditionally_select(enabled, &new, root)
}

/// The constraints of one chunk. `fee_tokens` are the fee slots' tokens, `domain` the signed
/// deployment domain.
pub(crate) fn chunk(
    cs: &ConstraintSystemRef<Fr>,
    shape: &BatchShape,
    assignment: &ChunkAssignment,
    pubdata: &[u8],
    root: &FrVar,
    domain: &FrVar,
    fee_tokens: &[FrVar],
) -> Result<ChunkOut, SynthesisError> {
    let op = OpVars::witness(cs, shape, assignment)?;
    let first = op.position[0].clone();
    let f = |t| op.flag(t).clone();
    let signed_sum = any(&[
        op.flag(TRANSFER),
        op.flag(TRANSFER_TO_NEW),
        op.flag(WITHDRAW),
    ]);
    let signed = f(TRANSFER) | f(TRANSFER_TO_NEW) | f(WITHDRAW);
    let transfer_like = f(TRANSFER) | f(TRANSFER_TO_NEW);
    let token = value_be(&op.token);
    let amount = value_be(&op.amount);
    let l1 = value_be(&op.l1_address);
    let index_a = value_be(&op.index_a);
    let index_b = value_be(&op.index_b);

    let enable_a = and(&first, &!f(NOOP));
    let enable_b = and(&first, &transfer_like);
    let enable_sig = and(&first, &signed);

    // Account A.
    let wa = write_witness(cs, shape.depth, assignment.write_a.as_ref())?;
    let a = &wa.before;
    enforce_nonzero_if(&index_a, &enable_a)?;
    // Signed ops need an existing sender holding the signed token.
    (FpVar::from(enable_sig.clone()) * (FpVar::one() - FpVar::from(a.exists.clone())))
        .enforce_equal(&FpVar::zero())?;
    a.token.conditional_enforce_equal(&token, &enable_sig)?;

    // Deposit key: the op's key if it can sign, else the identity (locked).
    let deposit_key = PointVar {
        x: FpVar::from(op.key_valid.clone()) * &op.key.x,
        y: FrVar::conditionally_select(&op.key_valid, &op.key.y, &FpVar::one())?,
    };
    let deposit_into_existing = and(&and(&first, &f(DEPOSIT)), &a.exists);
    a.token
        .conditional_enforce_equal(&token, &deposit_into_existing)?;
    a.key
        .x
        .conditional_enforce_equal(&deposit_key.x, &deposit_into_existing)?;
    a.key
        .y
        .conditional_enforce_equal(&deposit_key.y, &deposit_into_existing)?;
    // An account is its (key, token, exit address): a deposit adds only to the account whose
    // exit address it names, so no one can make their address the exit of someone else's funds.
    a.l1_address
        .conditional_enforce_equal(&l1, &deposit_into_existing)?;

    // Forced exit: the whole balance to the owner's non-zero L1 address, else nothing.
    let owner_asks =
        &(&a.exists & &a.token.is_eq(&token)?) & &(&a.l1_address.is_eq(&l1)? & &!l1.is_zero()?);
    let paid = FrVar::conditionally_select(&owner_asks, &a.balance, &FpVar::zero())?;
    amount.conditional_enforce_equal(&paid, &and(&first, &f(FORCED_EXIT)))?;

    // Withdrawals need an L1 recipient; deposits and transfers name the recipient account's
    // exit address, and every account holding value has one (protocol §4).
    enforce_nonzero_if(&l1, &and(&first, &(&signed | &f(DEPOSIT))))?;

    // Transfers: the amount is the packed one.
    amount.conditional_enforce_equal(&op.amount_unpacked, &transfer_like)?;

    // Fee: only signed ops pay one, in their first chunk.
    let fee = FpVar::from(enable_sig.clone()) * &op.fee;
    let debit = (&amount + &fee) * &signed_sum;
    let credit = FpVar::from(f(DEPOSIT)) * &amount;
    let exit = FpVar::from(f(FORCED_EXIT)) * &paid;
    let a_balance = FpVar::from(a.exists.clone()) * &a.balance + credit - debit - exit;
    let after_a = AccountVar {
        exists: &a.exists | &f(DEPOSIT),
        token: FrVar::conditionally_select(&a.exists, &a.token, &token)?,
        nonce: FpVar::from(a.exists.clone()) * (&a.nonce + &signed_sum),
        balance: a_balance,
        key: PointVar::select(&a.exists, &a.key, &deposit_key)?,
        l1_address: FrVar::conditionally_select(&a.exists, &a.l1_address, &l1)?,
    };
    // Range checks of what is written (only binding when enabled; disabled chunks write
    // well-formed zeros).
    let written_balance_a =
        FrVar::conditionally_select(&enable_a, &after_a.balance, &FpVar::zero())?;
    to_bits_le(&written_balance_a, 128)?;
    let written_nonce_a = FrVar::conditionally_select(&enable_a, &after_a.nonce, &FpVar::zero())?;
    to_bits_le(&written_nonce_a, 32)?;
    let root_a = apply_write(root, &enable_a, &op.index_a, &wa.siblings, a, &after_a)?;

    // Account B.
    let wb = write_witness(cs, shape.depth, assignment.write_b.as_ref())?;
    let b = &wb.before;
    enforce_nonzero_if(&index_b, &enable_b)?;
    let to_existing = and(&first, &f(TRANSFER));
    (FpVar::from(to_existing.clone()) * (FpVar::one() - FpVar::from(b.exists.clone())))
        .enforce_equal(&FpVar::zero())?;
    b.token.conditional_enforce_equal(&token, &to_existing)?;
    b.key.x.conditional_enforce_equal(&op.key.x, &to_existing)?;
    b.key.y.conditional_enforce_equal(&op.key.y, &to_existing)?;
    b.l1_address.conditional_enforce_equal(&l1, &to_existing)?;
    let to_new = and(&first, &f(TRANSFER_TO_NEW));
    (FpVar::from(to_new.clone()) * FpVar::from(b.exists.clone())).enforce_equal(&FpVar::zero())?;
    let after_b = AccountVar {
        exists: Boolean::TRUE,
        token: FrVar::conditionally_select(&b.exists, &b.token, &token)?,
        nonce: FpVar::from(b.exists.clone()) * &b.nonce,
        balance: FpVar::from(b.exists.clone()) * &b.balance + &amount,
        key: PointVar::select(&b.exists, &b.key, &op.key)?,
        l1_address: FrVar::conditionally_select(&b.exists, &b.l1_address, &l1)?,
    };
    let written_balance_b =
        FrVar::conditionally_select(&enable_b, &after_b.balance, &FpVar::zero())?;
    to_bits_le(&written_balance_b, 128)?;
    let root_b = apply_write(&root_a, &enable_b, &op.index_b, &wb.siblings, b, &after_b)?;

    // Keys: every key a transfer names, and every deposit key, is a curve point.
    let has_key = &(&f(DEPOSIT) | &transfer_like) & &first;
    let key_or_identity = PointVar::select(&has_key, &op.key, &PointVar::identity())?;
    key_or_identity.enforce_on_curve()?;
    enforce_nonzero_if(&op.key.x, &and(&first, &transfer_like))?;

    // The scalar multiplication unit.
    let nonce_bits = witness_bits(cs, u128::from(signed_nonce(assignment)), 32)?;
    let nonce = value_be(&nonce_bits);
    a.nonce.conditional_enforce_equal(&nonce, &enable_sig)?;
    let header = FpVar::from(f(TRANSFER)) * Fr::from(2u64)
        + FpVar::from(f(TRANSFER_TO_NEW)) * Fr::from(2u64)
        + FpVar::from(f(WITHDRAW)) * Fr::from(4u64)
        + &token * Fr::from(1u64 << 8)
        + &nonce * Fr::from(1u64 << 40)
        + &index_a * pow2(72);
    let signed_to = PointVar {
        x: FpVar::from(transfer_like.clone()) * &op.key.x,
        y: FpVar::from(transfer_like.clone()) * &op.key.y,
    };
    let message = poseidon(&[
        domain.clone(),
        header,
        amount.clone(),
        op.fee.clone(),
        signed_to.x,
        signed_to.y,
        l1.clone(),
    ])?;
    let signature = assignment.signed.as_ref().map(|s| s.signature);
    let r8 = PointVar::new_witness(
        cs.clone(),
        Some(signature.map_or(Point::IDENTITY, |s| s.r8)),
    )?;
    let s_value = signature.map_or(Fr::from(0u64), |s| {
        Fr::from_le_bytes_mod_order(&s.s.into_bigint().to_bytes_le())
    });
    let s = FpVar::new_witness(cs.clone(), || Ok(s_value))?;
    let r8_checked = PointVar::select(&enable_sig, &r8, &PointVar::identity())?;
    r8_checked.enforce_on_curve()?;
    let s_bits = to_bits_le(&s, SCALAR_BITS)?;
    Boolean::enforce_smaller_or_equal_than_le(&s_bits, subgroup_order_minus_one())?;
    let h = poseidon(&[
        r8.x.clone(),
        r8.y.clone(),
        a.key.x.clone(),
        a.key.y.clone(),
        message,
    ])?;
    let h_bits = h.to_bits_le()?;
    // The sender's key is a curve point (the doubling formulas assume it; a genesis account
    // could otherwise hold an off-curve key such as (0, 0), under which `divide` leaves the
    // doubled point free and any signature would verify), and 8·A is not the identity.
    PointVar::select(&enable_sig, &a.key, &PointVar::identity())?.enforce_on_curve()?;
    let a8 = a.key.double()?.double()?.double()?;
    enforce_nonzero_if(&a8.x, &enable_sig)?;

    let second = op.position.get(1).cloned().unwrap_or(Boolean::FALSE);
    let unit_point = PointVar::select(&first, &a8, &op.key)?;
    let order_bits = SubgroupScalar::MODULUS.to_bits_le();
    let unit_bits: Vec<Boolean<Fr>> = h_bits
        .iter()
        .enumerate()
        .map(|(i, h_i)| {
            let l_i = Boolean::constant(order_bits.get(i).copied().unwrap_or(false));
            Boolean::conditionally_select(&first, h_i, &l_i)
        })
        .collect::<Result<_, _>>()?;
    let q = unit_point.mul_bits(&unit_bits)?;

    let lhs = PointVar::mul_fixed(Point::base8(), &s_bits)?;
    let rhs = r8.add(&q)?;
    lhs.x.conditional_enforce_equal(&rhs.x, &enable_sig)?;
    lhs.y.conditional_enforce_equal(&rhs.y, &enable_sig)?;

    let enable_key_check = and(&second, &(&f(DEPOSIT) | &f(TRANSFER_TO_NEW)));
    let in_subgroup = &q.x.is_zero()? & &q.y.is_eq(&FpVar::one())?;
    let can_sign = &in_subgroup & &!op.key.x.is_zero()?;
    can_sign.conditional_enforce_equal(&op.key_valid, &enable_key_check)?;
    // A new recipient's key must be able to sign (native: InvalidRecipientKey).
    op.key_valid
        .conditional_enforce_equal(&Boolean::TRUE, &and(&second, &f(TRANSFER_TO_NEW)))?;
    // Only ops that open an account with a key have a key verdict; elsewhere it is 0, so that no
    // witness value is left that nothing determines (the raw-witness harness found it free in
    // every chunk of the other ops).
    let opens_with_key = FpVar::from(f(DEPOSIT)) + FpVar::from(f(TRANSFER_TO_NEW));
    (FpVar::from(op.key_valid.clone()) * (FpVar::one() - opens_with_key))
        .enforce_equal(&FpVar::zero())?;

    // Fees: the op's fee goes to one slot of its token, or to none if it is zero.
    let selectors: Vec<Boolean<Fr>> = (0..fee_tokens.len())
        .map(|k| Boolean::new_witness(cs.clone(), || Ok(assignment.fee_slot == Some(k))))
        .collect::<Result<_, _>>()?;
    let chosen = selectors
        .iter()
        .fold(FpVar::zero(), |acc, s| acc + FpVar::from(s.clone()));
    // A slot is chosen exactly when there is a fee to credit: the selectors of a zero fee are
    // all zero rather than free (found by the raw-witness mutation harness; harmless, as every
    // use multiplies them by the fee, but a witness nothing determines is one to remove).
    chosen.enforce_equal(&FpVar::from(!fee.is_zero()?))?;
    let mut chosen_token = FpVar::zero();
    let mut fees = Vec::with_capacity(fee_tokens.len());
    for (selector, slot_token) in selectors.iter().zip(fee_tokens) {
        chosen_token += FpVar::from(selector.clone()) * slot_token;
        fees.push(FpVar::from(selector.clone()) * &fee);
    }
    chosen_token.enforce_equal(&(&chosen * &token))?;

    // The chunk's bytes: its slice of the op's record.
    let chunk_bits = super::bits::witness_byte_bits(cs, pubdata)?;
    let width = chunk_bits.len();
    let mut selected = FpVar::zero();
    for t in 0..super::op::OP_TYPES {
        let record = op.record(t, shape);
        for (k, slice) in record.chunks(width).enumerate() {
            let active = and(op.flag(t), &op.position[k]);
            selected += FpVar::from(active) * value_be(slice);
        }
    }
    value_be(&chunk_bits).enforce_equal(&selected)?;

    let position = op.position_value();
    let last = position.is_eq(&(op.chunk_count(shape) - FpVar::one()))?;
    Ok(ChunkOut {
        starts: first.into(),
        last: last.into(),
        position,
        identity: op.identity_values(),
        root: root_b,
        pubdata: chunk_bits.into_iter().map(FrVar::from).collect(),
        fees,
    })
}

fn signed_nonce(assignment: &ChunkAssignment) -> u32 {
    match assignment.signed.as_ref().map(|s| &s.tx) {
        Some(zksettle_core::Tx::Transfer(t)) => t.nonce,
        Some(zksettle_core::Tx::Withdraw(w)) => w.nonce,
        None => 0,
    }
}

fn pow2(n: u64) -> Fr {
    use ark_ff::Field;
    Fr::from(2u64).pow([n])
}

fn subgroup_order_minus_one() -> [u64; 4] {
    let mut limbs = SubgroupScalar::MODULUS.0;
    limbs[0] -= 1;
    limbs
}
