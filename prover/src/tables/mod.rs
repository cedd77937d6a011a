//! A proving key's fixed-base tables ([`FixedBases`]): the queries every proof sums over,
//! prepared once so that each proof's MSMs over them skip the doublings and all but one bucket
//! reduction (measured 1.37x on a 2^16-point G1 MSM, 1.21x at 2^18, 1.02x at 2^20).
//!
//! Tables cost memory (`⌈254/c⌉` affine points per base: 64 MiB for 2^16 G1 bases at
//! `c = 16`) and a build of about one scalar multiplication per base, so they are built within
//! a byte budget: queries taken in the order of the work their table saves per byte (by the
//! MSMs' cost models; smaller queries first, G2's weighted by its dearer products), each at the
//! cheapest window that fits what is left; a query that does not fit is summed by the
//! variable-base MSM as before. Proofs are the same points either way.

mod file;

pub use file::{key_digest, TablesFileError};

use crate::msm::pippenger::window_for;
use crate::msm::{Arithmetic, FixedBases, MsmError};
use ark_bn254::{g1, g2, Bn254};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ff::PrimeField;
use ark_groth16::ProvingKey;
use std::time::Instant;

/// The default budget: enough for every query of a batch of a few chunks, and for one or two
/// queries at 2^20 constraints.
pub const DEFAULT_TABLE_BYTES: usize = 1 << 30;

/// Fixed-base tables of a proving key's queries; a query without one is `None`.
#[derive(Debug, Default)]
pub struct KeyTables {
    /// `H` (G1).
    pub h: Option<FixedBases<g1::Config>>,
    /// `L` (G1).
    pub l: Option<FixedBases<g1::Config>>,
    /// `A` (G1).
    pub a: Option<FixedBases<g1::Config>>,
    /// `B₁` (G1).
    pub b_g1: Option<FixedBases<g1::Config>>,
    /// `B` (G2).
    pub b_g2: Option<FixedBases<g2::Config>>,
    /// Seconds the build took.
    pub build_seconds: f64,
}

impl KeyTables {
    /// Tables for `pk`'s queries within `budget` bytes (see the module docs), with windows
    /// chosen for proofs on `threads` threads, built on the current rayon pool.
    pub fn build(pk: &ProvingKey<Bn254>, budget: usize, threads: usize) -> Result<Self, MsmError> {
        Self::build_for(pk, budget, threads, true)
    }

    /// [`Self::build`], or, without `with_g1`, of `B`'s G2 query alone: when another backend holds the
    /// G1 queries (a GPU, [`crate::backend`]) their tables would take memory and never be read.
    pub fn build_for(
        pk: &ProvingKey<Bn254>,
        budget: usize,
        threads: usize,
        with_g1: bool,
    ) -> Result<Self, MsmError> {
        let started = Instant::now();
        let g1 = |bases: &[Affine<g1::Config>]| saving_per_byte::<g1::Config>(bases.len(), threads);
        // A G2 addition is about three G1 ones (its products are Fq2's).
        let g2 = |bases: &[Affine<g2::Config>]| {
            3.0 * saving_per_byte::<g2::Config>(bases.len(), threads)
        };
        let mut order = [
            (Query::H, g1(&pk.h_query)),
            (Query::L, g1(&pk.l_query)),
            (Query::A, g1(&pk.a_query)),
            (Query::B1, g1(&pk.b_g1_query)),
            (Query::B2, g2(&pk.b_g2_query)),
        ];
        order.sort_by(|x, y| y.1.total_cmp(&x.1));
        let mut left = budget;
        let mut tables = KeyTables::default();
        for (query, _) in order {
            if !with_g1 && !matches!(query, Query::B2) {
                continue;
            }
            match query {
                Query::H => tables.h = table(&pk.h_query, threads, &mut left)?,
                Query::L => tables.l = table(&pk.l_query, threads, &mut left)?,
                Query::A => tables.a = table(&pk.a_query, threads, &mut left)?,
                Query::B1 => tables.b_g1 = table(&pk.b_g1_query, threads, &mut left)?,
                Query::B2 => tables.b_g2 = table(&pk.b_g2_query, threads, &mut left)?,
            }
        }
        tables.build_seconds = started.elapsed().as_secs_f64();
        Ok(tables)
    }

    /// Bytes the tables hold.
    pub fn memory_bytes(&self) -> usize {
        [&self.h, &self.l, &self.a, &self.b_g1]
            .into_iter()
            .flatten()
            .map(FixedBases::memory_bytes)
            .sum::<usize>()
            + self.b_g2.as_ref().map_or(0, FixedBases::memory_bytes)
    }

    /// How many of the five queries have a table.
    pub fn queries(&self) -> usize {
        [&self.h, &self.l, &self.a, &self.b_g1]
            .into_iter()
            .flatten()
            .count()
            + usize::from(self.b_g2.is_some())
    }
}

/// A proving key's query.
#[derive(Debug, Clone, Copy)]
enum Query {
    H,
    L,
    A,
    B1,
    B2,
}

/// The work a table of `len` bases saves per byte it takes, by the cost models of the two MSMs
/// ([`crate::msm::pippenger::window_for`], [`FixedBases::window_for`]), in multiplications:
/// larger queries save relatively less (the variable-base method's windows are already wide),
/// so the smaller ones come first.
fn saving_per_byte<P: SWCurveConfig>(len: usize, threads: usize) -> f64
where
    P::BaseField: crate::field::FastField,
{
    let bits = P::ScalarField::MODULUS_BIT_SIZE as usize;
    let threads = threads.max(1);
    let Some(fixed_window) = FixedBases::<P>::window_for(len, threads, usize::MAX) else {
        return 0.0;
    };
    let variable_window = window_for(len, bits, threads);
    let buckets = |c: usize| (1u64 << (c - 1)) as f64;
    let variable = bits.div_ceil(variable_window).div_ceil(threads) as f64
        * (len as f64 * 7.0 + buckets(variable_window) * 8.0);
    let fixed = (bits.div_ceil(fixed_window) * len) as f64 * 7.0 / threads as f64
        + buckets(fixed_window) * 8.0;
    (variable - fixed).max(0.0) / FixedBases::<P>::bytes(len, fixed_window).max(1) as f64
}

/// `bases`' table at the cheapest window within `left` bytes (taken from it), if any fits.
/// A query of fewer than 2^10 bases gets none: its MSM is too small to gain.
fn table<P: SWCurveConfig>(
    bases: &[Affine<P>],
    threads: usize,
    left: &mut usize,
) -> Result<Option<FixedBases<P>>, MsmError>
where
    P::BaseField: crate::field::FastField,
{
    if bases.len() < 1 << 10 {
        return Ok(None);
    }
    let Some(window) = FixedBases::<P>::window_for(bases.len(), threads, *left) else {
        return Ok(None);
    };
    let table = FixedBases::new(bases, window)?;
    *left -= table.memory_bytes();
    Ok(Some(table))
}

/// `table`'s MSM if there is one, else `fallback`'s.
pub(crate) fn sum_with<P: SWCurveConfig>(
    table: Option<&FixedBases<P>>,
    scalars: &[P::ScalarField],
    fallback: impl FnOnce() -> Result<Projective<P>, MsmError>,
) -> Result<Projective<P>, MsmError>
where
    P::BaseField: crate::field::FastField,
{
    match table {
        Some(table) => table.msm(Arithmetic::Fastest, scalars),
        None => fallback(),
    }
}
