//! Poseidon and EdDSA-Poseidon: the per-hash and per-signature costs behind every other figure.

// A bench fixture that fails has nothing to measure: stop loudly.
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;
use zksettle_core::poseidon::poseidon;
use zksettle_core::{Fr, PrivateKey};

fn crypto(c: &mut Criterion) {
    let mut group = c.benchmark_group("crypto");
    for n in [2usize, 6, 16] {
        let inputs: Vec<Fr> = (0..n as u64).map(Fr::from).collect();
        group.bench_function(format!("poseidon_{n}_inputs"), |b| {
            b.iter(|| poseidon(black_box(&inputs)).unwrap())
        });
    }
    let key = PrivateKey::from_bytes([1; 32]);
    let public = key.public_key();
    let message = Fr::from(42u64);
    let signature = key.sign(message);
    group.bench_function("eddsa_poseidon_sign", |b| {
        b.iter(|| key.sign(black_box(message)))
    });
    group.bench_function("eddsa_poseidon_verify", |b| {
        b.iter(|| public.verify(black_box(message), &signature).unwrap())
    });
    let packed = public.pack();
    group.bench_function("point_unpack", |b| {
        b.iter(|| zksettle_core::babyjubjub::Point::unpack(black_box(&packed)).unwrap())
    });
    group.bench_function("point_subgroup_check", |b| {
        b.iter(|| black_box(public.0).is_in_prime_subgroup())
    });
    group.finish();
}

criterion_group!(benches, crypto);
criterion_main!(benches);
