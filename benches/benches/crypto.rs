//! Poseidon and EdDSA-Poseidon: the per-hash and per-signature costs behind every other figure.

// A bench fixture that fails has nothing to measure: stop loudly.
#![allow(clippy::unwrap_used)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rayon::prelude::*;
use std::hint::black_box;
use zksettle_core::eddsa::{verify_batch, BatchItem};
use zksettle_core::poseidon::poseidon;
use zksettle_core::{Fr, PrivateKey, PublicKey, Signature};

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

    // 1,024 signatures by 1,024 distinct keys (no key folding), both ways on every core.
    let mut group = c.benchmark_group("eddsa_1024");
    group.throughput(Throughput::Elements(1024));
    group.sample_size(10);
    let signed: Vec<(PublicKey, Fr, Signature)> = (0..1024u32)
        .into_par_iter()
        .map(|i| {
            let mut bytes = [0u8; 32];
            bytes[..4].copy_from_slice(&i.to_le_bytes());
            let key = PrivateKey::from_bytes(bytes);
            let message = Fr::from(u64::from(i));
            (key.public_key(), message, key.sign(message))
        })
        .collect();
    let items: Vec<BatchItem<'_>> = signed
        .iter()
        .map(|(key, message, signature)| BatchItem {
            key,
            message: *message,
            signature,
        })
        .collect();
    group.bench_function("one_by_one", |b| {
        b.iter(|| {
            signed
                .par_iter()
                .map(|(k, m, s)| k.verify(*m, s))
                .collect::<Vec<_>>()
        })
    });
    group.bench_function("batched", |b| b.iter(|| verify_batch(black_box(&items))));
    group.finish();
}

criterion_group!(benches, crypto);
criterion_main!(benches);
