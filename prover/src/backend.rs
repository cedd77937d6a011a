//! Where a prover's G1 MSMs run, `--prover.msm auto|cpu|gpu`: the one place that knows whether
//! this build has the `gpu` feature.
//!
//! - `cpu`: zksettle's Pippenger and the key's fixed-base tables.
//! - `gpu`: the key's G1 queries uploaded once to the best adapter wgpu finds, software ones
//!   included (Mesa's lavapipe: correct, and slower than the CPU), every G1 query summed there;
//!   an error when there is no adapter or the build has no `gpu` feature.
//! - `auto`: the GPU when the adapter is GPU hardware, with queries of fewer than
//!   [`AUTO_MIN_POINTS`] points left on the CPU (too small to pay for a dispatch and a read
//!   back); the CPU otherwise, with the reason.

use crate::BatchProver;
use std::fmt;
use std::str::FromStr;

/// Queries smaller than this stay on the CPU under `auto`: below it a CPU MSM takes a few
/// milliseconds, about a GPU's fixed cost of a dozen dispatches and a read back (an estimate
/// from the published GPU figures, not measured here: there is no GPU on this project's
/// machines).
pub const AUTO_MIN_POINTS: usize = 1 << 12;

/// Where the G1 MSMs should run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MsmDevice {
    /// The GPU if it is hardware, else the CPU.
    #[default]
    Auto,
    /// The CPU.
    Cpu,
    /// A GPU adapter, software ones included; an error without one.
    Gpu,
}

impl fmt::Display for MsmDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MsmDevice::Auto => "auto",
            MsmDevice::Cpu => "cpu",
            MsmDevice::Gpu => "gpu",
        })
    }
}

/// A word that is not `auto`, `cpu` or `gpu`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown MSM device {0:?}: expected auto, cpu or gpu")]
pub struct UnknownMsmDevice(pub String);

impl FromStr for MsmDevice {
    type Err = UnknownMsmDevice;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(MsmDevice::Auto),
            "cpu" => Ok(MsmDevice::Cpu),
            "gpu" => Ok(MsmDevice::Gpu),
            other => Err(UnknownMsmDevice(other.to_owned())),
        }
    }
}

/// Where the G1 MSMs ended up, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MsmPlacement {
    /// On the CPU; under `auto`, why not on a GPU.
    Cpu {
        /// Why `auto` did not take a GPU (`None` when `cpu` was asked for).
        reason: Option<String>,
    },
    /// On the GPU adapter named.
    Gpu {
        /// The adapter, its kind and backend.
        adapter: String,
    },
}

impl MsmPlacement {
    /// Whether the G1 MSMs run on a GPU: the prover's G1 fixed-base tables are then not needed.
    pub fn is_gpu(&self) -> bool {
        matches!(self, MsmPlacement::Gpu { .. })
    }
}

impl fmt::Display for MsmPlacement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MsmPlacement::Cpu { reason: None } => f.write_str("CPU"),
            MsmPlacement::Cpu {
                reason: Some(reason),
            } => write!(f, "CPU ({reason})"),
            MsmPlacement::Gpu { adapter } => write!(f, "GPU {adapter}"),
        }
    }
}

/// Why `--prover.msm gpu` could not be honoured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MsmDeviceError {
    /// This build has no GPU backend.
    #[error(
        "--prover.msm gpu: this zksettle was built without the prover's `gpu` feature \
         (build with `--features gpu`)"
    )]
    NotBuilt,
    /// The GPU backend failed to start or to take the key.
    #[cfg(feature = "gpu")]
    #[error("--prover.msm gpu: {0}")]
    Gpu(#[from] crate::gpu::GpuError),
}

/// `prover` with its G1 MSMs placed as `device` asks.
pub fn place(
    prover: BatchProver,
    device: MsmDevice,
) -> Result<(BatchProver, MsmPlacement), MsmDeviceError> {
    match device {
        MsmDevice::Cpu => Ok((prover, MsmPlacement::Cpu { reason: None })),
        MsmDevice::Gpu => gpu::place(prover, false),
        MsmDevice::Auto => match gpu::place(prover.clone(), true) {
            Ok(placed) => Ok(placed),
            Err(e) => Ok((
                prover,
                MsmPlacement::Cpu {
                    reason: Some(e.to_string()),
                },
            )),
        },
    }
}

#[cfg(feature = "gpu")]
mod gpu {
    use super::{MsmDeviceError, MsmPlacement, AUTO_MIN_POINTS};
    use crate::gpu::{GpuDevice, GpuKey, GpuMsm};
    use crate::BatchProver;
    use std::sync::Arc;

    /// Opens the best adapter and uploads the key's G1 queries; under `auto`, only a hardware
    /// adapter, and only the queries of [`AUTO_MIN_POINTS`] points or more.
    pub(super) fn place(
        prover: BatchProver,
        auto: bool,
    ) -> Result<(BatchProver, MsmPlacement), MsmDeviceError> {
        let device = GpuDevice::open()?;
        if auto && !device.kind().is_hardware() {
            return Err(crate::gpu::GpuError::NotHardware(device.describe()).into());
        }
        let min_points = if auto { AUTO_MIN_POINTS } else { 0 };
        let adapter = device.describe();
        let key = GpuKey::upload_key(GpuMsm::new(device), &prover.keys().proving_key, min_points)?;
        Ok((
            prover.with_key_msm(Arc::new(key)),
            MsmPlacement::Gpu { adapter },
        ))
    }
}

#[cfg(not(feature = "gpu"))]
mod gpu {
    use super::{MsmDeviceError, MsmPlacement};
    use crate::BatchProver;

    pub(super) fn place(
        _prover: BatchProver,
        _auto: bool,
    ) -> Result<(BatchProver, MsmPlacement), MsmDeviceError> {
        Err(MsmDeviceError::NotBuilt)
    }
}
