//! `cargo xtask cluster`: the scale-out layout on one machine, to try it and to show it.
//!
//! PostgreSQL (Debian's server binaries, `initdb` into a scratch dir, a free port) holds the
//! data, `nats-server` with JetStream carries frames and the desks' leases between the relays,
//! three relay nodes serve on three free ports, and haproxy (Debian's) balances round-robin over
//! them on the one public address, health-checking `/healthz`. Everything runs in the
//! foreground and stops on Ctrl-C; the scratch dir goes with it.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::tools::Tools;
use crate::{postgres, DEMO_EMAIL, DEMO_PASSWORD};

/// How many relay nodes the cluster runs.
const NODES: usize = 3;

/// A child process stopped (SIGTERM, then SIGKILL after 10 s) when dropped.
struct Process {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Process {
    fn spawn(name: &str, command: &mut Command, log: &Path) -> Result<Process> {
        let out = std::fs::File::create(log)?;
        let child = command.stdout(out.try_clone()?).stderr(out).spawn().with_context(|| format!("starting {name}"))?;
        Ok(Process { name: name.to_owned(), child, log: log.to_owned() })
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        eprintln!("xtask: {} did not stop within 10 s; killing it", self.name);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The cluster's scratch dir (logs, JetStream's files, the balancer's configuration), removed
/// when dropped: after everything else, since it is made first.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `GET /healthz` on `port` answers 200 (or the process it belongs to exits).
fn wait_healthy(port: u16, process: &mut Process) -> Result<()> {
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        if let Some(status) = process.child.try_wait()? {
            bail!("{} exited ({status}) before it was healthy:\n{}", process.name, tail(&process.log));
        }
        if healthy(port) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("{} was not healthy within 60 s:\n{}", process.name, tail(&process.log))
}

/// The last lines a process wrote (its log goes with the scratch dir).
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(10)..].join("\n")
}

fn healthy(port: u16) -> bool {
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = format!("GET /healthz HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    let mut answer = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.split(' ').nth(1) == Some("200")
}

/// haproxy's configuration: round-robin over the nodes, WebSockets kept open, health checks.
/// 8,000 connections at most: haproxy wants two files per connection, and a process here may
/// open 20,000.
fn haproxy_config(listen: &str, ports: &[u16]) -> String {
    let mut config = format!(
        "global\n    maxconn 8000\n\n\
         defaults\n    mode http\n    option forwardfor\n    timeout connect 5s\n    timeout client 60s\n    \
         timeout server 60s\n    timeout tunnel 1h\n\n\
         frontend parley\n    bind {listen}\n    default_backend relays\n\n\
         backend relays\n    balance roundrobin\n    option httpchk GET /healthz\n"
    );
    for (n, port) in ports.iter().enumerate() {
        config.push_str(&format!("    server node{} 127.0.0.1:{port} check inter 1s fall 2 rise 1\n", n + 1));
    }
    config
}

/// Builds, starts PostgreSQL, NATS, the nodes and the balancer, prints the URLs and runs until
/// Ctrl-C.
pub fn cluster(root: &Path, tools: &Tools, listen: &str) -> Result<()> {
    crate::build(root, tools)?;
    let (nats_bin, pg_bin, haproxy) = (tools.ensure_nats_server()?, tools.ensure_postgres()?, tools.ensure_haproxy()?);
    let relay = root.join("target/release/relay");
    let scratch = Scratch(std::env::temp_dir().join(format!("parley-cluster-{}", std::process::id())));
    std::fs::create_dir_all(&scratch.0)?;
    let scratch = &scratch.0;
    let stop = stop_on_ctrl_c()?;

    let database = postgres::Server::start(&pg_bin)?;
    let database_url = database.url();
    let nats_port = free_port()?;
    let jetstream = scratch.join("jetstream");
    let mut nats = Process::spawn(
        "nats-server",
        Command::new(&nats_bin).args(["-a", "127.0.0.1", "-p", &nats_port.to_string(), "-js", "-sd"]).arg(&jetstream),
        &scratch.join("nats.log"),
    )?;
    wait_listening(nats_port, &mut nats)?;
    let nats_url = format!("nats://127.0.0.1:{nats_port}");
    add_demo_agent(&relay, scratch, &database_url)?;

    let public = format!("http://{listen}");
    let ports: Vec<u16> = (0..NODES).map(|_| free_port()).collect::<Result<_>>()?;
    let mut nodes = Vec::new();
    for (n, port) in ports.iter().enumerate() {
        let mut node = Process::spawn(
            &format!("relay node {}", n + 1),
            Command::new(&relay)
                .arg("--data-dir")
                .arg(scratch.join(format!("node{}", n + 1)))
                .args(["--listen", &format!("127.0.0.1:{port}"), "--database", &database_url, "--nats", &nats_url])
                .args(["--public-url", &public, "--trust-forwarded-for", "127.0.0.1"]),
            &scratch.join(format!("node{}.log", n + 1)),
        )?;
        wait_healthy(*port, &mut node)?;
        nodes.push(node);
    }
    let config = scratch.join("haproxy.cfg");
    std::fs::write(&config, haproxy_config(listen, &ports))?;
    let mut balancer = Process::spawn(
        "haproxy",
        Command::new(&haproxy).arg("-f").arg(&config).arg("-db"),
        &scratch.join("haproxy.log"),
    )?;
    let lb_port = listen.rsplit(':').next().and_then(|p| p.parse().ok()).context("--listen HOST:PORT")?;
    wait_healthy(lb_port, &mut balancer)?;

    println!();
    println!("  Storefront:      {public}/demo/   (through haproxy, round-robin over the nodes)");
    println!("  Agent console:   {public}/console/   ({DEMO_EMAIL} / {DEMO_PASSWORD})");
    for (n, (port, node)) in ports.iter().zip(&nodes).enumerate() {
        println!(
            "  Node {}:          http://127.0.0.1:{port}/   (pid {}; kill -9 it to see another take over)",
            n + 1,
            node.child.id()
        );
    }
    println!("  PostgreSQL:      {database_url}");
    println!("  NATS:            {nats_url}   (JetStream in {})", jetstream.display());
    println!("  Logs:            {}", scratch.display());
    println!("  Stop with Ctrl-C.");
    println!();
    let _ = std::io::stdout().flush();
    let _ = stop.recv();
    eprintln!("xtask: stopping the cluster");
    drop(balancer);
    drop(nodes);
    drop(nats);
    drop(database);
    Ok(())
}

/// A channel that hears Ctrl-C (and SIGTERM), so the cluster is taken down in order.
fn stop_on_ctrl_c() -> Result<std::sync::mpsc::Receiver<()>> {
    let (tx, rx) = std::sync::mpsc::channel();
    ctrlc::set_handler(move || {
        let _ = tx.send(());
    })
    .context("listening for Ctrl-C")?;
    Ok(rx)
}

/// Waits until something accepts connections on `port`.
fn wait_listening(port: u16, process: &mut Process) -> Result<()> {
    let until = Instant::now() + Duration::from_secs(30);
    while Instant::now() < until {
        if let Some(status) = process.child.try_wait()? {
            bail!("{} exited ({status}):\n{}", process.name, tail(&process.log));
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("{} did not listen within 30 s", process.name)
}

/// Creates the schema, the demo store and the demo agent (once; again is fine).
fn add_demo_agent(relay: &PathBuf, scratch: &Path, database_url: &str) -> Result<()> {
    let added = Command::new(relay)
        .arg("--data-dir")
        .arg(scratch.join("admin"))
        .args(["--database", database_url, "agent", "add", "--store", "demo", "--email", DEMO_EMAIL])
        .args(["--password", DEMO_PASSWORD, "--name", "Demo Agent", "--role", "owner"])
        .stdin(Stdio::null())
        .output()
        .context("running relay agent add")?;
    let stderr = String::from_utf8_lossy(&added.stderr);
    if !added.status.success() && !stderr.contains("already exists") {
        bail!("creating the demo agent failed: {stderr}");
    }
    Ok(())
}
