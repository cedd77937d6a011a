//! Linear equations over cells and *spread pieces*: the one gate SHA-256 is written in.
//!
//! The spread of an integer `v = Σ b_i·2^i` is `spread(v) = Σ b_i·4^i`: its bits with a zero
//! between each two. Adding spreads adds bit by bit without carries crossing bits: for three
//! words, the digit at `4^i` of `spread(x) + spread(y) + spread(z)` is `x_i + y_i + z_i ∈ {0..3}`,
//! two bits whose low one is `x_i ⊕ y_i ⊕ z_i` and whose high one is `maj(x_i, y_i, z_i)`. So a
//! sum of spreads `S` written as `spread(E) + 2·spread(O)` gives the XOR in `E` and the majority
//! in `O`, and `S` has one such decomposition (each digit below 4 splits one way). Rotations
//! and shifts of a word cut into pieces at the rotation's offsets are linear in the pieces'
//! spreads. Everything SHA-256 does is then linear, given pieces that are checked to be
//! `(len, v, spread(v))` with `v < 2^len`, `len ≤ 8`.
//!
//! A piece is checked by a lookup into a 511-row table holding `(len, v, spread(v))` for every
//! `len ∈ 0..=8` and `v < 2^len`. An **equation** `Σ_i c_i·x_i + k = 0` over cells (copies of
//! earlier cells, fresh cells, fresh pieces' two cells) takes `n` rows of 8 cells:
//!
//! ```text
//! row r:  x_{r,0} … x_{r,7}  (copyable)   c_{r,0} … c_{r,7}, k_r  (fixed)   acc_r  (plain)
//! first (row 0):        acc_0 = 0
//! step  (rows 0…n−2):   acc_{r+1} = acc_r + Σ_j c_{r,j}·x_{r,j} + k_r
//! last  (row n−1):      acc_{n−1} + Σ_j c_{n−1,j}·x_{n−1,j} + k_{n−1} = 0
//! piece s (s < 4):      (len_{r,s}, x_{r,2s}, x_{r,2s+1}) ∈ table   (selector q_s)
//! ```
//!
//! so a row carries up to four pieces and eight terms. A slot whose selector is off looks up
//! `(len, 0, 0)`, which the table holds for every `len`, and its two cells are free for other
//! terms. The gates have degree 3 with their selectors. The chip uses the 8 copyable, 1 plain
//! and 8 fixed shared columns, 5 fixed columns of its own (the constant and the four lengths)
//! and 3 table columns.

use crate::layout::{Layout, SharedColumns, Word};
use crate::Fr;
use halo2_proofs::circuit::{Layouter, Value};
use halo2_proofs::halo2curves::ff::Field as _;
use halo2_proofs::plonk::{Advice, Column, ConstraintSystem, Error, Fixed, Selector, TableColumn};
use halo2_proofs::poly::Rotation;

/// The widest piece.
pub const MAX_PIECE_BITS: u32 = 8;
/// Cells per row.
const WIDTH: usize = 8;
/// Piece slots per row.
const SLOTS: usize = WIDTH / 2;

/// `v` with a zero bit inserted above each of its bits.
pub fn spread(v: u64) -> u64 {
    (0..32).fold(0, |acc, i| acc | (((v >> i) & 1) << (2 * i)))
}

/// One term of an equation.
#[derive(Debug, Clone, Copy)]
pub enum Term<'w> {
    /// A copy of an earlier cell, times a coefficient.
    Copy(&'w Word, Fr),
    /// A fresh cell holding `value`, times a coefficient.
    Fresh(Value<Fr>, Fr),
    /// A fresh piece of `len` bits holding `value`: `dense·v + spread·spread(v)`.
    Piece {
        /// Its width, at most [`MAX_PIECE_BITS`].
        len: u32,
        /// Its value, below `2^len` for an honest prover.
        value: Value<u64>,
        /// The coefficient of `v`.
        dense: Fr,
        /// The coefficient of `spread(v)`.
        spread: Fr,
    },
}

/// A piece as laid out: its value's cell and its spread's.
#[derive(Debug, Clone, Copy)]
pub struct PieceCells {
    /// `v`.
    pub dense: Word,
    /// `spread(v)`.
    pub spread: Word,
}

/// What an equation laid out for one of its terms.
#[derive(Debug, Clone, Copy)]
pub enum Placed {
    /// The copy of a [`Term::Copy`].
    Copied(Word),
    /// The cell of a [`Term::Fresh`].
    Fresh(Word),
    /// The cells of a [`Term::Piece`].
    Piece(PieceCells),
}

impl Placed {
    /// The cell of a fresh term (or the copy), [`Error::Synthesis`] for a piece.
    pub fn cell(&self) -> Result<Word, Error> {
        match self {
            Placed::Copied(word) | Placed::Fresh(word) => Ok(*word),
            Placed::Piece(_) => Err(Error::Synthesis),
        }
    }

    /// The cells of a piece, [`Error::Synthesis`] for anything else.
    pub fn piece(&self) -> Result<PieceCells, Error> {
        match self {
            Placed::Piece(cells) => Ok(*cells),
            _ => Err(Error::Synthesis),
        }
    }
}

/// The equation gate, the piece lookups and the table.
#[derive(Debug, Clone)]
pub struct SpreadConfig {
    cells: [Column<Advice>; WIDTH],
    coefficients: [Column<Fixed>; WIDTH],
    constant: Column<Fixed>,
    lengths: [Column<Fixed>; SLOTS],
    accumulator: Column<Advice>,
    pieces: [Selector; SLOTS],
    first: Selector,
    step: Selector,
    last: Selector,
    table: [TableColumn; 3],
}

impl SpreadConfig {
    /// Adds the gates, the four lookups and the table's columns.
    pub fn configure(meta: &mut ConstraintSystem<Fr>, shared: &SharedColumns) -> Self {
        shared.require("the spread chip", WIDTH, 1, WIDTH);
        let config = Self {
            cells: std::array::from_fn(|i| shared.copyable[i]),
            coefficients: std::array::from_fn(|i| shared.fixed[i]),
            constant: meta.fixed_column(),
            lengths: std::array::from_fn(|_| meta.fixed_column()),
            accumulator: shared.plain[0],
            pieces: std::array::from_fn(|_| meta.complex_selector()),
            first: meta.selector(),
            step: meta.selector(),
            last: meta.selector(),
            table: std::array::from_fn(|_| meta.lookup_table_column()),
        };
        meta.create_gate("spread equation", |meta| {
            let terms = config.cells.iter().zip(&config.coefficients).fold(
                meta.query_fixed(config.constant, Rotation::cur()),
                |sum, (x, c)| {
                    sum + meta.query_fixed(*c, Rotation::cur())
                        * meta.query_advice(*x, Rotation::cur())
                },
            );
            let acc = meta.query_advice(config.accumulator, Rotation::cur());
            let acc_next = meta.query_advice(config.accumulator, Rotation::next());
            let first = meta.query_selector(config.first);
            let step = meta.query_selector(config.step);
            let last = meta.query_selector(config.last);
            vec![
                first * acc.clone(),
                step * (acc_next - acc.clone() - terms.clone()),
                last * (acc + terms),
            ]
        });
        for slot in 0..SLOTS {
            meta.lookup("spread piece", |meta| {
                let q = meta.query_selector(config.pieces[slot]);
                let len = meta.query_fixed(config.lengths[slot], Rotation::cur());
                let dense = meta.query_advice(config.cells[2 * slot], Rotation::cur());
                let spread = meta.query_advice(config.cells[2 * slot + 1], Rotation::cur());
                let [t_len, t_dense, t_spread] = config.table;
                vec![
                    (len, t_len),
                    (q.clone() * dense, t_dense),
                    (q * spread, t_spread),
                ]
            });
        }
        config
    }

    /// The `i`-th of the chip's copyable columns, for constant cells laid out in rows the chip's
    /// gates leave off.
    pub fn cell_column(&self, i: usize) -> Column<Advice> {
        self.cells[i % WIDTH]
    }

    /// Fills the table (once per circuit, outside the layout's region).
    pub fn load_table(&self, layouter: &mut impl Layouter<Fr>) -> Result<(), Error> {
        layouter.assign_table(
            || "spread pieces",
            |mut table| {
                let mut row = 0;
                for len in 0..=MAX_PIECE_BITS {
                    for v in 0..1u64 << len {
                        for (column, value) in self.table.iter().zip([len.into(), v, spread(v)]) {
                            table.assign_cell(
                                || "spread",
                                *column,
                                row,
                                || Value::known(Fr::from(value)),
                            )?;
                        }
                        row += 1;
                    }
                }
                Ok(())
            },
        )
    }

    /// Lays out `Σ terms + constant = 0`; returns what each term became, in order. A piece
    /// wider than [`MAX_PIECE_BITS`] or an empty equation is [`Error::Synthesis`].
    pub fn equation(
        &self,
        layout: &mut Layout<'_, '_>,
        terms: &[Term<'_>],
        constant: Fr,
    ) -> Result<Vec<Placed>, Error> {
        let pieces = terms
            .iter()
            .filter(|t| matches!(t, Term::Piece { .. }))
            .count();
        let singles = terms.len() - pieces;
        let rows = pieces
            .div_ceil(SLOTS)
            .max((2 * pieces + singles).div_ceil(WIDTH));
        if rows == 0 {
            return Err(Error::Synthesis);
        }
        let first = layout.take_rows(rows);
        // Pieces fill the slots row by row; the other terms fill the cells left over.
        let mut free: Vec<(usize, usize)> = (0..rows)
            .flat_map(|r| (0..WIDTH).map(move |c| (r, c)))
            .filter(|&(r, c)| r * SLOTS + c / 2 >= pieces)
            .collect();
        free.reverse();
        let mut sums = vec![Value::known(Fr::ZERO); rows];
        sums[0] = Value::known(constant);
        layout.fixed(self.constant, first, constant);
        let mut next_piece = 0;
        let mut placed = Vec::with_capacity(terms.len());
        for term in terms {
            let mut single = |layout: &mut Layout<'_, '_>, value: Value<Fr>, coefficient: Fr| {
                let (r, c) = free.pop().ok_or(Error::Synthesis)?;
                layout.fixed(self.coefficients[c], first + r, coefficient);
                sums[r] = sums[r] + value.map(|v| v * coefficient);
                Ok::<_, Error>((r, c))
            };
            placed.push(match *term {
                Term::Copy(word, coefficient) => {
                    let (r, c) = single(layout, word.value, coefficient)?;
                    Placed::Copied(layout.copy(word, self.cells[c], first + r))
                }
                Term::Fresh(value, coefficient) => {
                    let (r, c) = single(layout, value, coefficient)?;
                    Placed::Fresh(layout.advice(self.cells[c], first + r, value))
                }
                Term::Piece {
                    len,
                    value,
                    dense,
                    spread: spread_coefficient,
                } => {
                    if len > MAX_PIECE_BITS {
                        return Err(Error::Synthesis);
                    }
                    let (r, slot) = (next_piece / SLOTS, next_piece % SLOTS);
                    next_piece += 1;
                    let row = first + r;
                    layout.enable(self.pieces[slot], row)?;
                    layout.fixed(self.lengths[slot], row, Fr::from(u64::from(len)));
                    let (dense_column, spread_column) = (2 * slot, 2 * slot + 1);
                    layout.fixed(self.coefficients[dense_column], row, dense);
                    layout.fixed(self.coefficients[spread_column], row, spread_coefficient);
                    let cells = PieceCells {
                        dense: layout.advice(self.cells[dense_column], row, value.map(Fr::from)),
                        spread: layout.advice(
                            self.cells[spread_column],
                            row,
                            value.map(|v| Fr::from(spread(v))),
                        ),
                    };
                    sums[r] = sums[r]
                        + cells.dense.value.map(|v| v * dense)
                        + cells.spread.value.map(|v| v * spread_coefficient);
                    Placed::Piece(cells)
                }
            });
        }
        // The running sum, from the cells as assigned (a cheating prover's view).
        let mut acc = Value::known(Fr::ZERO);
        for (r, sum) in sums.iter().enumerate() {
            let row = first + r;
            layout.advice(self.accumulator, row, acc);
            if r == 0 {
                layout.enable(self.first, row)?;
            }
            if r + 1 == rows {
                layout.enable(self.last, row)?;
            } else {
                layout.enable(self.step, row)?;
            }
            acc = acc + *sum;
        }
        Ok(placed)
    }
}

#[cfg(test)]
mod tests;
