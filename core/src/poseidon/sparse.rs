//! The same permutation, rewritten so a partial round costs about `2t` multiplications
//! instead of `t²` (the Poseidon paper's appendix B; circomlibjs' `poseidon_opt` does the same).
//!
//! Two rewrites, both exact:
//!
//! - **Constants.** A partial round's S-box touches only cell 0, so the constants it adds to
//!   cells `1..t` can be added after the S-box instead, and then pushed through the linear layer:
//!   `M·(x + (0, ĉ)) = M·x + M·(0, ĉ)`. Carried forward round by round, each partial round keeps
//!   one scalar constant for cell 0, and the last carry joins the next full round's constants.
//! - **Matrices.** Write `N = A·B` with `B = diag(1, N̂)` (`N̂`: `N` without row and column 0)
//!   and `A = [[n₀₀, n_row·N̂⁻¹], [n_col, I]]`, which is sparse. `B` leaves cell 0 alone, so it
//!   commutes with a partial round's S-box and its cell-0 constant, and moves into the previous
//!   round's matrix: walking the partial rounds from the last, round `j` multiplies by `A_j`,
//!   and `N_{j-1} = B_j·M`. The last `B` joins the matrix of the full round before the partial
//!   rounds. `N̂` is invertible because every square submatrix of a Cauchy MDS matrix is.
//!
//! Tests compare this with the textbook permutation for every width.

use super::{PoseidonParams, FULL_ROUNDS, MAX_INPUTS};
use crate::field::Fr;
use ark_ff::{AdditiveGroup, Field, Zero};

/// One width's constants in the sparse form.
#[derive(Debug, Clone)]
pub(super) struct SparseParams {
    width: usize,
    partial_rounds: usize,
    /// Full-round constants, `width` per full round (the carry already added).
    full_constants: Vec<Fr>,
    /// The matrix of each full round, row-major: `M`, except `B₁·M` for the last full round
    /// before the partial rounds.
    full_matrices: Vec<Vec<Fr>>,
    /// One constant per partial round, added to cell 0 before its S-box.
    partial_constants: Vec<Fr>,
    /// Per partial round: `a₀₀`, then `a_row` (t-1), then `a_col` (t-1).
    sparse: Vec<Fr>,
}

type Matrix = Vec<Vec<Fr>>;

fn mat_mul(a: &Matrix, b: &Matrix) -> Matrix {
    let n = a.len();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| (0..n).map(|k| a[i][k] * b[k][j]).sum())
                .collect()
        })
        .collect()
}

fn mat_vec(m: &Matrix, v: &[Fr]) -> Vec<Fr> {
    m.iter()
        .map(|row| row.iter().zip(v).map(|(a, b)| *a * b).sum())
        .collect()
}

/// Gauss–Jordan inverse; `None` if singular.
fn invert(m: &Matrix) -> Option<Matrix> {
    let n = m.len();
    let mut a: Matrix = m.clone();
    let mut inv: Matrix = (0..n)
        .map(|i| (0..n).map(|j| Fr::from(u64::from(i == j))).collect())
        .collect();
    for col in 0..n {
        let pivot = (col..n).find(|&r| !a[r][col].is_zero())?;
        a.swap(col, pivot);
        inv.swap(col, pivot);
        let scale = a[col][col].inverse()?;
        for j in 0..n {
            a[col][j] *= scale;
            inv[col][j] *= scale;
        }
        for r in 0..n {
            if r != col && !a[r][col].is_zero() {
                let f = a[r][col];
                for j in 0..n {
                    let (ac, ic) = (a[col][j], inv[col][j]);
                    a[r][j] -= f * ac;
                    inv[r][j] -= f * ic;
                }
            }
        }
    }
    Some(inv)
}

impl SparseParams {
    pub(super) fn new(p: &PoseidonParams) -> Self {
        let t = p.width;
        let half = FULL_ROUNDS / 2;
        let rp = p.partial_rounds;
        let m = &p.mds;
        let round = |r: usize| &p.round_constants[r * t..(r + 1) * t];

        // Constants: carry the non-zero-cell parts of the partial rounds forward.
        let mut partial_constants = Vec::with_capacity(rp);
        let mut carry = vec![Fr::ZERO; t];
        for r in half..half + rp {
            let c: Vec<Fr> = round(r).iter().zip(&carry).map(|(a, b)| *a + b).collect();
            partial_constants.push(c[0]);
            let mut rest = c;
            rest[0] = Fr::ZERO;
            carry = mat_vec(m, &rest);
        }
        let mut full_constants = Vec::with_capacity(FULL_ROUNDS * t);
        for r in (0..half).chain(half + rp..FULL_ROUNDS + rp) {
            let c = round(r);
            if r == half + rp {
                full_constants.extend(c.iter().zip(&carry).map(|(a, b)| *a + b));
            } else {
                full_constants.extend_from_slice(c);
            }
        }

        // Matrices: factor from the last partial round back to the first.
        let mut sparse_rev = Vec::with_capacity(rp);
        let mut n = m.clone();
        for _ in 0..rp {
            let n_hat: Matrix = n[1..].iter().map(|row| row[1..].to_vec()).collect();
            let n_hat_inv = invert(&n_hat).expect("MDS submatrices are invertible");
            let n_row = &n[0][1..];
            let a_row: Vec<Fr> = (0..t - 1)
                .map(|j| (0..t - 1).map(|k| n_row[k] * n_hat_inv[k][j]).sum())
                .collect();
            let a_col: Vec<Fr> = n[1..].iter().map(|row| row[0]).collect();
            let mut packed = Vec::with_capacity(2 * t - 1);
            packed.push(n[0][0]);
            packed.extend(a_row);
            packed.extend(a_col);
            sparse_rev.push(packed);
            let mut b: Matrix = vec![vec![Fr::ZERO; t]; t];
            b[0][0] = Fr::ONE;
            for i in 1..t {
                b[i][1..].copy_from_slice(&n_hat[i - 1]);
            }
            n = mat_mul(&b, m);
        }
        let sparse = sparse_rev.into_iter().rev().flatten().collect();
        let mut full_matrices = vec![m.clone(); FULL_ROUNDS];
        // With no partial rounds nothing is left over; circomlib always has some.
        if rp > 0 {
            full_matrices[half - 1] = n;
        }
        SparseParams {
            width: t,
            partial_rounds: rp,
            full_constants,
            full_matrices: full_matrices
                .into_iter()
                .map(|mm| mm.into_iter().flatten().collect())
                .collect(),
            partial_constants,
            sparse,
        }
    }

    fn full_round(&self, k: usize, state: &mut [Fr]) {
        let t = self.width;
        for (s, c) in state
            .iter_mut()
            .zip(&self.full_constants[k * t..(k + 1) * t])
        {
            *s += c;
            *s = super::pow5(*s);
        }
        let mut next = [Fr::ZERO; MAX_INPUTS + 1];
        for (n, row) in next.iter_mut().zip(self.full_matrices[k].chunks_exact(t)) {
            *n = crate::wide::dot(row, state);
        }
        state.copy_from_slice(&next[..t]);
    }

    /// The hash: cell 0 of the permuted state, of whose last linear layer only row 0 is
    /// computed. `state` is scratch afterwards.
    pub(super) fn hash(&self, state: &mut [Fr]) -> Fr {
        let t = self.width;
        let last = FULL_ROUNDS - 1;
        self.permute_rounds(last, state);
        for (s, c) in state
            .iter_mut()
            .zip(&self.full_constants[last * t..(last + 1) * t])
        {
            *s += c;
            *s = super::pow5(*s);
        }
        crate::wide::dot(&self.full_matrices[last][..t], state)
    }

    #[cfg(test)]
    pub(super) fn permute(&self, state: &mut [Fr]) {
        self.permute_rounds(FULL_ROUNDS, state);
    }

    /// The permutation up to (not including) full round `end`.
    fn permute_rounds(&self, end: usize, state: &mut [Fr]) {
        let t = self.width;
        let half = FULL_ROUNDS / 2;
        for k in 0..half {
            self.full_round(k, state);
        }
        for (k, a) in self.sparse.chunks_exact(2 * t - 1).enumerate() {
            let s0 = super::pow5(state[0] + self.partial_constants[k]);
            // The first row (a₀₀, â) times (s₀, state₁…), reduced once; the column â' below.
            let (first_row, a_col) = a.split_at(t);
            state[0] = s0;
            let first = crate::wide::dot(first_row, state);
            for (s, c) in state[1..].iter_mut().zip(a_col) {
                *s += *c * s0;
            }
            state[0] = first;
        }
        for k in half..end {
            self.full_round(k, state);
        }
        debug_assert_eq!(self.partial_constants.len(), self.partial_rounds);
    }
}
