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

    /// Stops the server at once (as a crash or an outage would), keeping its data.
    pub fn stop(&self) {
        run(server_command("pg_ctl").arg("-D").arg(self.data()).args(["-m", "immediate", "-w", "stop"]), "pg_ctl stop");
    }

    /// Starts the stopped server again on the same port.
    pub fn restart(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.path().display());
        run(
            server_command("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-o", &options, "-w", "-l"])
                .arg(self.dir.path().join("log"))
                .arg("start"),
            "pg_ctl start",
        );
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

/// With `PARLEY_TEST_POSTGRES` set (a server's URL, database `postgres`), the relay suite runs
/// on PostgreSQL: each data dir gets a database of its own on that server, created on first
/// use and named in the data dir, so a relay restarted on the dir finds its data again.
pub async fn database_for(data_dir: &Path) -> Option<String> {
    use sqlx::Connection;
    let server = std::env::var("PARLEY_TEST_POSTGRES").ok()?;
    std::fs::create_dir_all(data_dir).expect("the data dir");
    let marker = data_dir.join("test-postgres-database");
    let name = match std::fs::read_to_string(&marker) {
        Ok(name) => name,
        Err(_) => {
            let name = format!("t{}", uuid_like());
            let mut conn = sqlx::PgConnection::connect(&server).await.expect("the suite's PostgreSQL");
            sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("a database");
            std::fs::write(&marker, &name).expect("writing the marker");
            name
        }
    };
    let base = server.rsplit_once('/').map_or(server.as_str(), |(base, _)| base);
    Some(format!("{base}/{name}"))
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos();
    format!("{nanos:x}{:x}", std::process::id())
}
