//! An op's fields in the circuit, the same in every chunk of the op, and its pubdata record
//! (`docs/protocol.md` §9) as a bit string built from them.
//!
//! Each field is allocated as its bits in record order, so the record is a rearrangement of
//! bits already constrained boolean; a chunk's bytes are then a linear combination of them
//! selected by the op type and the chunk's position in the op.

use super::assignment::ChunkAssignment;
use super::bits::{constant_bits, pad_to, reversed, value_be, witness_bits, Bits};
use crate::gadgets::babyjubjub::PointVar;
use crate::gadgets::num::unpack_float;
use crate::gadgets::FrVar;
use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field, PrimeField};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::convert::ToBitsGadget;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::fields::FieldVar;
use ark_r1cs_std::select::CondSelectGadget;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};
use zksettle_core::amount::{AMOUNT_FORMAT, FEE_FORMAT};
use zksettle_core::pubdata::BatchShape;

pub(crate) use super::assignment::{
    max_chunks, DEPOSIT, FORCED_EXIT, NOOP, OP_TYPES, TRANSFER, TRANSFER_TO_NEW, WITHDRAW,
};

/// The fields of one op.
#[derive(Debug, Clone)]
pub(crate) struct OpVars {
    /// One-hot op type.
    pub(crate) flags: [Boolean<Fr>; OP_TYPES],
    /// One-hot position of this chunk within the op.
    pub(crate) position: Vec<Boolean<Fr>>,
    /// First account (sender, deposit target, exit account), `D` bits.
    pub(crate) index_a: Bits,
    /// Second account (transfer recipient), `D` bits.
    pub(crate) index_b: Bits,
    pub(crate) token: Bits,
    /// Full-precision amount, 128 bits.
    pub(crate) amount: Bits,
    /// Packed transfer amount, 24 bits.
    pub(crate) amount_packed: Bits,
    /// Packed fee, 16 bits.
    pub(crate) fee_packed: Bits,
    /// The value `amount_packed` denotes.
    pub(crate) amount_unpacked: FrVar,
    /// The value `fee_packed` denotes.
    pub(crate) fee: FrVar,
    /// The op's key.
    pub(crate) key: PointVar,
    /// Its packed form (32 bytes, record order).
    pub(crate) key_packed: Bits,
    /// 160 bits.
    pub(crate) l1_address: Bits,
    /// Whether `key` can sign (checked in the op's second chunk).
    pub(crate) key_valid: Boolean<Fr>,
}

impl OpVars {
    pub(crate) fn flag(&self, t: usize) -> &Boolean<Fr> {
        &self.flags[t]
    }

    /// The op's chunk count, `Σ flag_t · chunks(t)`.
    pub(crate) fn chunk_count(&self, shape: &BatchShape) -> FrVar {
        self.flags
            .iter()
            .enumerate()
            .fold(FpVar::zero(), |acc, (t, f)| {
                acc + FpVar::from(f.clone())
                    * Fr::from(shape.op_chunks(t as u8).unwrap_or(1) as u64)
            })
    }

    /// `Σ k · position_k`.
    pub(crate) fn position_value(&self) -> FrVar {
        self.position
            .iter()
            .enumerate()
            .fold(FpVar::zero(), |acc, (k, p)| {
                acc + FpVar::from(p.clone()) * Fr::from(k as u64)
            })
    }

    /// The values that must agree between consecutive chunks of one op.
    pub(crate) fn identity_values(&self) -> Vec<FrVar> {
        let code = self
            .flags
            .iter()
            .enumerate()
            .fold(FpVar::zero(), |acc, (t, f)| {
                acc + FpVar::from(f.clone()) * Fr::from(t as u64)
            });
        vec![
            code,
            value_be(&self.index_a),
            value_be(&self.index_b),
            value_be(&self.token),
            value_be(&self.amount),
            value_be(&self.amount_packed),
            value_be(&self.fee_packed),
            self.key.x.clone(),
            self.key.y.clone(),
            value_be(&self.l1_address),
            FpVar::from(self.key_valid.clone()),
        ]
    }

    /// Allocates the op fields of a chunk.
    pub(crate) fn witness(
        cs: &ConstraintSystemRef<Fr>,
        shape: &BatchShape,
        chunk: &ChunkAssignment,
    ) -> Result<Self, SynthesisError> {
        let depth = usize::from(shape.depth);
        let code = usize::from(chunk.op.code());
        let flags: Vec<Boolean<Fr>> = (0..OP_TYPES)
            .map(|t| Boolean::new_witness(cs.clone(), || Ok(t == code)))
            .collect::<Result<_, _>>()?;
        let flag_sum = flags
            .iter()
            .fold(FpVar::zero(), |acc, f| acc + FpVar::from(f.clone()));
        flag_sum.enforce_equal(&FpVar::one())?;
        let flags: [Boolean<Fr>; OP_TYPES] = flags
            .try_into()
            .map_err(|_| SynthesisError::Unsatisfiable)?;

        let positions = max_chunks(shape);
        let position: Vec<Boolean<Fr>> = (0..positions)
            .map(|k| Boolean::new_witness(cs.clone(), || Ok(k == chunk.position)))
            .collect::<Result<_, _>>()?;
        let position_sum = position
            .iter()
            .fold(FpVar::zero(), |acc, p| acc + FpVar::from(p.clone()));
        position_sum.enforce_equal(&FpVar::one())?;

        let super::assignment::OpValues {
            index_a,
            index_b,
            amount,
            fee: _,
            amount_packed,
            fee_packed,
        } = chunk.op_values();

        let amount_packed_bits =
            witness_bits(cs, u128::from(amount_packed), AMOUNT_FORMAT.bits() as usize)?;
        let fee_packed_bits = witness_bits(cs, u128::from(fee_packed), FEE_FORMAT.bits() as usize)?;
        let amount_unpacked = unpack_float(&AMOUNT_FORMAT, &reversed(&amount_packed_bits))?;
        let fee_value = unpack_float(&FEE_FORMAT, &reversed(&fee_packed_bits))?;

        let key = PointVar::new_witness(cs.clone(), Some(chunk.key))?;
        let key_packed = packed_point_bits(cs, &key)?;

        Ok(OpVars {
            flags,
            position,
            index_a: witness_bits(cs, u128::from(index_a), depth)?,
            index_b: witness_bits(cs, u128::from(index_b), depth)?,
            token: witness_bits(cs, u128::from(chunk.token.0), 32)?,
            amount: witness_bits(cs, amount, 128)?,
            amount_packed: amount_packed_bits,
            fee_packed: fee_packed_bits,
            amount_unpacked,
            fee: fee_value,
            key,
            key_packed,
            l1_address: super::bits::witness_byte_bits(cs, &chunk.l1_address.0)?,
            key_valid: Boolean::new_witness(cs.clone(), || Ok(chunk.key_valid))?,
        })
    }

    /// The op's record for type `t`, padded with zeros to whole chunks.
    pub(crate) fn record(&self, t: usize, shape: &BatchShape) -> Bits {
        let index_bits = 8 * shape.index_bytes();
        let a = pad_to(&self.index_a, index_bits);
        let b = pad_to(&self.index_b, index_bits);
        let mut r = constant_bits(t as u64, 8);
        match t {
            DEPOSIT => {
                r.extend(a);
                r.extend(self.token.iter().cloned());
                r.extend(self.amount.iter().cloned());
                r.extend(self.key_packed.iter().cloned());
                r.extend(self.l1_address.iter().cloned());
            }
            TRANSFER | TRANSFER_TO_NEW => {
                r.extend(a);
                r.extend(b);
                r.extend(self.amount_packed.iter().cloned());
                r.extend(self.fee_packed.iter().cloned());
                if t == TRANSFER_TO_NEW {
                    r.extend(self.key_packed.iter().cloned());
                    r.extend(self.l1_address.iter().cloned());
                }
            }
            WITHDRAW => {
                r.extend(a);
                r.extend(self.token.iter().cloned());
                r.extend(self.amount.iter().cloned());
                r.extend(self.fee_packed.iter().cloned());
                r.extend(self.l1_address.iter().cloned());
            }
            FORCED_EXIT => {
                r.extend(a);
                r.extend(self.token.iter().cloned());
                r.extend(self.amount.iter().cloned());
                r.extend(self.l1_address.iter().cloned());
            }
            _ => {}
        }
        let chunk_bits = 8 * shape.chunk_bytes();
        let total = shape.op_chunks(t as u8).unwrap_or(1) * chunk_bits;
        r.resize(total, Boolean::FALSE);
        r
    }
}

/// circomlib's packed point in record order: the 32 bytes of `y + sign·2^255` little-endian,
/// each byte most significant bit first, where `sign = [x > (r − 1)/2]`.
///
/// Enforced: `y`'s 254 bits are canonical; `sign` is boolean; `z = sign ? −x : x` satisfies
/// `z ≤ (r − 1)/2` (exactly one of `x`, `−x` does, for `x ≠ 0`), and `sign ⇒ x ≠ 0`.
fn packed_point_bits(
    cs: &ConstraintSystemRef<Fr>,
    point: &PointVar,
) -> Result<Bits, SynthesisError> {
    use ark_r1cs_std::GR1CSVar;
    let y_bits = point.y.to_bits_le()?; // 254 canonical bits, little-endian
    let x_value = point.x.value().unwrap_or(Fr::ZERO);
    let sign_value = x_value.into_bigint() > Fr::MODULUS_MINUS_ONE_DIV_TWO;
    let sign = Boolean::new_witness(cs.clone(), || Ok(sign_value))?;
    let z = FrVar::conditionally_select(&sign, &point.x.negate()?, &point.x)?;
    let z_bits = crate::gadgets::num::to_bits_le(&z, 253)?;
    Boolean::enforce_smaller_or_equal_than_le(&z_bits, Fr::MODULUS_MINUS_ONE_DIV_TWO)?;
    // sign ⇒ x ≠ 0: x·inv = sign for some inv.
    let inv = FpVar::new_witness(cs.clone(), || {
        Ok(if sign_value {
            x_value.inverse().unwrap_or(Fr::ZERO)
        } else {
            Fr::ZERO
        })
    })?;
    point.x.mul_equals(&inv, &FpVar::from(sign.clone()))?;

    let mut le = y_bits;
    le.resize(255, Boolean::FALSE);
    le.push(sign);
    Ok(le
        .chunks(8)
        .flat_map(|byte| byte.iter().rev().cloned().collect::<Vec<_>>())
        .collect())
}
