//! Several proofs at once when memory allows.
//!
//! One proof already uses every core (arkworks' MSMs and FFTs run on rayon), but its synthesis
//! is single-threaded and its MSMs stop scaling well before a large machine's core count. A
//! [`ProverPool`] runs `k` proofs side by side, each in its own rayon pool of `cores / k`
//! threads, with `k` bounded by the memory a proof of the shape needs
//! ([`peak_bytes_per_proof`]) against the memory available.

use crate::keys::BatchKeys;
use crate::prove::{BatchProof, BatchProver, ProverError};
use crate::Progress;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use zksettle_core::stf::BatchWitness;
use zksettle_core::Domain;

/// Working memory of one proof per R1CS constraint, on top of the shared proving key: the
/// constraint matrices, the witness, the QAP evaluations and the MSM buffers. Measured by
/// `prove-report` at `D = 24` (1,379 MiB peak for 536,270 constraints, key and matrices
/// included: about 2,700 bytes each); rounded up.
pub const PEAK_BYTES_PER_CONSTRAINT: u64 = 3_000;

/// Peak resident memory of one proof with `constraints` constraints.
pub fn peak_bytes_per_proof(constraints: usize) -> u64 {
    constraints as u64 * PEAK_BYTES_PER_CONSTRAINT
}

/// How many proofs fit side by side: at most one per core, at most what `memory_bytes` holds,
/// at least one.
pub fn parallel_proofs(constraints: usize, cores: usize, memory_bytes: Option<u64>) -> usize {
    let by_memory = memory_bytes
        .map(|m| (m / peak_bytes_per_proof(constraints).max(1)) as usize)
        .unwrap_or(1);
    by_memory.min(cores).max(1)
}

/// Memory a proof may use: `MemAvailable` from `/proc/meminfo`, lowered to what this process's
/// memory cgroup leaves when it runs under a limit (containers, systemd slices): cgroup v2
/// `memory.max − memory.current`, or v1 `memory.limit_in_bytes − memory.usage_in_bytes`.
pub fn available_memory_bytes() -> Option<u64> {
    let host = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .as_deref()
        .and_then(meminfo_available);
    let cgroup = std::fs::read_to_string("/proc/self/cgroup")
        .ok()
        .into_iter()
        .flat_map(|membership| memory_cgroups(&membership))
        .filter_map(|(dir, max, current)| {
            let max = std::fs::read_to_string(dir.join(max)).ok()?;
            let current = std::fs::read_to_string(dir.join(current)).ok()?;
            cgroup_headroom(&max, &current)
        })
        .min();
    match (host, cgroup) {
        (Some(h), Some(c)) => Some(h.min(c)),
        (h, c) => h.or(c),
    }
}

/// `MemAvailable` in bytes from the text of `/proc/meminfo`.
fn meminfo_available(info: &str) -> Option<u64> {
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// The memory cgroups named in the text of `/proc/self/cgroup`, as (directory, limit file,
/// usage file): the v2 group (`0::<path>`, under `/sys/fs/cgroup`, or `/sys/fs/cgroup/unified`
/// on hybrid hosts) and the v1 memory controller's (`<n>:memory:<path>`).
fn memory_cgroups(membership: &str) -> Vec<(PathBuf, &'static str, &'static str)> {
    let under = |root: &str, path: &str| Path::new(root).join(path.trim_start_matches('/'));
    let mut groups = Vec::new();
    for line in membership.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        if id == "0" && controllers.is_empty() {
            for root in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
                groups.push((under(root, path), "memory.max", "memory.current"));
            }
        } else if controllers.split(',').any(|c| c == "memory") {
            groups.push((
                under("/sys/fs/cgroup/memory", path),
                "memory.limit_in_bytes",
                "memory.usage_in_bytes",
            ));
        }
    }
    groups
}

/// What a cgroup's limit leaves above its usage; `None` without a limit (v2 `max`).
fn cgroup_headroom(max: &str, current: &str) -> Option<u64> {
    let max: u64 = max.trim().parse().ok()?;
    let current: u64 = current.trim().parse().ok()?;
    Some(max.saturating_sub(current))
}

/// Why a pool could not start.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    /// A worker's thread pool could not be built.
    #[error("building a prover thread pool: {0}")]
    ThreadPool(#[from] crate::parallel::ThreadPoolBuildError),
    /// The shape's constraint system could not be built.
    #[error(transparent)]
    Prover(#[from] ProverError),
}

/// Proves batches of one shape, `workers` at a time, each on its own rayon pool: the batch
/// proofs `prove_all` takes, or one proof at a time per worker slot (`prove_on`, how the node's
/// dispatcher uses it).
#[derive(Debug)]
pub struct ProverPool {
    prover: Arc<BatchProver>,
    pools: Vec<crate::parallel::ThreadPool>,
}

impl ProverPool {
    /// A pool of `workers` proofs at a time sharing `cores` threads (each worker gets
    /// `cores / workers`, at least one).
    pub fn new(
        keys: BatchKeys,
        domain: Domain,
        workers: usize,
        cores: usize,
    ) -> Result<Self, PoolError> {
        Self::with_prover(Arc::new(BatchProver::new(keys, domain)?), workers, cores)
    }

    /// A pool sized for this machine: its cores, and as many proofs as its available memory holds.
    pub fn for_this_machine(keys: BatchKeys, domain: Domain) -> Result<Self, PoolError> {
        let prover = BatchProver::new(keys, domain)?;
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let constraints = prover.constraints().constraints();
        let workers = parallel_proofs(constraints, cores, available_memory_bytes());
        Self::with_prover(Arc::new(prover), workers, cores)
    }

    /// A pool of `workers` proofs at a time over a prover shared with its caller (the node
    /// builds the key's fixed-base tables on the same prover meanwhile).
    pub fn with_prover(
        prover: Arc<BatchProver>,
        workers: usize,
        cores: usize,
    ) -> Result<Self, PoolError> {
        let workers = workers.max(1);
        let threads = (cores / workers).max(1);
        let pools = (0..workers)
            .map(|_| {
                crate::parallel::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
            })
            .collect::<Result<_, _>>()?;
        Ok(ProverPool { prover, pools })
    }

    /// Proofs run side by side.
    pub fn workers(&self) -> usize {
        self.pools.len()
    }

    /// The prover the workers share.
    pub fn prover(&self) -> &Arc<BatchProver> {
        &self.prover
    }

    /// Proves one witness on worker `worker`'s threads (`worker < workers()`; the caller gives
    /// each running proof its own worker). Blocks until the proof is done.
    pub fn prove_on(
        &self,
        worker: usize,
        witness: &BatchWitness,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<BatchProof, ProverError> {
        let pool = &self.pools[worker % self.pools.len()];
        pool.install(|| self.prover.prove(witness, progress))
    }

    /// [`ProverPool::prove_on`] for a batch of deployment `domain` ([`BatchProver::prove_in`]).
    pub fn prove_in_on(
        &self,
        worker: usize,
        domain: Domain,
        witness: &BatchWitness,
        progress: &(dyn Fn(Progress) + Sync),
    ) -> Result<BatchProof, ProverError> {
        let pool = &self.pools[worker % self.pools.len()];
        pool.install(|| self.prover.prove_in(domain, witness, progress))
    }

    /// Proves every witness; results in input order. `progress` gets the batch's position in
    /// `witnesses` with each of its phases.
    pub fn prove_all(
        &self,
        witnesses: &[BatchWitness],
        progress: &(dyn Fn(usize, Progress) + Sync),
    ) -> Vec<Result<BatchProof, ProverError>> {
        let queue = Mutex::new((0..witnesses.len()).collect::<VecDeque<_>>());
        let results: Mutex<Vec<Option<Result<BatchProof, ProverError>>>> =
            Mutex::new((0..witnesses.len()).map(|_| None).collect());
        std::thread::scope(|scope| {
            for pool in &self.pools {
                scope.spawn(|| loop {
                    let Some(job) = lock(&queue).pop_front() else {
                        break;
                    };
                    let result = pool.install(|| {
                        self.prover
                            .prove(&witnesses[job], &|p: Progress| progress(job, p))
                    });
                    lock(&results)[job] = Some(result);
                });
            }
        });
        results
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .into_iter()
            .map(|r| r.unwrap_or(Err(ProverError::WorkerLost)))
            .collect()
    }
}

/// A poisoned lock only means another worker panicked; the queue itself is still consistent.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_comes_from_meminfo_and_a_cgroup_limit_lowers_it() {
        let info = "MemTotal:       24000000 kB\nMemAvailable:   20000000 kB\n";
        assert_eq!(meminfo_available(info), Some(20_000_000 * 1024));
        let groups = memory_cgroups("4:memory:/docker/abc\n3:cpuset:/\n0::/system.slice/x\n");
        assert_eq!(
            groups,
            vec![
                (
                    PathBuf::from("/sys/fs/cgroup/memory/docker/abc"),
                    "memory.limit_in_bytes",
                    "memory.usage_in_bytes"
                ),
                (
                    PathBuf::from("/sys/fs/cgroup/system.slice/x"),
                    "memory.max",
                    "memory.current"
                ),
                (
                    PathBuf::from("/sys/fs/cgroup/unified/system.slice/x"),
                    "memory.max",
                    "memory.current"
                ),
            ]
        );
        assert_eq!(
            cgroup_headroom("8589934592\n", "1073741824\n"),
            Some(7 << 30)
        );
        assert_eq!(cgroup_headroom("max\n", "1073741824\n"), None);
        assert_eq!(cgroup_headroom("100\n", "200\n"), Some(0));
        // Whatever this machine has, the answer is never above the host's.
        if let (Some(all), Some(host)) = (
            available_memory_bytes(),
            std::fs::read_to_string("/proc/meminfo")
                .ok()
                .as_deref()
                .and_then(meminfo_available),
        ) {
            assert!(all <= host + (64 << 20));
        }
    }

    #[test]
    fn memory_bounds_the_number_of_proofs() {
        const GIB: u64 = 1 << 30;
        // 750k constraints need ~2.1 GiB each.
        assert_eq!(parallel_proofs(750_000, 16, Some(24 * GIB)), 11);
        assert_eq!(parallel_proofs(750_000, 2, Some(24 * GIB)), 2);
        assert_eq!(parallel_proofs(750_000, 16, Some(GIB)), 1);
        assert_eq!(parallel_proofs(750_000, 16, None), 1);
    }
}
