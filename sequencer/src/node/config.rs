//! Node configuration: a TOML file, every key optional with the defaults below; the CLI lays
//! flags and environment variables over it.
//!
//! ```toml
//! data_dir = "zksettle-data"
//!
//! [rpc]
//! addr = "127.0.0.1:8545"      # JSON-RPC over HTTP and WebSocket
//! max_request_bytes = 262144
//! max_connections = 1024
//! max_subscriptions_per_connection = 1024
//! message_buffer = 1024        # messages queued per connection; a subscriber that lets it fill
//!                              # is dropped (never waited for)
//!
//! [metrics]
//! addr = "127.0.0.1:9100"      # Prometheus /metrics; omit to disable
//!
//! [batch]
//! max_wait_ms = 2000           # seal a partly filled batch after this long
//!
//! [l1]
//! confirmations = 2            # blocks a priority operation must be under before it counts
//! poll_interval_ms = 1000
//!
//! [prover]
//! workers = 0                  # proofs in parallel; 0 sizes the pool for this machine
//! memory_mib = 0               # with workers = 0: memory the proofs may take; 0: all available
//! msm = "auto"                 # G1 MSMs: "gpu" (any adapter, lavapipe included), "cpu", or
//!                              # "auto" (a hardware GPU if wgpu finds one, else the CPU)
//! table_memory_mib = 1024      # fixed-base tables of the proving key; 0 builds none
//! # table_dir = "zksettle-keys"  # keep them there between starts; unset: in memory only
//!                              # (`zksettle node` and `devnet` set it to the keys directory)
//! # queue = "postgres://prover@db/zksettle"  # prove with `zksettle prover worker`s instead
//! max_attempts = 5             # a queued batch's attempts before it is marked failed
//!
//! [mempool]
//! global_pending = 131072      # see `MempoolConfig`
//!
//! [storage]
//! min_free_mib = 512           # writes that would start with less free are refused (admission
//!                              # answers 1012); 0 checks nothing
//! ```

use crate::mempool::MempoolConfig;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::PathBuf;
use zksettle_prover::MsmDevice;

/// The node's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// Database directory.
    pub data_dir: PathBuf,
    /// JSON-RPC server.
    pub rpc: RpcConfig,
    /// Prometheus exporter.
    pub metrics: MetricsConfig,
    /// Batching.
    pub batch: BatchConfig,
    /// Base chain following.
    pub l1: L1FollowConfig,
    /// Proving.
    pub prover: ProverConfig,
    /// Pool limits.
    pub mempool: MempoolConfig,
    /// The database's disk.
    pub storage: StorageConfig,
}

/// The database's disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// Free space (MiB) every write leaves on the data directory's filesystem: one that would
    /// start with less is refused with a typed error, before RocksDB (which, once it fails to
    /// append to its log for want of space, takes no write until reopened). It must cover a
    /// memtable flush (RocksDB's write buffers, 64 MiB per column family at most).
    pub min_free_mib: u64,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig { min_free_mib: 512 }
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            data_dir: PathBuf::from("zksettle-data"),
            rpc: RpcConfig::default(),
            metrics: MetricsConfig::default(),
            batch: BatchConfig::default(),
            l1: L1FollowConfig::default(),
            prover: ProverConfig::default(),
            storage: StorageConfig::default(),
            mempool: MempoolConfig::default(),
        }
    }
}

/// JSON-RPC server settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RpcConfig {
    /// Listen address (HTTP and WebSocket on one port).
    pub addr: SocketAddr,
    /// Largest request body accepted.
    pub max_request_bytes: u32,
    /// Most connections open at once.
    pub max_connections: u32,
    /// Most subscriptions one WebSocket connection may hold.
    pub max_subscriptions_per_connection: u32,
    /// Messages queued per connection for a client that does not read them yet. A
    /// subscription whose note finds the queue full is closed (the subscriber is told, and
    /// counted in `/health`): the node never waits for a slow reader.
    pub message_buffer: std::num::NonZeroU32,
}

impl Default for RpcConfig {
    fn default() -> Self {
        RpcConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8545)),
            max_request_bytes: 256 * 1024,
            max_connections: 1024,
            max_subscriptions_per_connection: 1024,
            message_buffer: std::num::NonZeroU32::new(1024).unwrap_or(std::num::NonZeroU32::MIN),
        }
    }
}

/// Prometheus exporter settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Listen address of `/metrics`; `None` disables the exporter.
    pub addr: Option<SocketAddr>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            addr: Some(SocketAddr::from(([127, 0, 0, 1], 9100))),
        }
    }
}

/// Batching settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatchConfig {
    /// A batch with anything in it is sealed at the latest this long after the previous one.
    pub max_wait_ms: u64,
}

impl Default for BatchConfig {
    fn default() -> Self {
        BatchConfig { max_wait_ms: 2000 }
    }
}

/// How the node follows the base chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct L1FollowConfig {
    /// Blocks on top of a priority operation's block before the node includes it; reorgs
    /// shallower than this never reach the node.
    pub confirmations: u64,
    /// How often to poll the chain.
    pub poll_interval_ms: u64,
}

impl Default for L1FollowConfig {
    fn default() -> Self {
        L1FollowConfig {
            confirmations: 2,
            poll_interval_ms: 1000,
        }
    }
}

/// Proving settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProverConfig {
    /// Proofs made in parallel; 0 sizes the pool for the machine's cores and `memory_mib`.
    pub workers: usize,
    /// Memory (MiB) the in-process prover may take, tables included, when `workers` is 0: as
    /// many proofs run side by side as fit (`zksettle_prover::pool::PEAK_BYTES_PER_CONSTRAINT`
    /// each) and the cores allow. 0: the memory available at start (all of it: on a large
    /// machine that is many gigabytes, by design; set this to share the machine).
    pub memory_mib: u64,
    /// Where the key's G1 MSMs run (`zksettle_prover::backend`): `auto` takes a hardware GPU
    /// when wgpu finds one and the CPU otherwise, `gpu` any adapter or an error, `cpu` the CPU.
    /// With a GPU only G2's fixed-base table is built.
    #[serde(with = "msm_device")]
    pub msm: MsmDevice,
    /// Memory for the proving key's fixed-base tables ([`zksettle_prover::KeyTables`]), MiB;
    /// 0 builds none. They are built in the background after start (about one scalar
    /// multiplication per key point: seconds for a few chunks, minutes at 2^20 constraints),
    /// and proofs use them once they are ready.
    pub table_memory_mib: u64,
    /// Where the tables are kept between starts (`zksettle node` and `devnet` use the keys
    /// directory): read back at start when they are this key's, checked by hash, instead of
    /// rebuilt. A file per key, as large as the tables (up to `table_memory_mib`). `None`
    /// keeps them in memory only.
    pub table_dir: Option<PathBuf>,
    /// The prover job queue (`postgres://user[:password]@host[:port]/database`): sealed
    /// batches are proven by `zksettle prover worker` processes on any machine instead of in
    /// this process (whose `workers` and tables are then unused). `None`: the in-process pool.
    pub queue: Option<String>,
    /// Attempts the queue gives a batch (a worker's error, an expired lease, a proof that does
    /// not verify) before marking it failed for an operator to look at.
    pub max_attempts: u32,
}

impl Default for ProverConfig {
    fn default() -> Self {
        ProverConfig {
            workers: 0,
            memory_mib: 0,
            msm: MsmDevice::Auto,
            table_memory_mib: (zksettle_prover::DEFAULT_TABLE_BYTES >> 20) as u64,
            table_dir: None,
            queue: None,
            max_attempts: 5,
        }
    }
}

/// Why a configuration file was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("{path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        source: toml::de::Error,
    },
}

impl NodeConfig {
    /// Reads a TOML file.
    pub fn from_file(path: &std::path::Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.into(),
            source,
        })?;
        toml::from_str(&text).map_err(|source| ConfigError::Parse {
            path: path.into(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_example_parses_and_unknown_keys_are_refused() {
        let doc = include_str!("config.rs")
            .lines()
            .skip_while(|l| !l.starts_with("//! ```toml"))
            .skip(1)
            .take_while(|l| !l.starts_with("//! ```"))
            .map(|l| l.trim_start_matches("//!").trim_start())
            .collect::<Vec<_>>()
            .join("\n");
        let parsed: NodeConfig = toml::from_str(&doc).unwrap();
        assert_eq!(parsed, NodeConfig::default());
        assert!(toml::from_str::<NodeConfig>("[rpc]\nadress = \"127.0.0.1:1\"").is_err());
    }
}

/// [`MsmDevice`] as its word (`"auto"`, `"cpu"`, `"gpu"`).
mod msm_device {
    use serde::{Deserialize, Deserializer, Serializer};
    use zksettle_prover::MsmDevice;

    pub(super) fn serialize<S: Serializer>(device: &MsmDevice, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(device)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<MsmDevice, D::Error> {
        let word = String::deserialize(d)?;
        word.parse().map_err(serde::de::Error::custom)
    }
}
