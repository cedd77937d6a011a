//! A local anvil node for tests and development: the npm package
//! `@foundry-rs/anvil-linux-amd64` pinned in `package.json` (installed by the test command),
//! started on a free loopback port and stopped when dropped.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// anvil's first three default accounts (its well-known development mnemonic); public keys,
/// for development chains only.
pub const DEV_KEYS: [&str; 3] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
];

/// Why anvil did not start.
#[derive(Debug, thiserror::Error)]
pub enum AnvilError {
    /// The binary is not there.
    #[error("anvil is not installed at {0} (run scripts/test.sh, or `npm ci` in l1-contracts)")]
    NotInstalled(PathBuf),
    /// Starting it failed.
    #[error("starting anvil: {0}")]
    Io(#[from] std::io::Error),
    /// It did not listen in time.
    #[error("anvil did not listen on {0} within 30 s")]
    Timeout(String),
}

/// A running anvil; killed on drop.
#[derive(Debug)]
pub struct Anvil {
    child: Child,
    url: String,
}

impl Anvil {
    /// Where the test command installs anvil (`l1-contracts/node_modules`). Found from the
    /// running test's package directory (every workspace package sits beside `l1-contracts/`),
    /// so a test binary built in another checkout that shares the target directory still finds
    /// this checkout's; outside `cargo test`, from where this crate was built.
    pub fn installed_binary() -> PathBuf {
        let l1_contracts = std::env::var_os("CARGO_MANIFEST_DIR")
            .map(|dir| Path::new(&dir).join("../l1-contracts"))
            .filter(|dir| dir.exists())
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        l1_contracts.join("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
    }

    /// Starts the installed anvil with chain id `chain_id`.
    pub fn start(chain_id: u64) -> Result<Anvil, AnvilError> {
        Self::start_binary(&Self::installed_binary(), chain_id)
    }

    /// Starts `binary` with chain id `chain_id` on a free loopback port.
    pub fn start_binary(binary: &Path, chain_id: u64) -> Result<Anvil, AnvilError> {
        if !binary.exists() {
            return Err(AnvilError::NotInstalled(binary.to_owned()));
        }
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--chain-id", &chain_id.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let anvil = Anvil {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if started.elapsed() > Duration::from_secs(30) {
                return Err(AnvilError::Timeout(anvil.url.clone()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(anvil)
    }

    /// Its JSON-RPC endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
