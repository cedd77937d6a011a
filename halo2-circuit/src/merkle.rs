//! The account tree as gates: a leaf write along one path of the quaternary tree, the statement
//! of `zksettle_circuits::gadgets::merkle`.
//!
//! For a leaf at index `i` with siblings `(σ_l,0, σ_l,1, σ_l,2)` in position order, level `l`
//! places the path node `n_l` among its siblings by the base-4 digit `d_l = b + 2·b'` of `i` and
//! hashes the four children: `n_{l+1} = Poseidon(c_0, c_1, c_2, c_3)`. With the one-hot digit
//! `e_0 = (1 − b)(1 − b')`, `e_1 = b(1 − b')`, `e_2 = (1 − b)b'`, `e_3 = b·b'`:
//!
//! ```text
//! c_0 = e_0·n + (1 − e_0)·σ_0
//! c_1 = e_1·n + e_0·σ_0 + (e_2 + e_3)·σ_1
//! c_2 = e_2·n + (e_0 + e_1)·σ_1 + e_3·σ_2
//! c_3 = e_3·n + (1 − e_3)·σ_2
//! ```
//!
//! A write climbs twice with the same digits and siblings, from the old leaf and from the new:
//! the old root proves the old leaf was in the tree, the new root is the tree with only that
//! leaf changed. Each level takes two placement rows, the old path's and the new one's, then the
//! two hashes. The rows hold `n`, the running sum `z`, `z'` and the children in copyable
//! columns and `b`, `b'` and the siblings in plain ones, under the gates
//!
//! ```text
//! place (both rows):   b·(1 − b) = 0,  b'·(1 − b') = 0,  c_j = (the placement above)
//! digit (old row):     z = 4·z' + b + 2·b'
//! same level (old row, with the new row below): b, b', σ_0, σ_1, σ_2 equal in both rows
//! ```
//!
//! The running sum starts at the index (copied in) and must reach 0 after the last level, so the
//! digits are exactly the index's and the index is below `4^L`. A write of depth `D = 2L` takes
//! `L·(2 + 2·69)` rows and `L·(22 + 2·445)` advice cells: at `D = 24`, 1,680 rows and 10,944
//! cells, against the R1CS gadget's 7,248 constraints.

use crate::layout::{Layout, SharedColumns, Word};
use crate::poseidon::PoseidonConfig;
use crate::Fr;
use halo2_proofs::circuit::Value;
use halo2_proofs::halo2curves::ff::{Field as _, PrimeField as _};
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Selector};
use halo2_proofs::poly::Rotation;

/// The gates of a leaf write. It uses 7 copyable and 5 plain shared columns; the Poseidon chip it
/// hashes with must hash 4 inputs.
#[derive(Debug, Clone)]
pub struct MerkleConfig {
    node: Column<Advice>,
    z: Column<Advice>,
    z_next: Column<Advice>,
    children: [Column<Advice>; 4],
    low: Column<Advice>,
    high: Column<Advice>,
    siblings: [Column<Advice>; 3],
    place: Selector,
    digit: Selector,
    same_level: Selector,
}

/// The children of a node placed by digit bits `(low, high)` among `siblings`, as the place gate
/// relates them (from the cells as assigned: any field values).
fn children(node: Fr, (low, high): (Fr, Fr), [s0, s1, s2]: [Fr; 3]) -> [Fr; 4] {
    let one = Fr::ONE;
    let e = [
        (one - low) * (one - high),
        low * (one - high),
        (one - low) * high,
        low * high,
    ];
    [
        e[0] * node + (one - e[0]) * s0,
        e[1] * node + e[0] * s0 + (e[2] + e[3]) * s1,
        e[2] * node + (e[0] + e[1]) * s1 + e[3] * s2,
        e[3] * node + (one - e[3]) * s2,
    ]
}

/// Bits `2l` and `2l + 1` of the canonical encoding of `index`.
fn digit_bits(index: &Fr, level: usize) -> (Fr, Fr) {
    let repr = index.to_repr();
    let bit = |i: usize| Fr::from(u64::from(i < 256 && (repr[i / 8] >> (i % 8)) & 1 == 1));
    (bit(2 * level), bit(2 * level + 1))
}

impl MerkleConfig {
    /// Adds the gates over the shared columns.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &SharedColumns) -> Self {
        shared.require("the Merkle chip", 7, 5, 0);
        let (c, p) = (&shared.copyable, &shared.plain);
        let config = Self {
            node: c[0],
            z: c[1],
            z_next: c[2],
            children: [c[3], c[4], c[5], c[6]],
            low: p[0],
            high: p[1],
            siblings: [p[2], p[3], p[4]],
            place: meta.selector(),
            digit: meta.selector(),
            same_level: meta.selector(),
        };
        config.add_gates(meta);
        config
    }

    fn add_gates(&self, meta: &mut ConstraintSystem<Fr>) {
        let one = || Expression::Constant(Fr::ONE);
        meta.create_gate("merkle place", |meta| {
            let q = meta.query_selector(self.place);
            let cur = |meta: &mut halo2_proofs::plonk::VirtualCells<'_, Fr>, c| {
                meta.query_advice(c, Rotation::cur())
            };
            let (n, b, b_high) = (
                cur(meta, self.node),
                cur(meta, self.low),
                cur(meta, self.high),
            );
            let [s0, s1, s2] = self.siblings.map(|s| cur(meta, s));
            let c = self.children.map(|c| cur(meta, c));
            let e0 = (one() - b.clone()) * (one() - b_high.clone());
            let e1 = b.clone() * (one() - b_high.clone());
            let e2 = (one() - b.clone()) * b_high.clone();
            let e3 = b.clone() * b_high.clone();
            let placed = [
                e0.clone() * n.clone() + (one() - e0.clone()) * s0.clone(),
                e1.clone() * n.clone() + e0.clone() * s0 + (e2.clone() + e3.clone()) * s1.clone(),
                e2 * n.clone() + (e0 + e1) * s1 + e3.clone() * s2.clone(),
                e3.clone() * n + (one() - e3) * s2,
            ];
            let booleans = [b.clone() * (one() - b), b_high.clone() * (one() - b_high)];
            booleans
                .into_iter()
                .chain(c.into_iter().zip(placed).map(|(c, placed)| c - placed))
                .map(|constraint| q.clone() * constraint)
                .collect::<Vec<_>>()
        });
        meta.create_gate("merkle digit", |meta| {
            let q = meta.query_selector(self.digit);
            let z = meta.query_advice(self.z, Rotation::cur());
            let z_next = meta.query_advice(self.z_next, Rotation::cur());
            let b = meta.query_advice(self.low, Rotation::cur());
            let b_high = meta.query_advice(self.high, Rotation::cur());
            let four = Expression::Constant(Fr::from(4));
            let two = Expression::Constant(Fr::from(2));
            vec![q * (z - (four * z_next + b + two * b_high))]
        });
        meta.create_gate("merkle same level", |meta| {
            let q = meta.query_selector(self.same_level);
            [self.low, self.high]
                .into_iter()
                .chain(self.siblings)
                .map(|c| {
                    q.clone()
                        * (meta.query_advice(c, Rotation::next())
                            - meta.query_advice(c, Rotation::cur()))
                })
                .collect::<Vec<_>>()
        });
    }

    /// The roots before and after replacing the leaf `before` by `after` at `index`, along
    /// `siblings` (leaf level first, each level in position order). Constrains `index < 4^L` for
    /// `L = siblings.len()` levels; no levels is [`Error::Synthesis`].
    pub fn write_leaf(
        &self,
        layout: &mut Layout<'_, '_>,
        poseidon: &PoseidonConfig,
        index: &Word,
        (before, after): (&Word, &Word),
        siblings: &[[Value<Fr>; 3]],
    ) -> Result<(Word, Word), Error> {
        if siblings.is_empty() {
            return Err(Error::Synthesis);
        }
        let (mut old, mut new) = (*before, *after);
        let mut z = *index;
        for (level, level_siblings) in siblings.iter().enumerate() {
            let row = layout.take_rows(2);
            layout.enable(self.place, row)?;
            layout.enable(self.place, row + 1)?;
            layout.enable(self.digit, row)?;
            layout.enable(self.same_level, row)?;

            let z_here = layout.copy(&z, self.z, row);
            let bits = index.value.map(|i| digit_bits(&i, level));
            let low = layout.advice(self.low, row, bits.map(|b| b.0));
            let high = layout.advice(self.high, row, bits.map(|b| b.1));
            let old_siblings: Vec<Word> = self
                .siblings
                .iter()
                .zip(level_siblings)
                .map(|(c, s)| layout.advice(*c, row, *s))
                .collect();
            // Each row goes on from the cells as assigned (a cheating prover's view).
            let next = z_here
                .value
                .zip(low.value.zip(high.value))
                .map(|(z, (b, b_high))| {
                    (z - b - b_high - b_high) * Fr::from(4).invert().unwrap_or(Fr::ZERO)
                });
            z = if level + 1 == siblings.len() {
                // The index is used up: below 4^L.
                layout.constant(Fr::ZERO, self.z_next, row)?
            } else {
                layout.advice(self.z_next, row, next)
            };
            let old_children = self.place_row(layout, row, &old, (&low, &high), &old_siblings);

            let new_low = layout.advice(self.low, row + 1, low.value);
            let new_high = layout.advice(self.high, row + 1, high.value);
            let new_siblings: Vec<Word> = self
                .siblings
                .iter()
                .zip(&old_siblings)
                .map(|(c, s)| layout.advice(*c, row + 1, s.value))
                .collect();
            let new_children =
                self.place_row(layout, row + 1, &new, (&new_low, &new_high), &new_siblings);

            old = poseidon.hash(layout, &old_children)?;
            new = poseidon.hash(layout, &new_children)?;
        }
        Ok((old, new))
    }

    /// Copies `node` into `row` and assigns its children there.
    fn place_row(
        &self,
        layout: &mut Layout<'_, '_>,
        row: usize,
        node: &Word,
        (low, high): (&Word, &Word),
        siblings: &[Word],
    ) -> Vec<Word> {
        let node = layout.copy(node, self.node, row);
        let sigma: Value<Vec<Fr>> = siblings.iter().map(|s| s.value).collect();
        let children = node
            .value
            .zip(low.value.zip(high.value))
            .zip(sigma)
            .map(|((n, bits), s)| children(n, bits, [s[0], s[1], s[2]]));
        (0..4)
            .map(|j| layout.advice(self.children[j], row, children.map(|c| c[j])))
            .collect()
    }
}

#[cfg(test)]
mod tests;
