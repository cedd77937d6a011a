//! Side-by-side measurement of an MSM backend against `ark-ec` on the same inputs, in one run:
//! what `zksettle bench msm` prints. The two alternate `repeat` times and each keeps its fastest
//! time (the machine's speed drifts; the fastest run is the one least disturbed). The results
//! must agree every time, or the run fails.

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::CurveGroup;
use ark_ff::UniformRand;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use rayon::prelude::*;
use std::time::Instant;
use zksettle_prover::field::FastField;
use zksettle_prover::msm::{Arithmetic, ArkMsm, FixedBases, Msm, MsmError};

/// One size measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// Points.
    pub n: usize,
    /// `ark-ec`'s time, seconds.
    pub ark_seconds: f64,
    /// The backend's time, seconds.
    pub ours_seconds: f64,
}

/// One size measured on fixed-base tables ([`FixedBases`]) beside `ark-ec`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixedComparison {
    /// The MSM's times (`ours_seconds` on the table).
    pub msm: Comparison,
    /// The table's window width.
    pub window: usize,
    /// The table's size, bytes.
    pub table_bytes: usize,
    /// Building the table, seconds (once per set of bases).
    pub build_seconds: f64,
}

impl Comparison {
    /// How many times faster the backend is.
    pub fn ratio(&self) -> f64 {
        self.ark_seconds / self.ours_seconds
    }
}

/// Why a comparison failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompareError {
    /// The backend's result differs from `ark-ec`'s.
    #[error(
        "the MSM of {0} points differs from the reference's (ark-ec's, or the CPU's beside a GPU)"
    )]
    Disagrees(usize),
    /// The backend refused the input.
    #[error(transparent)]
    Msm(#[from] MsmError),
}

/// `n` distinct pseudo-random bases (a walk by 64 random steps, normalised together) and `n`
/// uniform scalars from `seed`: cheap to make at 2^20, and as good as uniform for timing.
pub fn sample<P: SWCurveConfig>(n: usize, seed: u64) -> (Vec<Affine<P>>, Vec<P::ScalarField>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let steps: Vec<Projective<P>> = (0..64).map(|_| Projective::rand(&mut rng)).collect();
    let chunk = 1 << 12;
    let starts: Vec<Projective<P>> = (0..n.div_ceil(chunk))
        .map(|_| Projective::rand(&mut rng))
        .collect();
    let steps = &steps;
    let walk: Vec<Projective<P>> = starts
        .par_iter()
        .enumerate()
        .flat_map_iter(|(c, start)| {
            let len = chunk.min(n - c * chunk);
            let mut p = *start;
            (0..len).map(move |i| {
                p += steps[i % steps.len()];
                p
            })
        })
        .collect();
    let bases = Projective::normalize_batch(&walk);
    let scalars = (0..n).map(|_| P::ScalarField::rand(&mut rng)).collect();
    (bases, scalars)
}

/// Times `reference` and `ours` on the same `n` sample inputs (as [`compare`] does with
/// `ark-ec` as the reference), `ours` given the bases first to keep (a GPU uploads them once,
/// untimed, as it keeps a proving key's): `ark_seconds` is then the reference's time.
pub fn compare_prepared<P: SWCurveConfig, T>(
    reference: &dyn Msm<P>,
    n: usize,
    seed: u64,
    repeat: usize,
    prepare: impl FnOnce(&[Affine<P>]) -> Result<T, MsmError>,
    ours: impl Fn(&T, &[P::ScalarField]) -> Result<Projective<P>, MsmError>,
) -> Result<Comparison, CompareError> {
    let (bases, scalars) = sample::<P>(n, seed);
    let prepared = prepare(&bases)?;
    let mut best = Comparison {
        n,
        ark_seconds: f64::INFINITY,
        ours_seconds: f64::INFINITY,
    };
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let expected = reference.msm(&bases, &scalars)?;
        best.ark_seconds = best.ark_seconds.min(started.elapsed().as_secs_f64());
        let started = Instant::now();
        let got = ours(&prepared, &scalars)?;
        best.ours_seconds = best.ours_seconds.min(started.elapsed().as_secs_f64());
        if got.into_affine() != expected.into_affine() {
            return Err(CompareError::Disagrees(n));
        }
    }
    Ok(best)
}

/// Times `ark-ec` and `backend` on the same `n` inputs, alternately `repeat` times (at least
/// once), keeping each one's fastest time, and checks they agree every time.
pub fn compare<P: SWCurveConfig>(
    backend: &dyn Msm<P>,
    n: usize,
    seed: u64,
    repeat: usize,
) -> Result<Comparison, CompareError> {
    let (bases, scalars) = sample::<P>(n, seed);
    alternate(&bases, &scalars, repeat, || backend.msm(&bases, &scalars))
}

/// `ark-ec` on `bases` and `scalars`, then `ours`, `repeat` times (at least once), keeping each
/// one's fastest time and checking they agree every time.
fn alternate<P: SWCurveConfig>(
    bases: &[Affine<P>],
    scalars: &[P::ScalarField],
    repeat: usize,
    ours: impl Fn() -> Result<Projective<P>, MsmError>,
) -> Result<Comparison, CompareError> {
    let n = bases.len();
    let mut best = Comparison {
        n,
        ark_seconds: f64::INFINITY,
        ours_seconds: f64::INFINITY,
    };
    for _ in 0..repeat.max(1) {
        let started = Instant::now();
        let expected = ArkMsm.msm(bases, scalars)?;
        best.ark_seconds = best.ark_seconds.min(started.elapsed().as_secs_f64());
        let started = Instant::now();
        let got = ours()?;
        best.ours_seconds = best.ours_seconds.min(started.elapsed().as_secs_f64());
        if got.into_affine() != expected.into_affine() {
            return Err(CompareError::Disagrees(n));
        }
    }
    Ok(best)
}

/// Builds a fixed-base table of `n` sample bases within `budget` bytes (at the cheapest window
/// that fits; `None` if none does), then times `ark-ec` and the table alternately as
/// [`compare`] does.
pub fn compare_fixed<P: SWCurveConfig>(
    n: usize,
    seed: u64,
    repeat: usize,
    budget: usize,
) -> Result<Option<FixedComparison>, CompareError>
where
    P::BaseField: FastField,
{
    let Some(window) = FixedBases::<P>::window_for(n, rayon::current_num_threads(), budget) else {
        return Ok(None);
    };
    let (bases, scalars) = sample::<P>(n, seed);
    let started = Instant::now();
    let table = FixedBases::new(&bases, window)?;
    let build_seconds = started.elapsed().as_secs_f64();
    let msm = alternate(&bases, &scalars, repeat, || {
        table.msm(Arithmetic::Fastest, &scalars)
    })?;
    Ok(Some(FixedComparison {
        msm,
        window: table.window(),
        table_bytes: table.memory_bytes(),
        build_seconds,
    }))
}
