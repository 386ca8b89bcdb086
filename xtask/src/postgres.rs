//! A PostgreSQL server of xtask's own: Debian's server binaries, `initdb` into a scratch dir,
//! a free loopback port, stopped and removed when dropped. The relay suite runs a second time
//! on it (`PARLEY_TEST_POSTGRES`); `cargo xtask cluster` keeps its data on one.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::run::output_of;

/// A running server; its URL names the `postgres` database, where tests create their own.
pub struct Server {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

fn as_root() -> bool {
    output_of(Command::new("id").arg("-u")).is_ok_and(|u| u.trim() == "0")
}

/// `program` of the server, run as `postgres` when xtask runs as root (PostgreSQL refuses
/// root).
fn server_command(bin: &Path, program: &str) -> Command {
    if as_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(bin.join(program));
        command
    } else {
        Command::new(bin.join(program))
    }
}

impl Server {
    /// Initialises a cluster in a fresh scratch dir and starts it; `bin` holds `initdb` and
    /// `pg_ctl`. Durability is off (`fsync=off`): these servers hold test data only.
    pub fn start(bin: &Path) -> Result<Server> {
        let dir = std::env::temp_dir().join(format!("parley-xtask-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        if as_root() {
            output_of(Command::new("chown").arg("postgres").arg(&dir))?;
        }
        let data = dir.join("db");
        output_of(server_command(bin, "initdb").arg("-D").arg(&data).args([
            "-U",
            "parley",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        ]))
        .context("initdb")?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let options =
            format!("-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=500 -c fsync=off", dir.display());
        let server = Server { dir: dir.clone(), bin: bin.to_owned(), port };
        output_of(
            server_command(bin, "pg_ctl")
                .arg("-D")
                .arg(&data)
                .args(["-o", &options, "-w", "-l"])
                .arg(dir.join("log"))
                .arg("start"),
        )
        .context("starting PostgreSQL")?;
        eprintln!("xtask: PostgreSQL on port {port} (data in {})", dir.display());
        Ok(server)
    }

    /// The server's URL with the `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://parley@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let data = self.dir.join("db");
        let _ = server_command(&self.bin, "pg_ctl").arg("-D").arg(&data).args(["-m", "immediate", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
