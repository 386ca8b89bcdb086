//! The relay under load, as its own process on a fresh data dir (so its memory and CPU can be
//! read from /proc), with every abuse limit opened wide: all simulated clients share one address.

use std::process::Stdio;

use std::sync::Arc;

use anyhow::{bail, Context, Result};
use parley::VisitorClient;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::Semaphore;

/// The CPUs relays run on, when [`split_cpus`] was called.
static RELAY_CPUS: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Runs every relay started from now on on `relay_cpus` (a `taskset` list) and moves this
/// generator's threads to the other CPUs.
pub fn split_cpus(relay_cpus: &str) -> Result<()> {
    let count = std::thread::available_parallelism()?.get();
    let relay: Vec<usize> = relay_cpus.split(',').map(|c| c.trim().parse()).collect::<Result<_, _>>()?;
    let others: Vec<String> = (0..count).filter(|c| !relay.contains(c)).map(|c| c.to_string()).collect();
    if others.is_empty() || relay.iter().any(|c| *c >= count) {
        bail!("--relay-cpus {relay_cpus}: this machine has CPUs 0 to {}; leave one for the generator", count - 1);
    }
    let pid = std::process::id().to_string();
    let status = std::process::Command::new("taskset").args(["-a", "-p", "-c", &others.join(","), &pid]).output()?;
    if !status.status.success() {
        bail!("taskset failed: {}", String::from_utf8_lossy(&status.stderr));
    }
    RELAY_CPUS.set(relay_cpus.to_owned()).ok();
    Ok(())
}

/// The NATS server relays join, when [`join_bus`] was called.
static NATS: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Starts every relay from now on with `--nats url` (what the bus between relays costs).
pub fn join_bus(url: &str) {
    NATS.set(url.to_owned()).ok();
}

/// The PostgreSQL server relays keep their data on, when [`use_postgres`] was called.
static POSTGRES: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Starts every relay from now on with its data in a fresh database on the PostgreSQL server
/// at `url` (its `postgres` database, where new ones are made) instead of SQLite.
pub fn use_postgres(url: &str) {
    POSTGRES.set(url.to_owned()).ok();
}

/// A fresh database on the PostgreSQL server, when one is in use: its URL.
async fn fresh_database() -> Result<Option<String>> {
    use sqlx::Connection;
    let Some(server) = POSTGRES.get() else { return Ok(None) };
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos();
    let name = format!("loadgen_{nanos:x}");
    let mut conn = sqlx::PgConnection::connect(server).await.context("connecting to --database")?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await?;
    let base = server.rsplit_once('/').map_or(server.as_str(), |(base, _)| base);
    Ok(Some(format!("{base}/{name}")))
}

/// How many relays each run starts, when [`cluster_of`] was called.
static NODES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();

/// Starts `nodes` relays on one database and bus for each run from now on (`--database` and
/// `--nats` are needed); clients spread over them round-robin.
pub fn cluster_of(nodes: usize) {
    NODES.set(nodes.max(1)).ok();
}

/// The agents' password in every run.
pub const PASSWORD: &str = "load-password";

/// A relay process serving a fresh data dir with the demo store and `agents` agents (or, with
/// `--nodes N`, N of them on one fresh database).
pub struct RelayProcess {
    /// Its base URL.
    pub base: String,
    /// Its process id.
    pub pid: u32,
    child: tokio::process::Child,
    _dir: tempfile::TempDir,
    /// The cluster's other nodes (`--nodes`), on the same database.
    others: Vec<RelayProcess>,
}

impl RelayProcess {
    /// Seeds a fresh data dir (first-reply deadline, agents) and starts the relay on it.
    pub async fn start(bin: &str, agents: usize, first_reply_secs: u32) -> Result<RelayProcess> {
        let dir = tempfile::tempdir()?;
        let data = dir.path().to_str().context("temp dir path")?.to_owned();
        let database = fresh_database().await?;
        let on_database: Vec<&str> = database.iter().flat_map(|url| ["--database", url.as_str()]).collect();
        let relay = |extra: &[&str]| {
            let mut command = std::process::Command::new(bin);
            command.args(["--data-dir", &data]).args(&on_database).args(extra);
            command
        };
        // Every relay command seeds the demo store in a fresh data dir; the run uses it.
        let secs = first_reply_secs.to_string();
        let status = relay(&["store", "set", "--key", "demo", "--first-reply-secs", &secs])
            .output()
            .with_context(|| format!("running {bin}; build it with `cargo xtask build`"))?;
        if !status.status.success() {
            bail!("store set failed: {}", String::from_utf8_lossy(&status.stderr));
        }
        for i in 0..agents {
            let email = agent_email(i);
            let out =
                relay(&["agent", "add", "--store", "demo", "--email", &email, "--password", PASSWORD]).output()?;
            if !out.status.success() {
                bail!("agent add failed: {}", String::from_utf8_lossy(&out.stderr));
            }
        }
        let mut relay = Self::spawn(bin, dir, &on_database).await?;
        for _ in 1..NODES.get().copied().unwrap_or(1) {
            relay.others.push(Self::spawn(bin, tempfile::tempdir()?, &on_database).await?);
        }
        Ok(relay)
    }

    /// Starts one relay process on `dir` (and the database, when given).
    async fn spawn(bin: &str, dir: tempfile::TempDir, on_database: &[&str]) -> Result<RelayProcess> {
        let data = dir.path().to_str().context("temp dir path")?.to_owned();
        let big = "100000000";
        let mut command = match RELAY_CPUS.get() {
            // taskset runs the relay in its own place: the pid is the relay's.
            Some(cpus) => {
                let mut pinned = tokio::process::Command::new("taskset");
                pinned.args(["-c", cpus, bin]);
                pinned
            }
            None => tokio::process::Command::new(bin),
        };
        let mut child = command
            .args(["--data-dir", &data, "--listen", "127.0.0.1:0"])
            .args(on_database)
            .args(["--connections-per-minute", big, "--conversations-per-hour", big, "--messages-per-minute", big])
            .args(["--message-burst", big])
            .args(NATS.get().into_iter().flat_map(|url| ["--nats", url.as_str()]))
            // Every simulated shopper and agent connects from this one address.
            .args([
                "--connections-per-address",
                big,
                "--new-connections-per-second",
                big,
                "--sign-ins-per-address",
                big,
            ])
            .env("RUST_LOG", "warn")
            .envs(
                std::env::var("LOADGEN_RELAY_ENV")
                    .ok()
                    .and_then(|kv| kv.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned()))),
            )
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()?;
        let pid = child.id().context("relay pid")?;
        let mut lines = BufReader::new(child.stdout.take().context("relay stdout")?).lines();
        let first = lines.next_line().await?.context("relay printed nothing")?;
        let base = first.strip_prefix("relay listening on ").context("relay URL")?.to_owned();
        // Keep reading what it prints: a closed pipe would end it at its next line.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(RelayProcess { base, pid, child, _dir: dir, others: Vec::new() })
    }

    /// Every node's base URL (one unless `--nodes`).
    pub fn bases(&self) -> Vec<String> {
        std::iter::once(self.base.clone()).chain(self.others.iter().map(|o| o.base.clone())).collect()
    }

    /// Its resident memory in KiB (per node, on average, with `--nodes`).
    pub fn rss_kib(&self) -> Result<u64> {
        let mut total = self.own_rss_kib()?;
        for other in &self.others {
            total += other.own_rss_kib()?;
        }
        Ok(total / (1 + self.others.len() as u64))
    }

    fn own_rss_kib(&self) -> Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:")).context("VmRSS")?;
        Ok(line.split_whitespace().nth(1).context("VmRSS value")?.parse()?)
    }

    /// CPU time used so far, per thread of every node: (thread name, seconds).
    pub fn thread_cpu(&self) -> Vec<(String, f64)> {
        let mut threads = self.own_thread_cpu();
        for other in &self.others {
            threads.extend(other.own_thread_cpu());
        }
        threads
    }

    fn own_thread_cpu(&self) -> Vec<(String, f64)> {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{}/task", self.pid)) else { return Vec::new() };
        let mut threads = Vec::new();
        for task in tasks.flatten() {
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else { continue };
            // The name is in parentheses and may hold spaces; the times follow it.
            let Some((name, rest)) = stat.split_once(" (").and_then(|(_, r)| r.rsplit_once(") ")) else { continue };
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
            threads.push((format!("{name}/{}", task.file_name().to_string_lossy()), (ticks(11) + ticks(12)) / 100.0));
        }
        threads
    }

    /// Stops it.
    pub async fn stop(mut self) -> Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}

/// The email of simulated agent `i`.
pub fn agent_email(i: usize) -> String {
    format!("agent{i}@load.test")
}

/// CPU used between two [`RelayProcess::thread_cpu`] readings: the total in cores over
/// `secs`, and the busiest threads (grouped by name) as "name 0.93".
pub fn cpu_between(before: &[(String, f64)], after: &[(String, f64)], secs: f64) -> (f64, String) {
    let mut by_name = std::collections::BTreeMap::<String, f64>::new();
    for (id, used) in after {
        let earlier = before.iter().find(|(b, _)| b == id).map_or(0.0, |(_, t)| *t);
        let name = id.rsplit_once('/').map_or(id.as_str(), |(n, _)| n).to_owned();
        *by_name.entry(name).or_default() += (used - earlier) / secs;
    }
    let total = by_name.values().sum();
    let mut busiest: Vec<(String, f64)> = by_name.into_iter().collect();
    busiest.sort_by(|a, b| b.1.total_cmp(&a.1));
    let top = busiest.iter().take(3).map(|(n, c)| format!("{n} {c:.2}")).collect::<Vec<_>>().join(", ");
    (total, top)
}

/// Connects `shoppers` shoppers to the demo store, 256 at a time, each introduced with `hello`.
pub async fn connect_shoppers(bases: &[String], shoppers: usize) -> Result<Vec<VisitorClient>> {
    let gate = Arc::new(Semaphore::new(256));
    let mut connecting = Vec::new();
    for i in 0..shoppers {
        let (gate, base) = (gate.clone(), bases[i % bases.len()].clone());
        connecting.push(tokio::spawn(async move {
            let _permit = gate.acquire().await;
            VisitorClient::connect(&base, "demo", None, None, 0).await
        }));
    }
    let mut connected = Vec::new();
    for task in connecting {
        connected.push(task.await?.context("connecting a shopper")?);
    }
    Ok(connected)
}
