//! A PostgreSQL server for tests: Debian's server binaries (`initdb`, `pg_ctl`) on a free port
//! in a scratch dir, stopped and removed when dropped. PostgreSQL refuses to run as root, so as
//! root the server runs as the `postgres` user.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A running PostgreSQL cluster with a database `parley` owned by the user `parley`.
pub struct Postgres {
    dir: tempfile::TempDir,
    port: u16,
}

fn as_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// Where PostgreSQL's programs are: `PG_BIN` (`cargo xtask test` sets it), else the newest
/// of Debian's `/usr/lib/postgresql/VERSION/bin`.
fn bin(program: &str) -> PathBuf {
    let dir = std::env::var_os("PG_BIN").map(PathBuf::from).or_else(|| {
        let mut versions: Vec<PathBuf> =
            std::fs::read_dir("/usr/lib/postgresql").ok()?.flatten().map(|e| e.path().join("bin")).collect();
        versions.sort();
        versions.pop()
    });
    let dir = dir.expect("PostgreSQL's server binaries: `cargo xtask test` installs Debian's postgresql");
    dir.join(program)
}

/// `program` run as the server's user.
fn server_command(program: &str) -> Command {
    let path = bin(program);
    if as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(path);
        command
    } else {
        Command::new(path)
    }
}

fn run(command: &mut Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e} (PostgreSQL's server binaries are needed)"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Postgres {
    /// Initialises a cluster in a scratch dir and starts it on a free loopback port.
    pub fn start() -> Postgres {
        let dir = tempfile::Builder::new().prefix("parley-pg").tempdir().expect("a scratch dir");
        if as_root() {
            run(Command::new("chown").args(["postgres"]).arg(dir.path()), "chown");
        }
        let data = dir.path().join("db");
        run(
            server_command("initdb").arg("-D").arg(&data).args([
                "-U",
                "parley",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ]),
            "initdb",
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let options = format!("-p {port} -k {} -c listen_addresses=127.0.0.1", dir.path().display());
        run(
            server_command("pg_ctl")
                .arg("-D")
                .arg(&data)
                .args(["-o", &options, "-w", "-l"])
                .arg(dir.path().join("log"))
                .arg("start"),
            "pg_ctl start",
        );
        let server = Postgres { dir, port };
        run(
            Command::new(bin("psql")).args([
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                &port.to_string(),
                "-U",
                "parley",
                "-d",
                "postgres",
                "-c",
                "CREATE DATABASE parley",
            ]),
            "creating the database",
        );
        server
    }

    /// The URL the relay and sqlx connect with.
    pub fn url(&self) -> String {
        format!("postgres://parley@127.0.0.1:{}/parley", self.port)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("db")
    }

    /// The server's scratch dir (data and log).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = server_command("pg_ctl").arg("-D").arg(self.data()).args(["-m", "immediate", "-w", "stop"]).output();
    }
}
