//! The kernels against arkworks: field and curve functions on edge values, and whole MSMs
//! against the CPU's on random and adversarial inputs. They need an adapter: the test command
//! installs Mesa's software Vulkan (lavapipe), so they run in CI on any machine.

use super::device::{
    compute_pipeline, scoped, storage_entry, uniform_entry, upload_programs, FIELD_AND_CURVE,
};
use super::layout::{point_words, read_sum, Plan, FOLD, MAX_SEGMENT};
use super::{GpuDevice, GpuKey, GpuMsm};
use crate::msm::{KeyMsm, KeyQuery, Msm};
use crate::{ArkMsm, Pippenger};
use ark_bn254::{g1, Fq, Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField, UniformRand, Zero};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use std::sync::OnceLock;
use wgpu::util::DeviceExt;

fn device() -> &'static GpuDevice {
    static DEVICE: OnceLock<GpuDevice> = OnceLock::new();
    DEVICE.get_or_init(|| {
        GpuDevice::open().unwrap_or_else(|e| {
            panic!("the GPU tests need an adapter ({e}); the test command installs lavapipe")
        })
    })
}

/// Runs the test kernel `entry` of field_tests.wgsl over `count` items.
fn run_test_kernel(
    entry: &str,
    lhs: &[u32],
    rhs: &[u32],
    out_words: usize,
    count: [u32; 4],
) -> Vec<u32> {
    let inner = device().inner();
    let device = &inner.device;
    let source = format!(
        "{FIELD_AND_CURVE}{}",
        include_str!("shaders/field_tests.wgsl")
    );
    let staging = scoped(device, "a test kernel", || {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("field_tests.wgsl"),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: None,
            entries: &[
                storage_entry(0, true),
                storage_entry(1, true),
                storage_entry(2, false),
                uniform_entry(3),
                storage_entry(6, true),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: None,
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = compute_pipeline(device, &pipeline_layout, &module, entry);
        let storage = wgpu::BufferUsages::STORAGE;
        let buffer = |contents: &[u32], usage| {
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: None,
                contents: bytemuck::cast_slice(contents),
                usage,
            })
        };
        let lhs = buffer(lhs, storage);
        let rhs = buffer(rhs, storage);
        let groups = count[0].div_ceil(16).max(1);
        let (programs, _) = upload_programs(device);
        let count = buffer(&count, wgpu::BufferUsages::UNIFORM);
        let size = (out_words * 4) as u64;
        let out = device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: storage | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let staging = device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: None,
            layout: &layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: lhs.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: rhs.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 2,
                    resource: out.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 3,
                    resource: count.as_entire_binding(),
                },
                wgpu::BindGroupEntry {
                    binding: 6,
                    resource: programs.as_entire_binding(),
                },
            ],
        });
        let mut encoder = device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&pipeline);
            pass.set_bind_group(0, &bind_group, &[]);
            pass.dispatch_workgroups(groups, 1, 1);
        }
        encoder.copy_buffer_to_buffer(&out, 0, &staging, 0, size);
        inner.queue.submit([encoder.finish()]);
        staging
    })
    .expect("the test kernel runs");
    let (done, mapped) = std::sync::mpsc::channel();
    staging
        .slice(..)
        .map_async(wgpu::MapMode::Read, move |r| done.send(r).unwrap());
    device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    mapped.recv().unwrap().unwrap();
    let words =
        bytemuck::cast_slice::<u8, u32>(&staging.slice(..).get_mapped_range().unwrap()).to_vec();
    staging.unmap();
    words
}

fn fq_words(values: &[Fq]) -> Vec<u32> {
    values
        .iter()
        .flat_map(|x| x.0 .0.iter().flat_map(|l| [*l as u32, (l >> 32) as u32]))
        .collect()
}

fn read_fq(words: &[u32]) -> Fq {
    let mut limbs = [0u64; 4];
    for (k, limb) in limbs.iter_mut().enumerate() {
        *limb = u64::from(words[2 * k]) | (u64::from(words[2 * k + 1]) << 32);
    }
    Fq::new_unchecked(ark_ff::BigInt::new(limbs))
}

/// 0, 1, 2, 3, 9, p − 1, p − 2, (p − 1)/2, (p + 1)/2, 2^k near the top, R^{-1}, values whose
/// Montgomery limbs are all ones, and random ones.
fn edge_values(rng: &mut StdRng) -> Vec<Fq> {
    let p_minus_1 = -Fq::ONE;
    let half = Fq::from(2u64).inverse().unwrap();
    let mut v = vec![
        Fq::ZERO,
        Fq::ONE,
        Fq::from(2u64),
        Fq::from(3u64),
        Fq::from(9u64),
        p_minus_1,
        p_minus_1 - Fq::ONE,
        p_minus_1 * half,
        (p_minus_1 + Fq::from(2u64)) * half,
        Fq::from(2u64).pow([253u64]),
        Fq::from(2u64).pow([252u64]) * Fq::from(3u64),
        Fq::new_unchecked(ark_ff::BigInt::new([1, 0, 0, 0])),
        Fq::new_unchecked(ark_ff::BigInt::new([
            u64::MAX,
            u64::MAX,
            u64::MAX,
            0x3000_0000_0000_0000,
        ])),
        Fq::new_unchecked(ark_ff::BigInt::new([0xffff_ffff, 0, 0xffff_0000_ffff, 0])),
    ];
    v.extend((0..50).map(|_| Fq::rand(rng)));
    v
}

#[test]
fn field_products_sums_and_differences_match_arkworks_on_edge_values() {
    let mut rng = StdRng::seed_from_u64(1);
    let values = edge_values(&mut rng);
    let mut lhs = Vec::new();
    let mut rhs = Vec::new();
    for a in &values {
        for b in &values {
            lhs.push(*a);
            rhs.push(*b);
        }
    }
    let n = lhs.len();
    let (lw, rw) = (fq_words(&lhs), fq_words(&rhs));
    let count = [n as u32, 0, 0, 0];
    for (entry, op) in [
        ("field_mul", (|a: Fq, b: Fq| a * b) as fn(Fq, Fq) -> Fq),
        ("field_add", |a, b| a + b),
        ("field_sub", |a, b| a - b),
    ] {
        let out = run_test_kernel(entry, &lw, &rw, 8 * n, count);
        for i in 0..n {
            assert_eq!(
                read_fq(&out[8 * i..8 * i + 8]),
                op(lhs[i], rhs[i]),
                "{entry}({}, {})",
                lhs[i],
                rhs[i]
            );
        }
    }
}

fn proj_words(points: &[(Fq, Fq, Fq)]) -> Vec<u32> {
    points
        .iter()
        .flat_map(|(x, y, z)| fq_words(&[*x, *y, *z]))
        .collect()
}

/// Homogeneous coordinates of `p`, scaled by `lambda` (the kernels must not care which).
fn homogeneous(p: G1Affine, lambda: Fq) -> (Fq, Fq, Fq) {
    match p.xy() {
        Some((x, y)) => (x * lambda, y * lambda, lambda),
        None => (Fq::ZERO, lambda, Fq::ZERO),
    }
}

#[test]
fn the_point_programs_on_the_device_add_and_subtract_equal_opposite_and_identity_points() {
    let mut rng = StdRng::seed_from_u64(2);
    let g = G1Affine::generator();
    let mut pairs: Vec<(G1Affine, G1Affine)> = Vec::new();
    for _ in 0..20 {
        let p = (G1Projective::generator() * Fr::rand(&mut rng)).into_affine();
        let q = (G1Projective::generator() * Fr::rand(&mut rng)).into_affine();
        pairs.extend([
            (p, q),
            (p, p),
            (p, -p),
            (G1Affine::zero(), q),
            (p, G1Affine::zero()),
        ]);
    }
    pairs.extend([
        (g, g),
        (g, -g),
        (-g, g),
        (G1Affine::zero(), G1Affine::zero()),
    ]);
    let n = pairs.len();
    let lhs: Vec<_> = pairs
        .iter()
        .map(|(p, _)| homogeneous(*p, Fq::rand(&mut rng)))
        .collect();
    let rhs: Vec<_> = pairs
        .iter()
        .map(|(_, q)| homogeneous(*q, Fq::rand(&mut rng)))
        .collect();
    let add_length = super::program::Programs::new().add_length();
    let out = run_test_kernel(
        "curve_programs",
        &proj_words(&lhs),
        &proj_words(&rhs),
        72 * n,
        [n as u32, add_length, 0, 0],
    );
    for (i, (p, q)) in pairs.iter().enumerate() {
        let got =
            |slot: usize| read_sum(&out[24 * (3 * i + slot)..24 * (3 * i + slot + 1)]).unwrap();
        let (p, q) = (G1Projective::from(*p), G1Projective::from(*q));
        assert_eq!(got(0), p + q, "A + B, pair {i}");
        assert_eq!(got(1), p - q, "A - B, pair {i}");
        assert_eq!(got(2), p + q, "C + A, pair {i}");
    }
}

fn random_points(n: usize, rng: &mut StdRng) -> Vec<G1Affine> {
    // A few random multiples of the generator, then sums of earlier points: random enough for an
    // MSM, and cheap at 2^14.
    let mut points: Vec<G1Projective> = (0..n.min(16))
        .map(|_| G1Projective::generator() * Fr::rand(rng))
        .collect();
    while points.len() < n {
        let i = points.len();
        let next = points[i - 1] + points[i / 2] + points[i % 16];
        points.push(next);
    }
    G1Projective::normalize_batch(&points)
}

fn assert_msm_matches_cpu(case: &str, points: &[G1Affine], scalars: &[Fr]) {
    let gpu = GpuMsm::new(device().clone());
    let expected = Msm::<g1::Config>::msm(&ArkMsm, points, scalars).unwrap();
    let got =
        Msm::<g1::Config>::msm(&gpu, points, scalars).unwrap_or_else(|e| panic!("{case}: {e}"));
    assert_eq!(
        got.into_affine(),
        expected.into_affine(),
        "{case}, {} points",
        points.len()
    );
}

#[test]
fn the_gpu_msm_equals_the_cpu_msm_on_random_inputs_from_one_point_to_2_pow_14() {
    let mut rng = StdRng::seed_from_u64(3);
    for n in [1usize, 2, 3, 255, 256, 1000, 1 << 12, 1 << 14] {
        let points = random_points(n, &mut rng);
        let scalars: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        assert_msm_matches_cpu("random", &points, &scalars);
    }
}

#[test]
fn the_gpu_msm_equals_the_cpu_msm_on_adversarial_inputs() {
    let mut rng = StdRng::seed_from_u64(4);
    let n = 1 << 10;
    let points = random_points(n, &mut rng);
    let random: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
    let r_minus_1 = -Fr::ONE;
    let c = Plan::new(n).unwrap().c;
    // Digits at the signed-digit boundaries: 2^(c-1) (the top bucket, no borrow), 2^(c-1) + 1
    // (a borrow), and all ones (a borrow in every window).
    let top = Fr::from(1u64 << (c - 1));
    let borrow = Fr::from((1u64 << (c - 1)) + 1);
    let all_ones = Fr::from_le_bytes_mod_order(&[0xff; 31]);

    assert_msm_matches_cpu("zero scalars", &points, &vec![Fr::ZERO; n]);
    let some_zero: Vec<Fr> = random
        .iter()
        .enumerate()
        .map(|(i, s)| if i % 3 == 0 { Fr::ZERO } else { *s })
        .collect();
    assert_msm_matches_cpu("a third of the scalars zero", &points, &some_zero);
    assert_msm_matches_cpu("every scalar r - 1", &points, &vec![r_minus_1; n]);
    assert_msm_matches_cpu("every scalar 1", &points, &vec![Fr::ONE; n]);
    let equal = Fr::rand(&mut rng);
    assert_msm_matches_cpu("every scalar equal", &points, &vec![equal; n]);
    for (case, s) in [
        ("2^(c-1)", top),
        ("2^(c-1) + 1", borrow),
        ("all ones", all_ones),
    ] {
        assert_msm_matches_cpu(case, &points, &vec![s; n]);
    }
    let repeated = vec![points[7]; n];
    assert_msm_matches_cpu("one point repeated", &repeated, &random);
    assert_msm_matches_cpu(
        "one point repeated, equal scalars",
        &repeated,
        &vec![equal; n],
    );
    let mut with_infinity = points.clone();
    for p in with_infinity.iter_mut().step_by(5) {
        *p = G1Affine::zero();
    }
    assert_msm_matches_cpu("points at infinity", &with_infinity, &random);
    assert_msm_matches_cpu(
        "only points at infinity",
        &vec![G1Affine::zero(); n],
        &random,
    );
    // P and -P under equal scalars cancel; under random ones they share buckets.
    let opposite: Vec<G1Affine> = points
        .iter()
        .enumerate()
        .map(|(i, p)| if i % 2 == 0 { *p } else { -points[i - 1] })
        .collect();
    assert_msm_matches_cpu("P and -P, equal scalars", &opposite, &vec![equal; n]);
    assert_msm_matches_cpu("P and -P, random scalars", &opposite, &random);
    let mixed: Vec<Fr> = (0..n)
        .map(|i| [Fr::ZERO, Fr::ONE, r_minus_1, top, borrow, random[i]][i % 6])
        .collect();
    assert_msm_matches_cpu("a mix of edge scalars", &points, &mixed);
}

#[test]
fn mismatched_lengths_and_the_empty_msm_are_answered_without_the_device() {
    let gpu = GpuMsm::new(device().clone());
    let points = random_points(3, &mut StdRng::seed_from_u64(5));
    assert!(matches!(
        Msm::<g1::Config>::msm(&gpu, &points, &[Fr::ONE; 2]),
        Err(crate::MsmError::LengthMismatch {
            bases: 3,
            scalars: 2
        })
    ));
    assert_eq!(
        Msm::<g1::Config>::msm(&gpu, &[], &[]).unwrap(),
        G1Projective::zero()
    );
}

#[test]
fn a_resident_key_sums_each_query_on_the_device_or_below_its_threshold_on_the_cpu() {
    let mut rng = StdRng::seed_from_u64(6);
    let queries = [300, 40, 200, 512].map(|n| random_points(n, &mut rng));
    let slices = [
        &queries[0][..],
        &queries[1][..],
        &queries[2][..],
        &queries[3][..],
    ];
    let key = GpuKey::upload(GpuMsm::new(device().clone()), slices, 100).unwrap();
    assert_eq!(key.resident_points(), 300 + 200 + 512);
    for (query, points) in KeyQuery::ALL.iter().zip(&queries) {
        let scalars: Vec<Fr> = (0..points.len()).map(|_| Fr::rand(&mut rng)).collect();
        let expected = Msm::<g1::Config>::msm(&Pippenger::default(), points, &scalars).unwrap();
        assert_eq!(key.sum(*query, &scalars).unwrap(), expected, "{query:?}");
    }
    assert!(key.sum(KeyQuery::A, &[Fr::ONE; 3]).is_err());
}

#[test]
fn a_bucket_holding_every_point_is_summed_by_segments_and_folds() {
    // Equal scalars put every point in one bucket of each window: 2^14 of them are 128
    // segments, folded twice; 3,000 are 47 segments, folded once.
    let mut rng = StdRng::seed_from_u64(7);
    for n in [3000, 1 << 14] {
        let plan = Plan::new(n).unwrap();
        assert!(plan.folds >= 1, "{plan:?}");
        let points = random_points(n, &mut rng);
        let equal = Fr::rand(&mut rng);
        assert_msm_matches_cpu("every scalar equal", &points, &vec![equal; n]);
        assert_msm_matches_cpu("every scalar 3", &points, &vec![Fr::from(3u64); n]);
    }
}

#[test]
fn the_plan_covers_every_scalar_bit_and_bounds_every_invocations_additions() {
    for log in 0..=26 {
        let plan = Plan::new(1 << log).unwrap();
        // Bits below the top window, and the top window's raw bits: at most c - 1 of them, so
        // raw + carry ≤ 2^(c-1), never a borrow out.
        let below = plan.c * (plan.windows - 1);
        assert!(below < 254 && 254 - below < plan.c, "log {log}: {plan:?}");
        assert_eq!(plan.buckets % plan.runs, 0);
        // lavapipe's loop limit (layout.rs): at most 128 additions per invocation.
        assert!(plan.segment <= MAX_SEGMENT);
        assert!(2 * (plan.buckets / plan.runs) <= 128);
        // The folds leave one sum per bucket even when one bucket holds every point.
        let most_segments = u64::from(plan.n.div_ceil(plan.segment));
        assert!(
            u64::from(FOLD).pow(plan.folds) >= most_segments,
            "log {log}: {plan:?}"
        );
    }
    let _ = (point_words(&[]), Fr::MODULUS.num_bits());
}
