//! G1 multi-scalar multiplication on a GPU, through wgpu's compute shaders (the `gpu` feature).
//!
//! One portable backend for every vendor: the kernels are WGSL, which wgpu translates to SPIR-V
//! (Vulkan), MSL (Metal) or HLSL (DX12) at run time, so the build needs no GPU toolkit and the
//! binary that passes CI on Mesa's software Vulkan (lavapipe) is the one an operator runs on a GPU
//! machine.
//!
//! - [`GpuDevice`] ([`device`]): an adapter chosen (a discrete GPU before an integrated one
//!   before a software one), its device with every limit the adapter offers, and the compiled
//!   kernels.
//! - [`GpuMsm`] ([`msm`]): signed-digit Pippenger with every pass but the windows' final
//!   combination on the device (`shaders/msm.wgsl` states the passes): the bucket sort as a
//!   sparse-matrix transpose (counts, prefix sums, scatter), bucket sums split into segments so a
//!   bucket holding most points (a circuit's many scalars equal to 1) is summed by many threads,
//!   and the running-sum reduction in runs per window; no invocation makes more than 128
//!   additions (Mesa's software Vulkan ends loops after 65,535 iterations per invocation). It implements [`crate::Msm`] for BN254's
//!   G1 (points uploaded per call), and [`GpuKey`] keeps a proving key's four G1 queries
//!   resident on the device for [`crate::msm::KeyMsm`] (uploaded once per key).
//! - The field (`shaders/field.wgsl`): BN254's base field in Montgomery form with R = 2^256,
//!   arkworks' own representation, so points go to the device as their bytes; sixteen 16-bit
//!   limbs per element in a shader, so every partial product fits a u32; two limbs per word in
//!   buffers.
//! - The curve (`shaders/curve.wgsl`, `program.rs`): homogeneous projective coordinates with
//!   Renes, Costello and Batina's complete addition, so equal points, a point beside its
//!   negation and the identity need no branch. The addition runs as a program of field
//!   operations read from a buffer by one interpreter loop per kernel, so each kernel holds one
//!   copy of the (unrolled) product: written out, the products inlined at every call made
//!   kernels Mesa's software Vulkan did not finish compiling in ten minutes; as programs, every
//!   kernel compiles in under a second there.
//!
//! ## Memory, per MSM of n points
//! With c-bit windows (c = 16 at 2^20 points, W = 16 windows, B = 2^15 buckets each, segments of
//! 128 entries): the points 64 bytes each (resident), the scalars 32, the sorted bucket entries
//! 4·W, the counters, offsets and scan tables about 16·W·B bytes, and projective sums of 96
//! bytes for every segment and two for every run. At 2^20 points that is 32 + 68 + 4 + 62 MiB,
//! about 166 MiB of scratch beside the 64 MiB of resident points, checked against the adapter's
//! limits before anything is allocated ([`GpuError::TooLarge`]).

pub mod device;
mod layout;
pub mod msm;
mod program;
#[cfg(test)]
mod tests;

pub use device::{AdapterKind, GpuDevice};
pub use msm::{GpuKey, GpuMsm};

/// Why the GPU backend could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GpuError {
    /// wgpu found no adapter at all.
    #[error(
        "no GPU adapter: wgpu found no Vulkan, Metal or DX12 device (on Linux without a GPU, \
         Mesa's software Vulkan is Debian's mesa-vulkan-drivers and libvulkan1)"
    )]
    NoAdapter,
    /// `auto` found only a software adapter, which is slower than the CPU path.
    #[error(
        "the only adapter is {0}, a software one, slower than the CPU \
         (--prover.msm gpu proves on it anyway)"
    )]
    NotHardware(String),
    /// The adapter refused a device.
    #[error("the adapter {adapter} refused a device: {message}")]
    RequestDevice {
        /// The adapter's name.
        adapter: String,
        /// wgpu's reason.
        message: String,
    },
    /// The driver reported an error (a kernel that did not compile, memory it could not give, a
    /// lost device). wgpu's error is not `Sync`, so its text is kept.
    #[error("the GPU driver failed while {during}: {message}")]
    Driver {
        /// What the backend was doing.
        during: &'static str,
        /// The driver's message.
        message: String,
    },
    /// The MSM needs a buffer larger than the adapter allows.
    #[error("{what} needs {bytes} bytes, more than this adapter's limit of {limit}")]
    TooLarge {
        /// The buffer.
        what: &'static str,
        /// Bytes it needs.
        bytes: u64,
        /// The adapter's limit.
        limit: u64,
    },
    /// More points than the kernels index (2^31: an entry's top bit is its sign).
    #[error("{0} points are more than the GPU backend takes (2^31)")]
    TooManyPoints(usize),
    /// The device returned a value that is not a field element or a result that is not on the
    /// curve: a driver or hardware fault, caught before it reaches a proof.
    #[error("the GPU returned {0}: a driver or hardware fault")]
    BadOutput(&'static str),
}

impl From<GpuError> for crate::MsmError {
    fn from(e: GpuError) -> Self {
        crate::MsmError::Device {
            backend: "GPU",
            message: e.to_string(),
        }
    }
}
