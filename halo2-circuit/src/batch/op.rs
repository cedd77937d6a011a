//! An op's fields in cells, the same in every chunk of the op, and its pubdata record
//! (`docs/protocol.md` §9) as bytes: the statement of `zksettle_circuits`' `batch::op`.
//!
//! Every multi-byte field is range-checked to its width, which gives its little-endian bytes;
//! the record takes them big-endian (the packed key as circomlib packs it, little-endian). A
//! chunk's bytes are then `Σ_{t,k} flag_t·position_k·slice_{t,k}` for the `k`-th slice of
//! record type `t`, each slice's value a linear combination of byte cells and constants.

use super::glue::Glue;
use crate::babyjubjub::PointWords;
use crate::field::to_circuit;
use crate::layout::{Layout, Word};
use crate::Fr;
use halo2_proofs::circuit::Value;
use halo2_proofs::halo2curves::ff::{Field as _, PrimeField as _};
use halo2_proofs::plonk::Error;
use zksettle_circuits::batch::assignment::ChunkAssignment;
use zksettle_core::amount::{AMOUNT_FORMAT, FEE_FORMAT};
use zksettle_core::pubdata::BatchShape;

pub(crate) use zksettle_circuits::batch::assignment::{
    max_chunks, DEPOSIT, FORCED_EXIT, NOOP, OP_TYPES, TRANSFER, TRANSFER_TO_NEW, WITHDRAW,
};

/// A field's value and its bytes, big-endian.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub(crate) value: Word,
    pub(crate) bytes: Vec<Word>,
}

/// A record byte: a cell, or a constant (type code, padding).
#[derive(Debug, Clone, Copy)]
pub(crate) enum RecordByte {
    Cell(Word),
    Constant(u8),
}

/// The fields of one op.
#[derive(Debug, Clone)]
pub(crate) struct OpCells {
    pub(crate) flags: [Word; OP_TYPES],
    pub(crate) position: Vec<Word>,
    pub(crate) index_a: Field,
    pub(crate) index_b: Field,
    pub(crate) token: Field,
    pub(crate) amount: Field,
    pub(crate) amount_packed: Field,
    pub(crate) fee_packed: Field,
    pub(crate) amount_unpacked: Word,
    pub(crate) fee: Word,
    pub(crate) key: PointWords,
    pub(crate) key_packed: Vec<Word>,
    pub(crate) l1_address: Field,
    pub(crate) key_valid: Word,
}

fn known(value: u128) -> Value<Fr> {
    Value::known(Fr::from_u128(value))
}

impl OpCells {
    /// Lays out the op fields of a chunk.
    pub(crate) fn witness(
        glue: &Glue<'_>,
        layout: &mut Layout<'_, '_>,
        shape: &BatchShape,
        chunk: &ChunkAssignment,
    ) -> Result<Self, Error> {
        let code = usize::from(chunk.op.code());
        let one_hot = |layout: &mut Layout<'_, '_>, n: usize, hot: usize| {
            let cells = (0..n)
                .map(|i| glue.boolean(layout, i == hot))
                .collect::<Result<Vec<_>, _>>()?;
            let terms: Vec<(&Word, Fr)> = cells.iter().map(|c| (c, Fr::ONE)).collect();
            glue.assert_sum_zero(layout, &terms, -Fr::ONE)?;
            Ok::<_, Error>(cells)
        };
        let flags: [Word; OP_TYPES] = one_hot(layout, OP_TYPES, code)?
            .try_into()
            .map_err(|_| Error::Synthesis)?;
        let position = one_hot(layout, max_chunks(shape), chunk.position)?;

        let zksettle_circuits::batch::assignment::OpValues {
            index_a,
            index_b,
            amount,
            fee: _,
            amount_packed,
            fee_packed,
        } = chunk.op_values();

        let field = |layout: &mut Layout<'_, '_>, value: Value<Fr>, bits: usize, bytes: usize| {
            let cell = glue.witness(layout, value);
            let mut le = glue.bytes_le(layout, &cell, bits)?;
            le.resize(bytes, glue.zero);
            le.reverse();
            Ok::<_, Error>(Field {
                value: cell,
                bytes: le,
            })
        };
        let depth = usize::from(shape.depth);
        let index_bytes = shape.index_bytes();
        let index_a = field(layout, known(index_a.into()), depth, index_bytes)?;
        let index_b = field(layout, known(index_b.into()), depth, index_bytes)?;
        let token = field(layout, known(chunk.token.0.into()), 32, 4)?;
        let amount = field(layout, known(amount), 128, 16)?;
        let amount_bits = AMOUNT_FORMAT.bits() as usize;
        let fee_bits = FEE_FORMAT.bits() as usize;
        let amount_packed = field(
            layout,
            known(amount_packed.into()),
            amount_bits,
            amount_bits / 8,
        )?;
        let fee_packed = field(layout, known(fee_packed.into()), fee_bits, fee_bits / 8)?;
        let encodings = glue.encodings();
        let amount_unpacked =
            encodings.unpack_float(layout, &AMOUNT_FORMAT, &amount_packed.value)?;
        let fee = encodings.unpack_float(layout, &FEE_FORMAT, &fee_packed.value)?;

        let key_cells = glue.witnesses(
            layout,
            &[
                Value::known(to_circuit(&chunk.key.x)),
                Value::known(to_circuit(&chunk.key.y)),
            ],
        );
        let key = PointWords {
            x: key_cells[0],
            y: key_cells[1],
        };
        let key_packed = encodings.packed_point(layout, &key.x, &key.y)?;
        let l1_value = Value::known(to_circuit(&chunk.l1_address.to_field()));
        let l1_address = field(layout, l1_value, 160, 20)?;
        let key_valid = glue.boolean(layout, chunk.key_valid)?;
        Ok(OpCells {
            flags,
            position,
            index_a,
            index_b,
            token,
            amount,
            amount_packed,
            fee_packed,
            amount_unpacked,
            fee,
            key,
            key_packed,
            l1_address,
            key_valid,
        })
    }

    /// The op's chunk count, `Σ flag_t·chunks(t)`.
    pub(crate) fn chunk_count(
        &self,
        glue: &Glue<'_>,
        layout: &mut Layout<'_, '_>,
        shape: &BatchShape,
    ) -> Result<Word, Error> {
        let counts: Vec<Fr> = (0..OP_TYPES)
            .map(|t| Fr::from(shape.op_chunks(t as u8).unwrap_or(1) as u64))
            .collect();
        let terms: Vec<(&Word, Fr)> = self.flags.iter().zip(counts).collect();
        glue.sum(layout, &terms, Fr::ZERO)
    }

    /// `Σ k·position_k`.
    pub(crate) fn position_value(
        &self,
        glue: &Glue<'_>,
        layout: &mut Layout<'_, '_>,
    ) -> Result<Word, Error> {
        let terms: Vec<(&Word, Fr)> = self
            .position
            .iter()
            .enumerate()
            .map(|(k, p)| (p, Fr::from(k as u64)))
            .collect();
        glue.sum(layout, &terms, Fr::ZERO)
    }

    /// The values that must agree between consecutive chunks of one op.
    pub(crate) fn identity_values(
        &self,
        glue: &Glue<'_>,
        layout: &mut Layout<'_, '_>,
    ) -> Result<Vec<Word>, Error> {
        let terms: Vec<(&Word, Fr)> = self
            .flags
            .iter()
            .enumerate()
            .map(|(t, f)| (f, Fr::from(t as u64)))
            .collect();
        let code = glue.sum(layout, &terms, Fr::ZERO)?;
        Ok(vec![
            code,
            self.index_a.value,
            self.index_b.value,
            self.token.value,
            self.amount.value,
            self.amount_packed.value,
            self.fee_packed.value,
            self.key.x,
            self.key.y,
            self.l1_address.value,
            self.key_valid,
        ])
    }

    /// The op's record for type `t`, padded with zeros to whole chunks.
    pub(crate) fn record(&self, t: usize, shape: &BatchShape) -> Vec<RecordByte> {
        let cells = |f: &Field| {
            f.bytes
                .iter()
                .map(|b| RecordByte::Cell(*b))
                .collect::<Vec<_>>()
        };
        let mut r = vec![RecordByte::Constant(t as u8)];
        let key = self.key_packed.iter().map(|b| RecordByte::Cell(*b));
        match t {
            DEPOSIT => {
                r.extend(cells(&self.index_a));
                r.extend(cells(&self.token));
                r.extend(cells(&self.amount));
                r.extend(key);
                r.extend(cells(&self.l1_address));
            }
            TRANSFER | TRANSFER_TO_NEW => {
                r.extend(cells(&self.index_a));
                r.extend(cells(&self.index_b));
                r.extend(cells(&self.amount_packed));
                r.extend(cells(&self.fee_packed));
                if t == TRANSFER_TO_NEW {
                    r.extend(key);
                    r.extend(cells(&self.l1_address));
                }
            }
            WITHDRAW => {
                r.extend(cells(&self.index_a));
                r.extend(cells(&self.token));
                r.extend(cells(&self.amount));
                r.extend(cells(&self.fee_packed));
                r.extend(cells(&self.l1_address));
            }
            FORCED_EXIT => {
                r.extend(cells(&self.index_a));
                r.extend(cells(&self.token));
                r.extend(cells(&self.amount));
                r.extend(cells(&self.l1_address));
            }
            _ => {}
        }
        let total = shape.op_chunks(t as u8).unwrap_or(1) * shape.chunk_bytes();
        r.resize(total, RecordByte::Constant(0));
        r
    }

    /// The chunk's bytes: `Σ_{t,k} flag_t·position_k·slice_{t,k}` as one value, range-checked to
    /// the chunk's width; returns its bytes, big-endian.
    pub(crate) fn chunk_bytes(
        &self,
        glue: &Glue<'_>,
        layout: &mut Layout<'_, '_>,
        shape: &BatchShape,
    ) -> Result<Vec<Word>, Error> {
        let width = shape.chunk_bytes();
        let mut selected = glue.zero;
        for t in 0..OP_TYPES {
            let record = self.record(t, shape);
            for (k, slice) in record.chunks(width).enumerate() {
                let mut constant = Fr::ZERO;
                let mut terms = Vec::new();
                for (i, byte) in slice.iter().enumerate() {
                    let weight = Fr::from(256).pow([(width - 1 - i) as u64]);
                    match byte {
                        RecordByte::Cell(cell) => terms.push((cell, weight)),
                        RecordByte::Constant(c) => constant += weight * Fr::from(u64::from(*c)),
                    }
                }
                let value = glue.sum(layout, &terms, constant)?;
                let active = glue.mul(layout, &self.flags[t], &self.position[k])?;
                selected = glue
                    .chips
                    .arith
                    .mul_add(layout, &active, &value, &selected)?;
            }
        }
        let mut bytes = glue.bytes_le(layout, &selected, 8 * width)?;
        bytes.reverse();
        Ok(bytes)
    }
}
