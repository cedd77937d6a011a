//! Fixed-base MSM: bases known ahead (a proving key's queries) prepared once into a table, so
//! that every later MSM over them needs no doublings and one bucket reduction in all.
//!
//! With window width `c` and `W = ⌈b/c⌉` windows, the table holds `T_{w,i} = 2^{cw}·P_i` for
//! every window `w` and base `i`. Writing each scalar in the signed digits of
//! [`super::pippenger`], `sᵢ = Σ_w d_{w,i}·2^{cw}`,
//!
//! ```text
//! Σᵢ sᵢ·Pᵢ = Σ_{w,i} d_{w,i}·T_{w,i} = Σ_k k·B_k,   B_k = Σ_{|d_{w,i}|=k} sign(d_{w,i})·T_{w,i}
//! ```
//!
//! one window over `W·n` points. The additions are as many as the variable-base method's
//! (`W·n`, fewer for zero digits), but the `W` bucket reductions of `2^{c−1}` buckets each and
//! the `c·W` doublings become one reduction. A wider window then pays: `c` is chosen to
//! minimise `W·n/T·A + 2^{c−1}·R` per thread rather than per window, which at 2^16 points
//! takes `c = 16` where the variable-base method takes 13: a fifth fewer additions.
//!
//! Memory: the table is `W·n` affine points, `W·n·64` bytes on G1 (64 MiB for 2^16 bases at
//! `c = 16`, 1 GiB for 2^20) and twice that on G2; [`FixedBases::bytes`] gives it before
//! building. Building costs `c·(W−1)` doublings per base (about one scalar multiplication),
//! so it pays off after a few dozen MSMs over the same bases; a prover builds its key's tables
//! once, within a budget ([`crate::tables`]).

use super::buckets::Buckets;
use super::pippenger::{signed_digits, window_sum, Arithmetic, MAX_POINTS};
use super::{check_lengths, MsmError};
use crate::field::{FastField, Multiplier, Portable};
use crate::parallel::prelude::*;
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AdditiveGroup, CurveGroup};
use ark_ff::{PrimeField, Zero};

/// Bases per block when a table is built (one batch normalisation each).
const BUILD_BLOCK: usize = 1024;

/// The widest window a table takes: wider ones only add reduction and cache misses.
const MAX_WINDOW: usize = 18;

/// Bases prepared for fixed-base MSMs (see the module docs).
pub struct FixedBases<P: SWCurveConfig> {
    window: usize,
    windows: usize,
    len: usize,
    /// Window-major: `table[w·len + i] = 2^{c·w}·bases[i]`.
    table: Vec<Affine<P>>,
}

impl<P: SWCurveConfig> std::fmt::Debug for FixedBases<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedBases")
            .field("window", &self.window)
            .field("windows", &self.windows)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}

impl<P: SWCurveConfig> FixedBases<P>
where
    P::BaseField: FastField,
{
    /// Bytes of the table for `len` bases at window width `window`.
    pub fn bytes(len: usize, window: usize) -> usize {
        let windows = (P::ScalarField::MODULUS_BIT_SIZE as usize).div_ceil(window.max(1));
        windows
            .saturating_mul(len)
            .saturating_mul(std::mem::size_of::<Affine<P>>())
    }

    /// The window width for `len` bases on `threads` threads: the cheapest whose table takes at
    /// most `budget` bytes, `None` if none fits.
    pub fn window_for(len: usize, threads: usize, budget: usize) -> Option<usize> {
        let digit_bits = P::ScalarField::MODULUS_BIT_SIZE as usize;
        let threads = threads.max(1) as u128;
        (8..=MAX_WINDOW)
            .filter(|&c| Self::bytes(len, c) <= budget)
            .min_by_key(|&c| {
                let additions = (digit_bits.div_ceil(c) * len) as u128;
                additions * 7 / threads + (1u128 << (c - 1)) * 8
            })
    }

    /// Builds the table of `bases` at window width `window` (clamped to `2..=18`), in parallel.
    pub fn new(bases: &[Affine<P>], window: usize) -> Result<Self, MsmError> {
        if let Some(adx) = crate::field::adx::Adx::detect() {
            return Self::build(adx, bases, window);
        }
        Self::build(Portable, bases, window)
    }

    fn build<M: Multiplier>(
        multiplier: M,
        bases: &[Affine<P>],
        window: usize,
    ) -> Result<Self, MsmError> {
        let len = bases.len();
        if len > MAX_POINTS {
            return Err(MsmError::TooManyPoints(len));
        }
        let window = window.clamp(2, MAX_WINDOW);
        let windows = (P::ScalarField::MODULUS_BIT_SIZE as usize).div_ceil(window);
        let mut table = vec![Affine::<P>::identity(); windows * len];
        // Each block of bases fills its own range of every window's row.
        let mut parts: Vec<Vec<&mut [Affine<P>]>> = (0..len.div_ceil(BUILD_BLOCK))
            .map(|_| Vec::with_capacity(windows))
            .collect();
        for row in table.chunks_mut(len.max(1)) {
            for (part, block) in row.chunks_mut(BUILD_BLOCK).zip(parts.iter_mut()) {
                block.push(part);
            }
        }
        parts
            .into_par_iter()
            .zip(bases.par_chunks(BUILD_BLOCK))
            .for_each(|(rows, bases)| {
                let mut current: Vec<Projective<P>> = bases.iter().map(|&p| p.into()).collect();
                for (w, row) in rows.into_iter().enumerate() {
                    if w > 0 {
                        for point in &mut current {
                            for _ in 0..window {
                                double_in_place(multiplier, point);
                            }
                        }
                    }
                    row.copy_from_slice(&Projective::normalize_batch(&current));
                }
            });
        Ok(FixedBases {
            window,
            windows,
            len,
            table,
        })
    }

    /// Number of bases.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are no bases.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The window width the table was built for.
    pub fn window(&self) -> usize {
        self.window
    }

    /// How many windows the scalars split into (`⌈254/c⌉`).
    pub fn windows(&self) -> usize {
        self.windows
    }

    /// The table, window-major: `2^{c·w}·bases[i]` at `w·len + i`.
    pub fn points(&self) -> &[Affine<P>] {
        &self.table
    }

    /// A table from its parts, as [`Self::points`] gives them (a stored table read back);
    /// `None` if they cannot be one: a window outside `2..=18`, a window count that does not
    /// cover the scalar field's bits at that width, or not `windows·len` points.
    pub fn from_parts(
        window: usize,
        windows: usize,
        len: usize,
        table: Vec<Affine<P>>,
    ) -> Option<Self> {
        let fits = (2..=MAX_WINDOW).contains(&window)
            && windows == (P::ScalarField::MODULUS_BIT_SIZE as usize).div_ceil(window)
            && len <= MAX_POINTS
            && windows.checked_mul(len) == Some(table.len());
        fits.then_some(FixedBases {
            window,
            windows,
            len,
            table,
        })
    }

    /// Bytes the table holds.
    pub fn memory_bytes(&self) -> usize {
        self.table.len() * std::mem::size_of::<Affine<P>>()
    }

    /// `Σ scalars[i]·bases[i]` over the prepared bases, on `arithmetic`.
    pub fn msm(
        &self,
        arithmetic: Arithmetic,
        scalars: &[P::ScalarField],
    ) -> Result<Projective<P>, MsmError> {
        check_lengths(self.len, scalars.len())?;
        {
            use crate::field::{adx::Adx, ifma::Ifma};
            if arithmetic == Arithmetic::Fastest {
                if let Some(ifma) = Ifma::detect() {
                    return Ok(self.run(ifma, scalars));
                }
            }
            if arithmetic != Arithmetic::Portable {
                if let Some(adx) = Adx::detect() {
                    return Ok(self.run(adx, scalars));
                }
            }
        }
        Ok(self.run(Portable, scalars))
    }

    fn run<M: Multiplier>(&self, multiplier: M, scalars: &[P::ScalarField]) -> Projective<P> {
        if self.len == 0 {
            return Projective::zero();
        }
        let digits = signed_digits::<P::ScalarField>(scalars, &vec![self.window; self.windows]);
        // One part per thread, each with its own buckets: the parts' reductions are the only
        // work done twice.
        let threads = crate::parallel::current_num_threads().max(1);
        let part = digits.len().div_ceil(threads);
        let buckets = 1 << (self.window - 1);
        self.table
            .par_chunks(part)
            .zip(digits.par_chunks(part))
            .map(|(table, digits)| {
                let mut scratch = Buckets::<P, M>::new(multiplier);
                window_sum(&mut scratch, table, digits, buckets)
            })
            .sum()
    }
}

/// `2·P` in Jacobian coordinates on the inline arithmetic: on curves with `a = 0` (both of
/// BN254's) the `dbl-2009-l` formulas, two multiplications and five squarings,
///
/// ```text
/// A = X², B = Y², C = B², D = 2·((X + B)² − A − C), E = 3·A
/// X' = E² − 2·D,   Y' = E·(D − X') − 8·C,   Z' = 2·Y·Z
/// ```
///
/// which also map the identity (`Z = 0`) to itself; `ark-ec`'s doubling on other curves.
fn double_in_place<P: SWCurveConfig, M: Multiplier>(m: M, point: &mut Projective<P>)
where
    P::BaseField: FastField,
{
    if !P::COEFF_A.is_zero() {
        point.double_in_place();
        return;
    }
    let (x, y, z) = (point.x, point.y, point.z);
    let a = x.square_fast(m);
    let b = y.square_fast(m);
    let c = b.square_fast(m);
    let d = x.add_fast(&b).square_fast(m).sub_fast(&a).sub_fast(&c);
    let d = d.add_fast(&d);
    let e = a.add_fast(&a).add_fast(&a);
    let x3 = e.square_fast(m).sub_fast(&d).sub_fast(&d);
    let c2 = c.add_fast(&c);
    let c4 = c2.add_fast(&c2);
    let c8 = c4.add_fast(&c4);
    let y3 = e.mul_fast(&d.sub_fast(&x3), m).sub_fast(&c8);
    let yz = y.mul_fast(&z, m);
    point.x = x3;
    point.y = y3;
    point.z = yz.add_fast(&yz);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{G1Projective, G2Projective};
    use ark_ff::UniformRand;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn inline_doubling_agrees_with_ark() {
        let mut rng = StdRng::seed_from_u64(9);
        let m = Portable;
        for mut p in (0..20)
            .map(|_| G1Projective::rand(&mut rng))
            .chain([G1Projective::zero()])
        {
            let expected = p.double();
            double_in_place(m, &mut p);
            assert_eq!(p, expected);
        }
        for mut p in (0..5)
            .map(|_| G2Projective::rand(&mut rng))
            .chain([G2Projective::zero()])
        {
            let expected = p.double();
            double_in_place(m, &mut p);
            assert_eq!(p, expected);
        }
        if let Some(adx) = crate::field::adx::Adx::detect() {
            let mut p = G1Projective::rand(&mut rng);
            let expected = p.double().double();
            double_in_place(adx, &mut p);
            double_in_place(adx, &mut p);
            assert_eq!(p, expected);
        }
    }
}
