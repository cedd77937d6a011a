//! [`GpuMsm`]: one MSM's buffers, its dispatches and the windows' combination on the host;
//! [`GpuKey`]: a proving key's G1 queries resident on the device.

use super::device::{scoped, GpuDevice};
use super::layout::{
    point_words, read_sum, scalar_words, Plan, POINT_WORKGROUP, SUM_WORDS, WORKGROUP,
};
use super::GpuError;
use crate::msm::{KeyMsm, KeyQuery, Msm, MsmError};
use crate::Pippenger;
use ark_bn254::{g1, Bn254, Fr, G1Affine, G1Projective};
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{AdditiveGroup, CurveGroup};
use ark_ff::Zero;
use ark_groth16::ProvingKey;
use wgpu::util::DeviceExt;

/// The MSM on a GPU (see the [module](super) docs and msm.wgsl for the passes).
#[derive(Debug, Clone)]
pub struct GpuMsm {
    device: GpuDevice,
}

/// Points uploaded to the device once, for any number of MSMs over them.
#[derive(Debug)]
pub struct ResidentPoints {
    buffer: wgpu::Buffer,
    len: usize,
}

impl ResidentPoints {
    /// How many points.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl GpuMsm {
    /// The MSM on `device`.
    pub fn new(device: GpuDevice) -> Self {
        GpuMsm { device }
    }

    /// The device it runs on.
    pub fn device(&self) -> &GpuDevice {
        &self.device
    }

    /// Uploads `points` (64 bytes each) to stay on the device.
    pub fn upload(&self, points: &[G1Affine]) -> Result<ResidentPoints, GpuError> {
        let inner = self.device.inner();
        let words = point_words(points);
        // A zero-sized buffer cannot be bound; the empty MSM never binds it.
        let bytes: &[u8] = if words.is_empty() {
            &[0; 4]
        } else {
            bytemuck::cast_slice(&words)
        };
        check_size("the points", bytes.len() as u64, &inner.device)?;
        let buffer = scoped(&inner.device, "uploading points", || {
            inner
                .device
                .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                    label: Some("msm points"),
                    contents: bytes,
                    usage: wgpu::BufferUsages::STORAGE,
                })
        })?;
        Ok(ResidentPoints {
            buffer,
            len: points.len(),
        })
    }

    /// `Σ scalars[i]·points[i]` over resident points.
    pub fn msm_resident(
        &self,
        points: &ResidentPoints,
        scalars: &[Fr],
    ) -> Result<G1Projective, MsmError> {
        crate::msm::check_lengths(points.len, scalars.len())?;
        if scalars.is_empty() {
            return Ok(G1Projective::zero());
        }
        Ok(self.run(&points.buffer, scalars)?)
    }

    fn run(&self, points: &wgpu::Buffer, scalars: &[Fr]) -> Result<G1Projective, GpuError> {
        let plan = Plan::new(scalars.len())?;
        let inner = self.device.inner();
        let device = &inner.device;
        let scalar_words = scalar_words(scalars);
        let sizes = Sizes::of(&plan);
        for (what, bytes) in sizes.named() {
            check_size(what, bytes, device)?;
        }
        // One MSM at a time (see `Inner::running`); a panic elsewhere cannot poison the
        // device's state, which lives in the driver, so a poisoned lock is taken over.
        let _turn = inner
            .running
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let staging = scoped(device, "running the MSM", || {
            self.submit(&plan, &sizes, points, &scalar_words)
        })?;
        let words = self.read_back(&staging)?;
        if let Some(message) = inner.uncaptured.lock().ok().and_then(|mut e| e.take()) {
            return Err(GpuError::Driver {
                during: "running the MSM",
                message,
            });
        }
        combine(&plan, &words)
    }

    /// Creates the MSM's buffers, records its dispatches and submits them; returns the staging
    /// buffer the run sums are copied to.
    fn submit(
        &self,
        plan: &Plan,
        sizes: &Sizes,
        points: &wgpu::Buffer,
        scalar_words: &[u32],
    ) -> wgpu::Buffer {
        let inner = self.device.inner();
        let device = &inner.device;
        let init = |label, contents: &[u8], usage| {
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents,
                usage,
            })
        };
        let empty = |label, size, usage| {
            // wgpu zero-fills new buffers: the counters start at zero.
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage,
                mapped_at_creation: false,
            })
        };
        let storage = wgpu::BufferUsages::STORAGE;
        let params = init(
            "msm params",
            bytemuck::cast_slice(&plan.params(inner.kernels.add_length)),
            wgpu::BufferUsages::UNIFORM,
        );
        let scalars = init("msm scalars", bytemuck::cast_slice(scalar_words), storage);
        let counters = empty("msm counters", sizes.counters, storage);
        let index = empty("msm index", sizes.index, storage);
        let sums = empty(
            "msm sums",
            sizes.sums,
            storage | wgpu::BufferUsages::COPY_SRC,
        );
        let staging = empty(
            "msm run sums",
            sizes.run_sums,
            wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        );
        let k = &inner.kernels;
        // Binding 7, the fold pass's stride: one 16-byte uniform per pass (the first also
        // serves the other kernels), each at the adapter's uniform offset alignment.
        let align = u64::from(device.limits().min_uniform_buffer_offset_alignment).max(16);
        let passes = plan.folds.max(1);
        let mut strides = vec![0u8; (align * u64::from(passes)) as usize];
        for level in 0..passes {
            let at = (align * u64::from(level)) as usize;
            strides[at..at + 4].copy_from_slice(&Plan::fold_stride(level).to_le_bytes());
        }
        let strides = init("msm fold strides", &strides, wgpu::BufferUsages::UNIFORM);
        let bind_groups: Vec<wgpu::BindGroup> = (0..passes)
            .map(|level| {
                device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("msm"),
                    layout: &k.layout,
                    entries: &[
                        entry(0, &params),
                        entry(1, points),
                        entry(2, &scalars),
                        entry(3, &counters),
                        entry(4, &index),
                        entry(5, &sums),
                        entry(6, &k.programs),
                        wgpu::BindGroupEntry {
                            binding: 7,
                            resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                                buffer: &strides,
                                offset: align * u64::from(level),
                                size: wgpu::BufferSize::new(16),
                            }),
                        },
                    ],
                })
            })
            .collect();
        let mut encoder = device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_bind_group(0, &bind_groups[0], &[]);
            let all = plan.all_buckets();
            dispatch(&mut pass, &k.count, plan.n, WORKGROUP);
            pass.set_pipeline(&k.scan_blocks);
            pass.dispatch_workgroups(all.div_ceil(super::layout::SCAN_BLOCK), 1, 1);
            pass.set_pipeline(&k.scan_top);
            pass.dispatch_workgroups(1, 1, 1);
            dispatch(&mut pass, &k.scan_add, all, WORKGROUP);
            dispatch(&mut pass, &k.scatter, plan.n, WORKGROUP);
            dispatch(&mut pass, &k.accumulate, plan.max_segments, POINT_WORKGROUP);
            for level in 0..plan.folds {
                pass.set_bind_group(0, &bind_groups[level as usize], &[]);
                dispatch(&mut pass, &k.fold, plan.max_segments, POINT_WORKGROUP);
            }
            dispatch(
                &mut pass,
                &k.reduce,
                plan.windows * plan.runs,
                POINT_WORKGROUP,
            );
        }
        let run_sums_at = u64::from(plan.run_sums) * (SUM_WORDS as u64) * 4;
        encoder.copy_buffer_to_buffer(&sums, run_sums_at, &staging, 0, sizes.run_sums);
        inner.queue.submit([encoder.finish()]);
        staging
    }

    fn read_back(&self, staging: &wgpu::Buffer) -> Result<Vec<u32>, GpuError> {
        let device = &self.device.inner().device;
        let (done, mapped) = std::sync::mpsc::channel();
        staging
            .slice(..)
            .map_async(wgpu::MapMode::Read, move |result| {
                // The receiver waits below; if it is gone there is no one to tell.
                let _ = done.send(result);
            });
        device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| driver("waiting for the MSM", e))?;
        mapped
            .recv()
            .map_err(|e| driver("reading the MSM back", e))?
            .map_err(|e| driver("reading the MSM back", e))?;
        let words = {
            let view = staging
                .slice(..)
                .get_mapped_range()
                .map_err(|e| driver("reading the MSM back", e))?;
            bytemuck::cast_slice::<u8, u32>(&view).to_vec()
        };
        staging.unmap();
        Ok(words)
    }
}

fn driver(during: &'static str, e: impl std::fmt::Display) -> GpuError {
    GpuError::Driver {
        during,
        message: e.to_string(),
    }
}

fn entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: buffer.as_entire_binding(),
    }
}

/// `threads` invocations of a one-thread-per-item kernel, in workgroups of `size`, laid out in
/// two dimensions past the 65,535 a dimension may have (the kernels' `linear_id`).
fn dispatch(
    pass: &mut wgpu::ComputePass<'_>,
    pipeline: &wgpu::ComputePipeline,
    threads: u32,
    size: u32,
) {
    let groups = threads.div_ceil(size).max(1);
    let x = groups.min(65_535);
    pass.set_pipeline(pipeline);
    pass.dispatch_workgroups(x, groups.div_ceil(x), 1);
}

/// The bytes of one MSM's scratch buffers.
struct Sizes {
    scalars: u64,
    counters: u64,
    index: u64,
    sums: u64,
    run_sums: u64,
}

impl Sizes {
    fn of(plan: &Plan) -> Self {
        Sizes {
            scalars: u64::from(plan.n) * 32,
            counters: 2 * u64::from(plan.all_buckets()) * 4,
            index: plan.index_words * 4,
            sums: plan.sum_points * (SUM_WORDS as u64) * 4,
            run_sums: 2 * u64::from(plan.windows * plan.runs) * (SUM_WORDS as u64) * 4,
        }
    }

    fn named(&self) -> [(&'static str, u64); 4] {
        [
            ("the scalars", self.scalars),
            ("the bucket counters", self.counters),
            ("the bucket index", self.index),
            ("the bucket sums", self.sums),
        ]
    }
}

fn check_size(what: &'static str, bytes: u64, device: &wgpu::Device) -> Result<(), GpuError> {
    let limits = device.limits();
    let limit = limits
        .max_storage_buffer_binding_size
        .min(limits.max_buffer_size);
    if bytes > limit {
        return Err(GpuError::TooLarge { what, bytes, limit });
    }
    Ok(())
}

/// The MSM from the run sums. Window w's sum is Σ_b (b + 1)·bucket_b; run t covers buckets
/// [lo_t, lo_t + ℓ) with lo_t = t·ℓ and reports its sum S_t and weighted sum
/// V_t = Σ_{b in the run} (b − lo_t + 1)·bucket_b, so the window is
/// Σ_t V_t + ℓ·Σ_t t·S_t, the last sum by a running sum over the runs from the top (2T
/// additions and one product by ℓ < 2^15). The windows are combined from the top with c
/// doublings between (Horner), and the result is checked to be on the curve.
fn combine(plan: &Plan, words: &[u32]) -> Result<G1Projective, GpuError> {
    let runs = plan.runs as usize;
    let length = u64::from(plan.buckets / plan.runs);
    let sum = |at: usize| -> Result<G1Projective, GpuError> {
        let words = words
            .get(at * SUM_WORDS..(at + 1) * SUM_WORDS)
            .ok_or(GpuError::BadOutput("fewer sums than asked for"))?;
        read_sum(words)
    };
    let mut total = G1Projective::zero();
    for w in (0..plan.windows as usize).rev() {
        for _ in 0..plan.c {
            total.double_in_place();
        }
        let mut weighted = G1Projective::zero();
        let mut running = G1Projective::zero();
        let mut by_run = G1Projective::zero();
        for t in (0..runs).rev() {
            let at = 2 * (w * runs + t);
            weighted += sum(at + 1)?;
            // After adding S_t, `running` is Σ_{u ≥ t} S_u; summed over t ≥ 1 it is Σ_t t·S_t.
            if t > 0 {
                running += sum(at)?;
                by_run += running;
            }
        }
        total += weighted + by_run * Fr::from(length);
    }
    if !total.into_affine().is_on_curve() {
        return Err(GpuError::BadOutput("a sum that is not on the curve"));
    }
    Ok(total)
}

impl Msm<g1::Config> for GpuMsm {
    /// Uploads `bases` for this MSM alone; [`GpuKey`] keeps a proving key's resident.
    fn msm(
        &self,
        bases: &[Affine<g1::Config>],
        scalars: &[Fr],
    ) -> Result<Projective<g1::Config>, MsmError> {
        crate::msm::check_lengths(bases.len(), scalars.len())?;
        if bases.is_empty() {
            return Ok(G1Projective::zero());
        }
        let points = self.upload(bases)?;
        self.msm_resident(&points, scalars)
    }

    fn name(&self) -> &'static str {
        "gpu"
    }
}

/// Where one of a [`GpuKey`]'s queries is summed.
#[derive(Debug)]
enum Query {
    /// Resident on the device.
    Device(ResidentPoints),
    /// Too small to pay for a dispatch: kept on the host for the CPU MSM.
    Host(Vec<G1Affine>),
}

/// A proving key's four G1 queries (`A`, `B₁`, `L`, `H`) uploaded once, for every proof made
/// with the key: [`KeyMsm`] for [`crate::groth16::MsmBackends::key_g1`].
#[derive(Debug)]
pub struct GpuKey {
    msm: GpuMsm,
    queries: [Query; 4],
    cpu: Pippenger,
}

impl GpuKey {
    /// Uploads `pk`'s G1 queries of at least `min_points` points (the others stay on the host and
    /// are summed on the CPU).
    pub fn upload_key(
        msm: GpuMsm,
        pk: &ProvingKey<Bn254>,
        min_points: usize,
    ) -> Result<Self, GpuError> {
        let queries = [
            &pk.a_query[..],
            &pk.b_g1_query[..],
            &pk.l_query[..],
            &pk.h_query[..],
        ];
        Self::upload(msm, queries, min_points)
    }

    /// [`Self::upload_key`] of the queries given in [`KeyQuery::ALL`]'s order.
    pub fn upload(
        msm: GpuMsm,
        queries: [&[G1Affine]; 4],
        min_points: usize,
    ) -> Result<Self, GpuError> {
        let place = |points: &[G1Affine]| -> Result<Query, GpuError> {
            if points.len() >= min_points.max(1) {
                Ok(Query::Device(msm.upload(points)?))
            } else {
                Ok(Query::Host(points.to_vec()))
            }
        };
        let [a, b1, l, h] = queries;
        let queries = [place(a)?, place(b1)?, place(l)?, place(h)?];
        Ok(GpuKey {
            msm,
            queries,
            cpu: Pippenger::default(),
        })
    }

    /// Points resident on the device, over all queries.
    pub fn resident_points(&self) -> usize {
        self.queries
            .iter()
            .map(|q| match q {
                Query::Device(points) => points.len(),
                Query::Host(_) => 0,
            })
            .sum()
    }
}

impl KeyMsm for GpuKey {
    fn sum(&self, query: KeyQuery, scalars: &[Fr]) -> Result<G1Projective, MsmError> {
        match &self.queries[query.index()] {
            Query::Device(points) => self.msm.msm_resident(points, scalars),
            Query::Host(points) => Msm::<g1::Config>::msm(&self.cpu, points, scalars),
        }
    }

    fn describe(&self) -> String {
        self.msm.device().describe()
    }
}
