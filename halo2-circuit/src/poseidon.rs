//! circomlib's Poseidon as custom gates: one row per round.
//!
//! For `n` inputs (width `t = n + 1`) the state starts as `[0, x_1, …, x_n]` and round `r`
//! computes, with the native constants `C` and MDS matrix `M` of `zksettle_core::poseidon`:
//!
//! ```text
//! u_j = s_j + C[r·t + j]
//! v_j = u_j^5   (every j in a full round; j = 0 in a partial round, v_j = u_j for the others)
//! s'  = M · v
//! ```
//!
//! Round `r` takes row `r`: its state `s` in `t` copyable advice columns, its constants `c` in
//! `t` fixed columns, and the squares `w_j = u_j^2` of the cells it S-boxes in `t` plain advice
//! columns, all of them the circuit's [`SharedColumns`].
//! One pair of gates per width and round kind relates row `r` to row `r + 1`, for every `i, j < t`
//! (`j = 0` only, in a partial round):
//!
//! ```text
//! square:   q · ( w_j − (s_j + c_j)^2 )                                                  = 0
//! full:     q · ( s_i(next) − Σ_j M_ij · w_j^2 · (s_j + c_j) )                           = 0
//! partial:  q · ( s_i(next) − M_i0 · w_0^2 · (s_0 + c_0) − Σ_{j≥1} M_ij · (s_j + c_j) )  = 0
//! ```
//!
//! The square is witnessed because `halo2-axiom` caps a gate's degree at 5 (its `MAX_DEGREE`),
//! and `q · u^5` has degree 6; with it the gates have degree 3 and 4. Row 0 holds the capacity
//! cell, equal to the constant 0, and copies of the inputs; the hash is `s_0` in row `8 + R_P`.
//! A hash takes `9 + R_P(t)` rows and `t·(9 + R_P) + 8·t + R_P` advice cells:
//!
//! | inputs | width `t` | `R_P` | rows | advice cells | R1CS constraints (`zksettle-circuits`) |
//! |---|---|---|---|---|---|
//! | 4 (tree node) | 5 | 60 | 69 | 445 | 297 |
//! | 5 (EdDSA challenge) | 6 | 60 | 69 | 522 | 321 |
//! | 6 (account leaf) | 7 | 63 | 72 | 623 | 354 |
//! | 7 (transaction message) | 8 | 64 | 73 | 712 | 381 |
//!
//! (R1CS: `3·(8·t + R_P) − 3`.) A circuit configures only the widths it hashes at: every width
//! adds two gates, which the verifier evaluates.

use crate::field::to_circuit;
use crate::layout::{Layout, SharedColumns, Word};
use crate::Fr;
use halo2_proofs::circuit::Value;
use halo2_proofs::halo2curves::ff::Field as _;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Expression, Fixed, Selector};
use halo2_proofs::poly::Rotation;
use zksettle_core::poseidon::{params, PoseidonParams};

/// The widest permutation the batch statement uses: the transaction message's seven inputs.
pub const MAX_INPUTS: usize = 7;

/// The columns and gates of Poseidon for a set of input counts.
#[derive(Debug, Clone)]
pub struct PoseidonConfig {
    state: Vec<Column<Advice>>,
    squares: Vec<Column<Advice>>,
    round_constants: Vec<Column<Fixed>>,
    widths: Vec<WidthGates>,
}

/// The gates of one width, and its constants in the circuit's field.
#[derive(Debug, Clone)]
struct WidthGates {
    params: &'static PoseidonParams,
    width: usize,
    full: Selector,
    partial: Selector,
    round_constants: Vec<Fr>,
    mds: Vec<Vec<Fr>>,
}

impl WidthGates {
    fn new(params: &'static PoseidonParams, full: Selector, partial: Selector) -> Self {
        Self {
            params,
            width: params.width,
            full,
            partial,
            round_constants: params.round_constants.iter().map(to_circuit).collect(),
            mds: params
                .mds
                .iter()
                .map(|row| row.iter().map(to_circuit).collect())
                .collect(),
        }
    }

    fn rounds(&self) -> usize {
        self.params.rounds()
    }

    fn is_full_round(&self, r: usize) -> bool {
        self.params.is_full_round(r)
    }

    /// How many cells round `r` S-boxes: the first `t` or the first one.
    fn sboxes(&self, r: usize) -> usize {
        if self.is_full_round(r) {
            self.width
        } else {
            1
        }
    }

    /// The squares `(s_j + c_j)^2` of the S-boxed cells of round `r` (the witness).
    fn squares(&self, r: usize, state: &[Fr]) -> Vec<Fr> {
        state
            .iter()
            .zip(self.round_constants(r))
            .take(self.sboxes(r))
            .map(|(s, c)| (*s + c).square())
            .collect()
    }

    fn round_constants(&self, r: usize) -> &[Fr] {
        &self.round_constants[r * self.width..(r + 1) * self.width]
    }

    /// The state after round `r` from its state and the squares of its S-boxed cells (the
    /// witness, as the gates relate them: `v_j = w_j^2 · u_j`).
    fn round(&self, r: usize, state: &[Fr], squares: &[Fr]) -> Vec<Fr> {
        let sboxed: Vec<Fr> = state
            .iter()
            .zip(self.round_constants(r))
            .enumerate()
            .map(|(j, (s, c))| {
                let u = *s + c;
                squares.get(j).map_or(u, |w| w.square() * u)
            })
            .collect();
        self.mds
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&sboxed)
                    .fold(Fr::ZERO, |acc, (m, v)| acc + *m * v)
            })
            .collect()
    }
}

impl PoseidonConfig {
    /// Adds the gates for hashes of each of `input_counts` inputs (1 to [`MAX_INPUTS`]; a count
    /// outside is a bug of the circuit's shape, and panics here, at configuration, never on a
    /// witness), over the first `t` shared columns of each kind for the widest `t`.
    pub fn configure(
        meta: &mut ConstraintSystem<Fr>,
        shared: &SharedColumns,
        input_counts: &[usize],
    ) -> Self {
        let max_width = input_counts.iter().max().map_or(0, |n| n + 1);
        shared.require("the Poseidon chip", max_width, max_width, max_width);
        let state = shared.copyable[..max_width].to_vec();
        let squares = shared.plain[..max_width].to_vec();
        let round_constants = shared.fixed[..max_width].to_vec();
        let widths = input_counts
            .iter()
            .map(|&n| {
                assert!(
                    (1..=MAX_INPUTS).contains(&n),
                    "the Poseidon chip hashes 1 to {MAX_INPUTS} inputs, configured for {n}"
                );
                let params = params(n).expect("1 to 7 inputs are within circomlib's range");
                let gates = WidthGates::new(params, meta.selector(), meta.selector());
                add_gates(meta, &gates, &state, &squares, &round_constants);
                gates
            })
            .collect();
        Self {
            state,
            squares,
            round_constants,
            widths,
        }
    }

    /// Rows a hash of `inputs` inputs takes, if that width is configured.
    pub fn rows(&self, inputs: usize) -> Option<usize> {
        self.gates(inputs).map(|g| g.rounds() + 1)
    }

    fn gates(&self, inputs: usize) -> Option<&WidthGates> {
        self.widths.iter().find(|g| g.width == inputs + 1)
    }

    /// Lays out `Poseidon(inputs)` in fresh rows and returns the cell holding the hash.
    ///
    /// Refuses with [`Error::Synthesis`] an input count this config has no gates for.
    pub fn hash(&self, layout: &mut Layout<'_, '_>, inputs: &[Word]) -> Result<Word, Error> {
        let gates = self.gates(inputs.len()).ok_or(Error::Synthesis)?;
        let t = gates.width;
        let first = layout.take_rows(gates.rounds() + 1);
        let mut state = Vec::with_capacity(t);
        state.push(layout.constant(Fr::ZERO, self.state[0], first)?);
        for (input, column) in inputs.iter().zip(&self.state[1..]) {
            state.push(layout.copy(input, *column, first));
        }
        for r in 0..gates.rounds() {
            let row = first + r;
            let selector = if gates.is_full_round(r) {
                gates.full
            } else {
                gates.partial
            };
            layout.enable(selector, row)?;
            for (column, c) in self.round_constants.iter().zip(gates.round_constants(r)) {
                layout.fixed(*column, row, *c);
            }
            let current: Value<Vec<Fr>> = state.iter().map(|w| w.value).collect();
            let squares = current.as_ref().map(|s| gates.squares(r, s));
            // Each round goes on from the cells as assigned, so that a tampered cell is carried
            // forward as a cheating prover would, and only the gate it breaks can catch it.
            let squares: Value<Vec<Fr>> = (0..gates.sboxes(r))
                .map(|j| {
                    let w = squares.as_ref().map(|w| w[j]);
                    layout.advice(self.squares[j], row, w).value
                })
                .collect();
            let next = current.zip(squares).map(|(s, w)| gates.round(r, &s, &w));
            state = (0..t)
                .map(|i| layout.advice(self.state[i], row + 1, next.as_ref().map(|n| n[i])))
                .collect();
        }
        Ok(state[0])
    }
}

/// The gates of one width, full and partial rounds (see the module docs).
fn add_gates(
    meta: &mut ConstraintSystem<Fr>,
    gates: &WidthGates,
    state: &[Column<Advice>],
    squares: &[Column<Advice>],
    round_constants: &[Column<Fixed>],
) {
    let t = gates.width;
    for (selector, sboxes, name) in [
        (gates.full, t, "poseidon full round"),
        (gates.partial, 1, "poseidon partial round"),
    ] {
        meta.create_gate(name, |meta| {
            let q = meta.query_selector(selector);
            let u: Vec<Expression<Fr>> = (0..t)
                .map(|j| {
                    meta.query_advice(state[j], Rotation::cur())
                        + meta.query_fixed(round_constants[j], Rotation::cur())
                })
                .collect();
            let w: Vec<Expression<Fr>> = (0..sboxes)
                .map(|j| meta.query_advice(squares[j], Rotation::cur()))
                .collect();
            let squared = w
                .iter()
                .zip(&u)
                .map(|(w, u)| q.clone() * (w.clone() - u.clone() * u.clone()));
            // v_j = w_j^2 · u_j = u_j^5 where the square constraint holds.
            let v: Vec<Expression<Fr>> = u
                .iter()
                .enumerate()
                .map(|(j, u)| match w.get(j) {
                    Some(w) => w.clone() * w.clone() * u.clone(),
                    None => u.clone(),
                })
                .collect();
            let mixed = gates.mds.iter().enumerate().map(|(i, row)| {
                let next = meta.query_advice(state[i], Rotation::next());
                let mix = row
                    .iter()
                    .zip(&v)
                    .map(|(m, v)| Expression::Constant(*m) * v.clone())
                    .reduce(|a, b| a + b)
                    .expect("a width is at least 2");
                q.clone() * (next - mix)
            });
            squared.chain(mixed).collect::<Vec<_>>()
        });
    }
}

#[cfg(test)]
mod tests;
