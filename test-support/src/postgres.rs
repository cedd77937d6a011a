//! [`Postgres`]: a real, throwaway PostgreSQL server for a test: a cluster made by `initdb` in
//! a temporary directory, served by `postgres` on a free local port, stopped and deleted when
//! dropped (the Debian `postgresql-15` package's binaries; `scripts/setup.sh` installs it).
//!
//! The server runs in the foreground as a child of the test, with a parent-death signal
//! (`setpriv --pdeathsig`), so a test process that dies leaves no server behind. As root (CI
//! containers), it runs as the `postgres` user, as PostgreSQL refuses root. Durability is off
//! (`fsync=off`): a test's data need not survive the machine, only the server's restarts.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running throwaway PostgreSQL server.
#[derive(Debug)]
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    server: Option<Child>,
    databases: u32,
}

impl Postgres {
    /// Makes a cluster and starts its server; panics (failing the test) if PostgreSQL is not
    /// installed or will not start.
    pub fn start() -> Self {
        let bin = bin_dir();
        let dir = tempfile::tempdir().unwrap();
        if as_root() {
            run(Command::new("chown")
                .arg("postgres:postgres")
                .arg(dir.path()));
        }
        let data = dir.path().join("data");
        run(as_postgres(&bin.join("initdb"))
            .current_dir(dir.path())
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "--no-locale",
                "-E",
                "UTF8",
            ])
            .arg("--no-sync"));
        let port = free_port();
        let mut postgres = Postgres {
            dir,
            bin,
            port,
            server: None,
            databases: 0,
        };
        postgres.start_server();
        postgres
    }

    /// The server's port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A new, empty database's URL (each test's queue gets its own).
    pub fn new_database(&mut self) -> String {
        self.databases += 1;
        let name = format!("zksettle_{}", self.databases);
        run(Command::new(self.bin.join("psql"))
            .arg(self.url("postgres"))
            .args(["-q", "-c", &format!("CREATE DATABASE {name}")]));
        self.url(&name)
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Stops the server (a fast shutdown: open connections are closed; committed data stays).
    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            // SIGINT is PostgreSQL's fast shutdown.
            let _ = Command::new("kill")
                .args(["-INT", &server.id().to_string()])
                .status();
            let _ = server.wait();
        }
    }

    /// Starts the stopped server again, on the same port with the same data.
    pub fn restart(&mut self) {
        self.stop();
        self.start_server();
    }

    fn start_server(&mut self) {
        let data = self.dir.path().join("data");
        let log =
            std::fs::File::create(self.dir.path().join(format!("log-{}", self.port))).unwrap();
        let mut command = as_postgres(&self.bin.join("postgres"));
        command
            .current_dir(self.dir.path())
            .arg("-D")
            .arg(&data)
            .args(["-p", &self.port.to_string(), "-k"])
            .arg(self.dir.path())
            .args(["-c", "listen_addresses=127.0.0.1"])
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=200"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        self.server = Some(command.spawn().unwrap());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-q", "-h", "127.0.0.1", "-p", &self.port.to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                return;
            }
            if let Some(server) = &mut self.server {
                if let Ok(Some(status)) = server.try_wait() {
                    panic!(
                        "postgres exited ({status}); its log: {}",
                        std::fs::read_to_string(self.dir.path().join(format!("log-{}", self.port)))
                            .unwrap_or_default()
                    );
                }
            }
            assert!(Instant::now() < deadline, "postgres did not start in 30 s");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

/// PostgreSQL's binaries: `ZKSETTLE_POSTGRES_BIN`, else Debian's newest installed.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("ZKSETTLE_POSTGRES_BIN") {
        return dir.into();
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|v| v.1)
        .expect("PostgreSQL is not installed (Debian: postgresql-15; scripts/setup.sh installs it)")
}

fn as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `program` under `setpriv`: killed with the thread that started it, and as the `postgres`
/// user when the test runs as root.
fn as_postgres(program: &Path) -> Command {
    let mut command = Command::new("setpriv");
    command.args(["--pdeathsig", "INT"]);
    if as_root() {
        command.args(["--reuid=postgres", "--regid=postgres", "--init-groups"]);
    }
    command.arg(program);
    command
}

fn run(command: &mut Command) {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
