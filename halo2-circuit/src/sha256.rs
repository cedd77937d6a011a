//! SHA-256 (FIPS 180-4) by spread-table lookups, over a message of bytes whose length the
//! circuit fixes (the batch commitment's preimage, `docs/protocol.md` §10).
//!
//! Every step is an equation of the [`spread`](crate::spread) chip. A 32-bit word is held as
//! pieces of at most 8 bits, cut where its rotations cut it, so that `Σ0`, `Σ1`, `σ0`, `σ1` are
//! sums of the pieces' spreads:
//!
//! | word | pieces (bits, low first) | cut at |
//! |---|---|---|
//! | `a` | 2, 8, 3, 8, 1, 8, 2 | `Σ0`: 2, 13, 22 |
//! | `e` | 6, 5, 8, 6, 7 | `Σ1`: 6, 11, 25 |
//! | `W_t` | 3, 4, 3, 7, 1, 1, 8, 5 | `σ0`: 3 (shift), 7, 18; `σ1`: 10 (shift), 17, 19 |
//! | digest words | 8, 8, 8, 8 (the first: 8, 8, 8, 5, 3) | bytes; the commitment drops the top three bits |
//!
//! and each word also gets a cell for its value and one for its spread. Per round:
//!
//! - `Σ1(e)`: the three rotations' spreads summed, decomposed as `spread(X) + 2·spread(M)` into
//!   four even and four odd bytes; `X` is `Σ1(e)` (the module docs of `spread` say why it is
//!   unique). `Σ0(a)` and, in the schedule, `σ0`, `σ1` likewise (a shift drops the pieces below
//!   it).
//! - `Ch(e, f, g) = (e ∧ f) + (¬e ∧ g)` (the two have no common bit): the odd halves of
//!   `spread(e) + spread(f)` and of `spread(2^32 − 1) − spread(e) + spread(g)`.
//! - `Maj(a, b, c)`: the odd half of `spread(a) + spread(b) + spread(c)`.
//! - `e' + 2^32·c_e = d + h + Σ1 + Ch + K_t + W_t` with `e'` in its pieces and a 3-bit carry;
//!   then `a' + 2^32·c_a = e' + 2^32·c_e − d + Σ0 + Maj`, the same sum `T1 + T2` (all terms below
//!   `2^35 ≪ r`, so these field equations are integer ones, and the pieces' widths make `e'`,
//!   `a'` the sums mod `2^32`).
//! - The schedule's `W_t = σ1(W_{t−2}) + W_{t−7} + σ0(W_{t−15}) + W_{t−16}` with a 2-bit carry;
//!   the first sixteen are the block's bytes, big-endian.
//!
//! Costs (the tests measure them): a one-block message takes 2,408 rows and 18,709 advice cells
//! (initial state and commitment included), against the R1CS gadget's 26,416 constraints per
//! block; the table is 511 rows.
//!
//! Message bytes are the caller's cells, which it has made bytes (they come out of range checks
//! or are public), or constants (padding, fixed fields): this chip does not check them again.

use crate::layout::{Layout, Word};
use crate::spread::{spread, PieceCells, SpreadConfig, Term};
use crate::Fr;
use halo2_proofs::circuit::Value;
use halo2_proofs::halo2curves::ff::{Field as _, PrimeField as _};
use halo2_proofs::plonk::Error;

// The constants of FIPS 180-4, as the R1CS gadget has them.
use zksettle_circuits::gadgets::sha256::{IV, K};

const A_CUT: &[u32] = &[2, 8, 3, 8, 1, 8, 2];
const E_CUT: &[u32] = &[6, 5, 8, 6, 7];
const W_CUT: &[u32] = &[3, 4, 3, 7, 1, 1, 8, 5];
const BYTE_CUT: &[u32] = &[8, 8, 8, 8];
const TOP_CUT: &[u32] = &[8, 8, 8, 5, 3];
/// Bits of the digest the commitment keeps (`docs/protocol.md` §10).
const COMMITMENT_BITS: u32 = 253;

/// A message byte: a cell the caller has made a byte, or a constant.
#[derive(Debug, Clone, Copy)]
pub enum Byte {
    /// A cell holding a value below 256.
    Cell(Word),
    /// A constant.
    Constant(u8),
}

impl Byte {
    fn value(&self) -> Value<u32> {
        match self {
            Byte::Cell(word) => word.value.map(|v| u32::from(v.to_repr()[0])),
            Byte::Constant(byte) => Value::known(u32::from(*byte)),
        }
    }
}

/// A piece of a word: bits `offset … offset + len − 1`.
#[derive(Debug, Clone, Copy)]
pub struct Piece {
    /// Its lowest bit's place in the word.
    pub offset: u32,
    /// Its width.
    pub len: u32,
    /// Its cells.
    pub cells: PieceCells,
}

/// A 32-bit word as laid out: its pieces (none for a constant), its value and its spread.
#[derive(Debug, Clone)]
pub struct Sha256Word {
    /// What it holds.
    pub value: Value<u32>,
    /// Its pieces, lowest first.
    pub pieces: Vec<Piece>,
    /// Its value.
    pub dense: Word,
    /// Its spread (a constant or materialised only where it is read).
    spread: Option<Word>,
}

impl Sha256Word {
    fn spread(&self) -> Result<&Word, Error> {
        self.spread.as_ref().ok_or(Error::Synthesis)
    }
}

/// The digest: eight words, big-endian order, each cut into bytes (the first's top byte cut
/// 5 + 3).
#[derive(Debug, Clone)]
pub struct Digest {
    /// `H_0 … H_7`.
    pub words: Vec<Sha256Word>,
}

impl Digest {
    /// The 32 bytes of the digest, where known.
    pub fn bytes(&self) -> Value<[u8; 32]> {
        self.words
            .iter()
            .fold(Value::known(Vec::new()), |bytes, word| {
                bytes.zip(word.value).map(|(mut b, v)| {
                    b.extend(v.to_be_bytes());
                    b
                })
            })
            .map(|b| {
                let mut out = [0; 32];
                out.copy_from_slice(&b);
                out
            })
    }
}

/// The working variables `a … h`.
#[derive(Debug, Clone)]
struct State([Sha256Word; 8]);

/// `2^n` in the field.
fn two_to(n: u32) -> Fr {
    Fr::from(2).pow([u64::from(n)])
}

fn maj(x: u32, y: u32, z: u32) -> u32 {
    (x & y) ^ (x & z) ^ (y & z)
}

/// A rotation or shift of a cut word.
#[derive(Debug, Clone, Copy)]
enum Move {
    Right(u32),
    Shift(u32),
}

impl Move {
    fn apply(self, x: u32) -> u32 {
        match self {
            Move::Right(n) => x.rotate_right(n),
            Move::Shift(n) => x >> n,
        }
    }

    /// Where bit `offset` goes, or `None` when shifted out.
    fn place(self, offset: u32) -> Option<u32> {
        match self {
            Move::Right(n) => Some((offset + 32 - n) % 32),
            Move::Shift(n) => offset.checked_sub(n),
        }
    }
}

const SIGMA0: [Move; 3] = [Move::Right(2), Move::Right(13), Move::Right(22)];
const SIGMA1: [Move; 3] = [Move::Right(6), Move::Right(11), Move::Right(25)];
const SMALL_SIGMA0: [Move; 3] = [Move::Right(7), Move::Right(18), Move::Shift(3)];
const SMALL_SIGMA1: [Move; 3] = [Move::Right(17), Move::Right(19), Move::Shift(10)];

/// SHA-256 on the spread chip.
#[derive(Debug, Clone, Copy)]
pub struct Sha256Chip<'c> {
    spread: &'c SpreadConfig,
}

impl<'c> Sha256Chip<'c> {
    /// The chip over `spread`.
    pub fn new(spread: &'c SpreadConfig) -> Self {
        Self { spread }
    }

    /// The digest of `message`.
    pub fn digest(&self, layout: &mut Layout<'_, '_>, message: &[Byte]) -> Result<Digest, Error> {
        let mut padded = message.to_vec();
        padded.push(Byte::Constant(0x80));
        while padded.len() % 64 != 56 {
            padded.push(Byte::Constant(0));
        }
        let bits = (message.len() as u64) * 8;
        padded.extend(bits.to_be_bytes().map(Byte::Constant));
        let blocks = padded.len() / 64;
        let mut chaining = self.initial_state(layout)?;
        for (n, block) in padded.chunks(64).enumerate() {
            let last = n + 1 == blocks;
            chaining = self.compress(layout, &chaining, block, last)?;
        }
        Ok(Digest {
            words: chaining.0.into(),
        })
    }

    /// The digest as a field element with its top three bits cleared: the batch commitment.
    pub fn commitment(&self, layout: &mut Layout<'_, '_>, digest: &Digest) -> Result<Word, Error> {
        let value = digest.bytes().map(|bytes| {
            bytes.iter().enumerate().fold(Fr::ZERO, |acc, (i, b)| {
                let b = if i == 0 { b & 0x1f } else { *b };
                acc * Fr::from(256) + Fr::from(u64::from(b))
            })
        });
        let mut terms = vec![Term::Fresh(value, -Fr::ONE)];
        for (i, word) in digest.words.iter().enumerate() {
            let base = 32 * (7 - i as u32);
            for piece in &word.pieces {
                if base + piece.offset + piece.len <= COMMITMENT_BITS {
                    terms.push(Term::Copy(&piece.cells.dense, two_to(base + piece.offset)));
                }
            }
        }
        self.spread.equation(layout, &terms, Fr::ZERO)?[0].cell()
    }

    /// `a … h` before the first block: `a` and `e` cut for their rotations, the rest constant
    /// cells.
    fn initial_state(&self, layout: &mut Layout<'_, '_>) -> Result<State, Error> {
        let row = layout.take_rows(2);
        let mut words = Vec::with_capacity(8);
        for (i, iv) in IV.into_iter().enumerate() {
            let cut = match i {
                0 => A_CUT,
                4 => E_CUT,
                _ => &[],
            };
            if cut.is_empty() {
                let column = self.spread.cell_column(2 * (i % 4));
                let spread_column = self.spread.cell_column(2 * (i % 4) + 1);
                let r = row + i / 4;
                words.push(Sha256Word {
                    value: Value::known(iv),
                    pieces: vec![],
                    dense: layout.constant(Fr::from(u64::from(iv)), column, r)?,
                    spread: Some(layout.constant(
                        Fr::from(spread(u64::from(iv))),
                        spread_column,
                        r,
                    )?),
                });
            } else {
                let constant = Fr::from(u64::from(iv));
                let (pieces, _) = self.cut(layout, Value::known(iv), cut, None, &[], constant)?;
                words.push(self.materialise(layout, Value::known(iv), pieces, true)?);
            }
        }
        let words: [Sha256Word; 8] = words.try_into().map_err(|_| Error::Synthesis)?;
        Ok(State(words))
    }

    /// One block: the schedule, 64 rounds, and the chaining words cut for the next block (or
    /// for the digest, if `last`).
    fn compress(
        &self,
        layout: &mut Layout<'_, '_>,
        chaining: &State,
        block: &[Byte],
        last: bool,
    ) -> Result<State, Error> {
        let schedule = self.schedule(layout, block)?;
        let mut state = chaining.clone();
        for (k, w) in K.iter().zip(&schedule) {
            state = self.round(layout, &state, *k, w)?;
        }
        let mut next = Vec::with_capacity(8);
        for (i, (before, work)) in chaining.0.iter().zip(&state.0).enumerate() {
            let cut = match (last, i) {
                (true, 0) => TOP_CUT,
                (false, 0) => A_CUT,
                (false, 4) => E_CUT,
                _ => BYTE_CUT,
            };
            let sum = before
                .value
                .zip(work.value)
                .map(|(x, y)| u64::from(x) + u64::from(y));
            let value = sum.map(|s| s as u32);
            let rhs = [(&before.dense, Fr::ONE), (&work.dense, Fr::ONE)];
            let carry = Some((1, sum.map(|s| s >> 32)));
            let (pieces, _) = self.cut(layout, value, cut, carry, &rhs, Fr::ZERO)?;
            next.push(self.materialise(layout, value, pieces, !last)?);
        }
        Ok(State(next.try_into().map_err(|_| Error::Synthesis)?))
    }

    /// `W_0 … W_63` of a block.
    fn schedule(
        &self,
        layout: &mut Layout<'_, '_>,
        block: &[Byte],
    ) -> Result<Vec<Sha256Word>, Error> {
        let mut w: Vec<Sha256Word> = Vec::with_capacity(64);
        for bytes in block.chunks(4) {
            let value = bytes.iter().fold(Value::known(0u32), |acc, byte| {
                acc.zip(byte.value()).map(|(acc, b)| (acc << 8) | b)
            });
            let mut constant = Fr::ZERO;
            let mut rhs = Vec::new();
            for (i, byte) in bytes.iter().enumerate() {
                let weight = two_to(8 * (3 - i as u32));
                match byte {
                    Byte::Cell(word) => rhs.push((word, weight)),
                    Byte::Constant(b) => constant += weight * Fr::from(u64::from(*b)),
                }
            }
            let (pieces, _) = self.cut(layout, value, W_CUT, None, &rhs, constant)?;
            w.push(self.materialise(layout, value, pieces, false)?);
        }
        for t in 16..64 {
            let s0 = self.sigma(layout, &w[t - 15], &SMALL_SIGMA0)?;
            let s1 = self.sigma(layout, &w[t - 2], &SMALL_SIGMA1)?;
            let sum = [s1.value, w[t - 7].value, s0.value, w[t - 16].value]
                .into_iter()
                .fold(Value::known(0u64), |acc, v| {
                    acc.zip(v).map(|(acc, v)| acc + u64::from(v))
                });
            let value = sum.map(|s| s as u32);
            let mut rhs = s1.terms();
            rhs.extend(s0.terms());
            rhs.push((&w[t - 7].dense, Fr::ONE));
            rhs.push((&w[t - 16].dense, Fr::ONE));
            let carry = Some((2, sum.map(|s| s >> 32)));
            let (pieces, _) = self.cut(layout, value, W_CUT, carry, &rhs, Fr::ZERO)?;
            w.push(self.materialise(layout, value, pieces, false)?);
        }
        Ok(w)
    }

    /// One round: `(a … h) → (T1 + T2, a, b, c, d + T1, e, f, g)`.
    fn round(
        &self,
        layout: &mut Layout<'_, '_>,
        state: &State,
        k: u32,
        w: &Sha256Word,
    ) -> Result<State, Error> {
        let [a, b, c, d, e, f, g, h] = &state.0;
        let sigma1 = self.sigma(layout, e, &SIGMA1)?;
        let e_and_f = self.split(
            layout,
            &[(e.spread()?, Fr::ONE), (f.spread()?, Fr::ONE)],
            Fr::ZERO,
            e.value.zip(f.value).map(|(e, f)| (e ^ f, e & f)),
        )?;
        let not_e_and_g = self.split(
            layout,
            &[(e.spread()?, -Fr::ONE), (g.spread()?, Fr::ONE)],
            Fr::from(spread(u64::from(u32::MAX))),
            e.value.zip(g.value).map(|(e, g)| (!e ^ g, !e & g)),
        )?;
        let t1 = [h.value, sigma1.value, e_and_f.odd, not_e_and_g.odd, w.value]
            .into_iter()
            .fold(Value::known(u64::from(k)), |acc, v| {
                acc.zip(v).map(|(acc, v)| acc + u64::from(v))
            });
        let e_sum = t1.zip(d.value).map(|(t1, d)| t1 + u64::from(d));
        let mut rhs = vec![
            (&d.dense, Fr::ONE),
            (&h.dense, Fr::ONE),
            (&w.dense, Fr::ONE),
        ];
        rhs.extend(sigma1.terms());
        rhs.extend(e_and_f.odd_terms());
        rhs.extend(not_e_and_g.odd_terms());
        let e_value = e_sum.map(|s| s as u32);
        let carry = Some((3, e_sum.map(|s| s >> 32)));
        let constant = Fr::from(u64::from(k));
        let (pieces, e_carry) = self.cut(layout, e_value, E_CUT, carry, &rhs, constant)?;
        let e_carry = e_carry.ok_or(Error::Synthesis)?;
        let new_e = self.materialise(layout, e_value, pieces, true)?;

        let sigma0 = self.sigma(layout, a, &SIGMA0)?;
        let majority = self.split(
            layout,
            &[
                (a.spread()?, Fr::ONE),
                (b.spread()?, Fr::ONE),
                (c.spread()?, Fr::ONE),
            ],
            Fr::ZERO,
            a.value
                .zip(b.value)
                .zip(c.value)
                .map(|((a, b), c)| (a ^ b ^ c, maj(a, b, c))),
        )?;
        let a_sum = t1
            .zip(sigma0.value)
            .zip(majority.odd)
            .map(|((t1, s), m)| t1 + u64::from(s) + u64::from(m));
        let a_value = a_sum.map(|s| s as u32);
        // T1 + T2 = (e' + 2^32·c_e − d) + Σ0 + Maj.
        let mut rhs = vec![
            (&new_e.dense, Fr::ONE),
            (&e_carry, two_to(32)),
            (&d.dense, -Fr::ONE),
        ];
        rhs.extend(sigma0.terms());
        rhs.extend(majority.odd_terms());
        let carry = Some((3, a_sum.map(|s| s >> 32)));
        let (pieces, _) = self.cut(layout, a_value, A_CUT, carry, &rhs, Fr::ZERO)?;
        let new_a = self.materialise(layout, a_value, pieces, true)?;
        Ok(State([
            new_a,
            a.clone(),
            b.clone(),
            c.clone(),
            new_e,
            e.clone(),
            f.clone(),
            g.clone(),
        ]))
    }

    /// `Σ_m move_m(x)` (XOR of the moved words): the even half of the moves' summed spreads.
    fn sigma(
        &self,
        layout: &mut Layout<'_, '_>,
        x: &Sha256Word,
        moves: &[Move; 3],
    ) -> Result<Bytes, Error> {
        let mut terms = Vec::with_capacity(x.pieces.len());
        for piece in &x.pieces {
            let mut coefficient = Fr::ZERO;
            for mv in moves {
                // The cut makes every piece lie wholly below or above a shift.
                if let Some(place) = mv.place(piece.offset) {
                    coefficient += two_to(2 * place);
                }
            }
            terms.push((&piece.cells.spread, coefficient));
        }
        let values = x.value.map(|x| {
            let [p, q, r] = moves.map(|m| m.apply(x));
            (p ^ q ^ r, maj(p, q, r))
        });
        let split = self.split(layout, &terms, Fr::ZERO, values)?;
        Ok(Bytes {
            value: split.even,
            bytes: split.even_bytes,
        })
    }

    /// `Σ terms + constant = spread(even) + 2·spread(odd)`, `even` and `odd` in byte pieces.
    fn split(
        &self,
        layout: &mut Layout<'_, '_>,
        terms: &[(&Word, Fr)],
        constant: Fr,
        values: Value<(u32, u32)>,
    ) -> Result<Split, Error> {
        let (even, odd) = values.unzip();
        let mut all: Vec<Term<'_>> = terms.iter().map(|(w, c)| Term::Copy(w, *c)).collect();
        for (half, weight) in [(even, Fr::ONE), (odd, Fr::from(2))] {
            for j in 0..4 {
                all.push(Term::Piece {
                    len: 8,
                    value: half.map(|v| u64::from((v >> (8 * j)) & 0xff)),
                    dense: Fr::ZERO,
                    spread: -weight * two_to(16 * j),
                });
            }
        }
        let placed = self.spread.equation(layout, &all, constant)?;
        let pieces: Vec<Word> = placed[terms.len()..]
            .iter()
            .map(|p| p.piece().map(|cells| cells.dense))
            .collect::<Result<_, _>>()?;
        Ok(Split {
            even,
            odd,
            even_bytes: pieces[..4].to_vec(),
            odd_bytes: pieces[4..].to_vec(),
        })
    }

    /// Cuts `value` into pieces of `lens` (and a carry above bit 32) with
    /// `Σ pieces·2^offset + 2^32·carry = Σ rhs + constant`; returns the pieces and the carry's
    /// cell.
    fn cut(
        &self,
        layout: &mut Layout<'_, '_>,
        value: Value<u32>,
        lens: &[u32],
        carry: Option<(u32, Value<u64>)>,
        rhs: &[(&Word, Fr)],
        constant: Fr,
    ) -> Result<(Vec<Piece>, Option<Word>), Error> {
        let mut terms = Vec::with_capacity(lens.len() + 1 + rhs.len());
        let mut offsets = Vec::with_capacity(lens.len());
        let mut offset = 0;
        for &len in lens {
            terms.push(Term::Piece {
                len,
                value: value.map(|v| (u64::from(v) >> offset) & ((1 << len) - 1)),
                dense: two_to(offset),
                spread: Fr::ZERO,
            });
            offsets.push(offset);
            offset += len;
        }
        if let Some((len, carry)) = carry {
            terms.push(Term::Piece {
                len,
                value: carry,
                dense: two_to(32),
                spread: Fr::ZERO,
            });
        }
        terms.extend(rhs.iter().map(|(w, c)| Term::Copy(w, -*c)));
        let placed = self.spread.equation(layout, &terms, -constant)?;
        let pieces = offsets
            .iter()
            .zip(lens)
            .zip(&placed)
            .map(|((&offset, &len), p)| {
                Ok(Piece {
                    offset,
                    len,
                    cells: p.piece()?,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let carry = match carry {
            Some(_) => Some(placed[lens.len()].piece()?.dense),
            None => None,
        };
        Ok((pieces, carry))
    }

    /// The word of `pieces`: a cell for its value and, if `with_spread`, one for its spread.
    fn materialise(
        &self,
        layout: &mut Layout<'_, '_>,
        value: Value<u32>,
        pieces: Vec<Piece>,
        with_spread: bool,
    ) -> Result<Sha256Word, Error> {
        let sum = |layout: &mut Layout<'_, '_>, of_spread: bool| {
            let total = value.map(|v| {
                let v = u64::from(v);
                Fr::from(if of_spread { spread(v) } else { v })
            });
            let mut terms = vec![Term::Fresh(total, -Fr::ONE)];
            for piece in &pieces {
                terms.push(if of_spread {
                    Term::Copy(&piece.cells.spread, two_to(2 * piece.offset))
                } else {
                    Term::Copy(&piece.cells.dense, two_to(piece.offset))
                });
            }
            self.spread.equation(layout, &terms, Fr::ZERO)?[0].cell()
        };
        let dense = sum(layout, false)?;
        let spread = if with_spread {
            Some(sum(layout, true)?)
        } else {
            None
        };
        Ok(Sha256Word {
            value,
            pieces,
            dense,
            spread,
        })
    }
}

/// A word given by byte pieces: `Σ_j bytes_j·2^(8j)`.
#[derive(Debug, Clone)]
struct Bytes {
    value: Value<u32>,
    bytes: Vec<Word>,
}

impl Bytes {
    fn terms(&self) -> Vec<(&Word, Fr)> {
        byte_terms(&self.bytes)
    }
}

fn byte_terms(bytes: &[Word]) -> Vec<(&Word, Fr)> {
    bytes
        .iter()
        .enumerate()
        .map(|(j, b)| (b, two_to(8 * j as u32)))
        .collect()
}

/// A spread sum's two halves.
#[derive(Debug, Clone)]
struct Split {
    even: Value<u32>,
    odd: Value<u32>,
    even_bytes: Vec<Word>,
    odd_bytes: Vec<Word>,
}

impl Split {
    fn odd_terms(&self) -> Vec<(&Word, Fr)> {
        byte_terms(&self.odd_bytes)
    }
}

#[cfg(test)]
mod tests;
