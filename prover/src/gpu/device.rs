//! The adapter, its device and the compiled MSM kernels.

use super::program::Programs;
use super::GpuError;
use std::sync::{Arc, Mutex};
use wgpu::util::DeviceExt;

/// What kind of adapter wgpu found, best first: `auto` proves on a real GPU only, never on a
/// software rasterizer (lavapipe, WARP), which is slower than the CPU path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AdapterKind {
    /// A discrete GPU.
    Discrete,
    /// A GPU sharing the CPU's memory.
    Integrated,
    /// A virtualized GPU.
    Virtual,
    /// Software on the CPU (Mesa's lavapipe, Microsoft's WARP).
    Software,
    /// Anything else.
    Other,
}

impl AdapterKind {
    fn of(kind: wgpu::DeviceType) -> Self {
        match kind {
            wgpu::DeviceType::DiscreteGpu => AdapterKind::Discrete,
            wgpu::DeviceType::IntegratedGpu => AdapterKind::Integrated,
            wgpu::DeviceType::VirtualGpu => AdapterKind::Virtual,
            wgpu::DeviceType::Cpu => AdapterKind::Software,
            wgpu::DeviceType::Other => AdapterKind::Other,
        }
    }

    /// Whether it is GPU hardware (not a software rasterizer).
    pub fn is_hardware(self) -> bool {
        matches!(
            self,
            AdapterKind::Discrete | AdapterKind::Integrated | AdapterKind::Virtual
        )
    }
}

/// The MSM kernels of msm.wgsl, compiled for one device.
#[derive(Debug)]
pub(super) struct Kernels {
    pub layout: wgpu::BindGroupLayout,
    pub count: wgpu::ComputePipeline,
    pub scan_blocks: wgpu::ComputePipeline,
    pub scan_top: wgpu::ComputePipeline,
    pub scan_add: wgpu::ComputePipeline,
    pub scatter: wgpu::ComputePipeline,
    pub accumulate: wgpu::ComputePipeline,
    pub fold: wgpu::ComputePipeline,
    pub reduce: wgpu::ComputePipeline,
    /// The point programs (program.rs), bound at 6.
    pub programs: wgpu::Buffer,
    /// Instructions in one point addition.
    pub add_length: u32,
}

/// The WGSL of the field and the curve, which every kernel module starts with.
pub(super) const FIELD_AND_CURVE: &str = concat!(
    include_str!("shaders/field.wgsl"),
    "\n",
    include_str!("shaders/curve.wgsl"),
    "\n"
);

/// A GPU adapter's device with the MSM kernels compiled on it.
#[derive(Debug, Clone)]
pub struct GpuDevice {
    inner: Arc<Inner>,
}

#[derive(Debug)]
pub(super) struct Inner {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    pub kind: AdapterKind,
    pub kernels: Kernels,
    /// Errors the driver raised outside an error scope (kept, not panicked on, and reported by
    /// the next call).
    pub uncaptured: Arc<Mutex<Option<String>>>,
    /// One MSM at a time: the device runs them in turn anyway, and their scratch memory is
    /// then bounded by one MSM's.
    pub running: Mutex<()>,
}

impl GpuDevice {
    /// The best adapter wgpu finds (discrete, then integrated, virtual, software), with its
    /// device and the kernels compiled. `Err(NoAdapter)` when there is none.
    pub fn open() -> Result<Self, GpuError> {
        let instance = wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle());
        let adapters = pollster::block_on(instance.enumerate_adapters(wgpu::Backends::all()));
        let adapter = adapters
            .into_iter()
            .filter(|a| a.get_downlevel_capabilities().is_webgpu_compliant() || is_compute(a))
            .min_by_key(|a| AdapterKind::of(a.get_info().device_type))
            .ok_or(GpuError::NoAdapter)?;
        Self::on(&adapter)
    }

    fn on(adapter: &wgpu::Adapter) -> Result<Self, GpuError> {
        let info = adapter.get_info();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("zksettle msm"),
            required_limits: adapter.limits(),
            ..Default::default()
        }))
        .map_err(|e| GpuError::RequestDevice {
            adapter: info.name.clone(),
            message: e.to_string(),
        })?;
        let uncaptured = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&uncaptured);
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut slot) = slot.lock() {
                slot.get_or_insert_with(|| e.to_string());
            }
        }));
        let kernels = scoped(&device, "compiling the MSM kernels", || {
            Kernels::compile(&device)
        })?;
        let kind = AdapterKind::of(info.device_type);
        Ok(GpuDevice {
            inner: Arc::new(Inner {
                device,
                queue,
                info,
                kind,
                kernels,
                uncaptured,
                running: Mutex::new(()),
            }),
        })
    }

    /// The adapter's name and backend, for reports ("llvmpipe (LLVM 15.0.6, 256 bits), Vulkan").
    pub fn describe(&self) -> String {
        let info = &self.inner.info;
        format!("{} ({:?}, {:?})", info.name, self.inner.kind, info.backend)
    }

    /// The adapter's kind.
    pub fn kind(&self) -> AdapterKind {
        self.inner.kind
    }

    pub(super) fn inner(&self) -> &Inner {
        &self.inner
    }
}

/// Whether an adapter that is not WebGPU-compliant still runs compute shaders (most Vulkan
/// drivers report a few missing downlevel flags that compute does not need).
fn is_compute(adapter: &wgpu::Adapter) -> bool {
    adapter
        .get_downlevel_capabilities()
        .flags
        .contains(wgpu::DownlevelFlags::COMPUTE_SHADERS)
}

/// Runs `f` inside validation and out-of-memory error scopes: a driver error becomes
/// [`GpuError::Driver`] instead of wgpu's default of panicking.
pub(super) fn scoped<T>(
    device: &wgpu::Device,
    during: &'static str,
    f: impl FnOnce() -> T,
) -> Result<T, GpuError> {
    let memory = device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
    let validation = device.push_error_scope(wgpu::ErrorFilter::Validation);
    let value = f();
    let invalid = pollster::block_on(validation.pop());
    let out_of_memory = pollster::block_on(memory.pop());
    match invalid.or(out_of_memory) {
        Some(e) => Err(GpuError::Driver {
            during,
            message: e.to_string(),
        }),
        None => Ok(value),
    }
}

/// The bind group layout entry of a storage buffer, for compute.
pub(super) fn storage_entry(binding: u32, read_only: bool) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Storage { read_only },
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// The bind group layout entry of a uniform buffer, for compute.
pub(super) fn uniform_entry(binding: u32) -> wgpu::BindGroupLayoutEntry {
    wgpu::BindGroupLayoutEntry {
        binding,
        visibility: wgpu::ShaderStages::COMPUTE,
        ty: wgpu::BindingType::Buffer {
            ty: wgpu::BufferBindingType::Uniform,
            has_dynamic_offset: false,
            min_binding_size: None,
        },
        count: None,
    }
}

/// The compute pipeline of `module`'s kernel `entry`.
pub(super) fn compute_pipeline(
    device: &wgpu::Device,
    layout: &wgpu::PipelineLayout,
    module: &wgpu::ShaderModule,
    entry: &str,
) -> wgpu::ComputePipeline {
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(entry),
        layout: Some(layout),
        module,
        entry_point: Some(entry),
        compilation_options: Default::default(),
        cache: None,
    })
}

/// The point programs in a buffer (binding 6 of every module with curve.wgsl), and the length
/// of one addition.
pub(super) fn upload_programs(device: &wgpu::Device) -> (wgpu::Buffer, u32) {
    let programs = Programs::new();
    let buffer = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
        label: Some("point programs"),
        contents: bytemuck::cast_slice(programs.words()),
        usage: wgpu::BufferUsages::STORAGE,
    });
    (buffer, programs.add_length())
}

impl Kernels {
    fn compile(device: &wgpu::Device) -> Self {
        let (programs, add_length) = upload_programs(device);
        let source = format!("{FIELD_AND_CURVE}{}", include_str!("shaders/msm.wgsl"));
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("msm.wgsl"),
            source: wgpu::ShaderSource::Wgsl(source.into()),
        });
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("msm"),
            entries: &[
                uniform_entry(0),
                storage_entry(1, true),
                storage_entry(2, true),
                storage_entry(3, false),
                storage_entry(4, false),
                storage_entry(5, false),
                storage_entry(6, true),
                uniform_entry(7),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("msm"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = |entry| compute_pipeline(device, &pipeline_layout, &module, entry);
        Kernels {
            count: pipeline("count"),
            scan_blocks: pipeline("scan_blocks"),
            scan_top: pipeline("scan_top"),
            scan_add: pipeline("scan_add"),
            scatter: pipeline("scatter"),
            accumulate: pipeline("accumulate"),
            fold: pipeline("fold"),
            reduce: pipeline("reduce"),
            layout,
            programs,
            add_length,
        }
    }
}
