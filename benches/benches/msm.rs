//! Multi-scalar multiplication on BN254: zksettle's Pippenger beside ark-ec's, G1 at 2^16 and
//! 2^18 points, G2 at 2^16 (`zksettle bench msm` adds 2^20 and prints the ratios).

// A bench fixture that fails has nothing to measure: stop loudly.
#![allow(clippy::unwrap_used)]

use ark_ec::short_weierstrass::SWCurveConfig;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion};
use std::hint::black_box;
use zksettle_benches::msm_compare::sample;
use zksettle_prover::field::FastField;
use zksettle_prover::{ArkMsm, Msm, Pippenger};

fn pair<P: SWCurveConfig>(
    group: &mut BenchmarkGroup<'_, criterion::measurement::WallTime>,
    curve: &str,
    log: u32,
) where
    P::BaseField: FastField,
{
    let (bases, scalars) = sample::<P>(1 << log, u64::from(log));
    group.bench_function(format!("{curve}_2^{log}_ark_ec"), |b| {
        b.iter(|| ArkMsm.msm(black_box(&bases), &scalars).unwrap())
    });
    group.bench_function(format!("{curve}_2^{log}_zksettle"), |b| {
        b.iter(|| {
            Pippenger::default()
                .msm(black_box(&bases), &scalars)
                .unwrap()
        })
    });
}

fn msm(c: &mut Criterion) {
    let mut group = c.benchmark_group("msm");
    group.sample_size(10);
    pair::<ark_bn254::g1::Config>(&mut group, "g1", 16);
    pair::<ark_bn254::g1::Config>(&mut group, "g1", 18);
    pair::<ark_bn254::g2::Config>(&mut group, "g2", 16);
    group.finish();
}

criterion_group!(benches, msm);
criterion_main!(benches);
