//! A NATS server for tests: Debian's `nats-server` (`cargo xtask test` installs it; `NATS_SERVER`
//! names another binary) on a free port, stopped when dropped.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running `nats-server`.
pub struct Nats {
    child: Child,
    port: u16,
}

/// The server binary: `NATS_SERVER`, else Debian's path.
fn binary() -> PathBuf {
    let path = std::env::var_os("NATS_SERVER").map(PathBuf::from).unwrap_or_else(|| "/usr/sbin/nats-server".into());
    assert!(path.exists(), "{} is missing: `cargo xtask test` installs Debian's nats-server", path.display());
    path
}

impl Nats {
    /// Starts a server on a free port and returns once it accepts clients.
    pub fn start() -> Nats {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self::start_on(port)
    }

    /// Starts a server with JetStream (its files in `store`) on a free port.
    pub fn start_with_jetstream(store: &std::path::Path) -> Nats {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        Self::launch(port, &["-js", "-sd", &store.display().to_string()])
    }

    /// Starts a server on `port` (to restart one in place).
    pub fn start_on(port: u16) -> Nats {
        Self::launch(port, &[])
    }

    fn launch(port: u16, more: &[&str]) -> Nats {
        let mut child = Command::new(binary())
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .args(more)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting nats-server");
        // It says so on stderr once it listens; read until then, then let the rest drain.
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut said = Vec::new();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("Server is ready") => break,
                Some(Ok(line)) => said.push(line),
                _ => panic!("nats-server ended before it was ready: {said:?}"),
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        Nats { child, port }
    }

    /// The URL clients connect to.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server at once (as a crash would) and waits for it to be gone.
    pub fn kill(mut self) -> u16 {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.port
    }
}

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
