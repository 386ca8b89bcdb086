//! Shared test fixtures: a real relay on a free port with its own data dir, agents, and a tiny
//! HTTP/1.1 client for checking status codes and headers byte for byte.

#![allow(dead_code)]

pub mod console;
pub mod nats;
pub mod order_source;
pub mod postgres;
pub mod smtp;
pub mod webhook_receiver;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use relay::{RelayConfig, RunningRelay};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The settings of a relay under test: the defaults, except that a late worker does not
/// refuse messages. Tests share two cores with compilers and browsers, so a worker may well
/// run 50 ms late now and then; the tests of `busy` set the bound they want.
pub fn test_config(listen: &str, data: &Path) -> RelayConfig {
    let mut config = RelayConfig::new(listen.parse().expect("a listen address"), data);
    config.late_bound = std::time::Duration::from_secs(30);
    // The suite keeps both cores busy: an indexer that waits for an idle core would wait long.
    config.faq_index_when_idle = false;
    config
}

/// Whether the suite runs on PostgreSQL (`PARLEY_TEST_POSTGRES`). A test of something only
/// SQLite has (its files, its writer thread's back-pressure) returns early then, saying so.
pub fn on_postgres(skipped: &str) -> bool {
    let on = std::env::var_os("PARLEY_TEST_POSTGRES").is_some();
    if on {
        eprintln!("on PostgreSQL, not checked: {skipped}");
    }
    on
}

/// A relay under test and the data dir it owns.
pub struct TestRelay {
    pub relay: RunningRelay,
    pub base: String,
    dir: Option<tempfile::TempDir>,
    data: PathBuf,
}

impl TestRelay {
    /// Starts a relay on a fresh data dir.
    pub async fn start() -> TestRelay {
        let dir = tempfile::tempdir().expect("creating a temp dir");
        let data = dir.path().join("data");
        let mut relay = Self::start_on(&data).await;
        relay.dir = Some(dir);
        relay
    }

    /// Starts a relay on an existing data dir (the caller keeps the dir alive).
    pub async fn start_on(data: &Path) -> TestRelay {
        Self::start_at(data, "127.0.0.1:0").await
    }

    /// Starts a relay on a fresh data dir, with agents going offline after `grace`.
    pub async fn start_with_grace(grace: std::time::Duration) -> TestRelay {
        Self::start_with(|config| config.offline_grace = grace).await
    }

    /// Starts a relay on a fresh data dir with adjusted settings.
    pub async fn start_with(adjust: impl FnOnce(&mut RelayConfig)) -> TestRelay {
        let dir = tempfile::tempdir().expect("creating a temp dir");
        let data = dir.path().join("data");
        let mut config = test_config("127.0.0.1:0", &data);
        adjust(&mut config);
        let mut relay = Self::start_config(config).await;
        relay.dir = Some(dir);
        relay
    }

    /// Starts a relay on an existing data dir with adjusted settings.
    #[allow(dead_code)] // not every test binary restarts relays this way
    pub async fn start_at_with(data: &Path, adjust: impl FnOnce(&mut RelayConfig)) -> TestRelay {
        let mut config = test_config("127.0.0.1:0", data);
        adjust(&mut config);
        Self::start_config(config).await
    }

    /// Starts a relay on an existing data dir and a given address (to restart in place).
    pub async fn start_at(data: &Path, listen: &str) -> TestRelay {
        Self::start_config(test_config(listen, data)).await
    }

    async fn start_config(mut config: RelayConfig) -> TestRelay {
        let data = config.data_dir.clone();
        if config.database_url.is_none() {
            config.database_url = postgres::database_for(&data).await;
        }
        let relay = relay::start(config).await.expect("starting the relay");
        let base = relay.url();
        TestRelay { relay, base, dir: None, data }
    }

    /// Its data dir.
    #[allow(dead_code)] // not every test binary looks into it
    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// Stops the relay and hands back its data dir, to start another on it.
    pub async fn stop(self) -> (PathBuf, Option<tempfile::TempDir>) {
        self.relay.shutdown().await.expect("clean shutdown");
        (self.data, self.dir)
    }

    /// Creates a store with the given origins.
    pub async fn add_store(&self, key: &str, origins: &[&str]) {
        let origins: Vec<String> = origins.iter().map(|o| o.to_string()).collect();
        self.relay.state().store.add_store(key, &format!("Store {key}"), &origins).await.unwrap();
    }

    /// Creates an agent of a store; returns (email, password).
    pub async fn add_agent(&self, store: &str, name: &str) -> (String, String) {
        self.add_agent_as(store, name, "agent").await
    }

    /// Creates a member of a store's team with a role (`owner`, `admin`, `agent`).
    pub async fn add_agent_as(&self, store: &str, name: &str, role: &str) -> (String, String) {
        let email = format!("{}@{store}.test", name.to_lowercase());
        let password = format!("{name}-secret-pw");
        let hash = relay::auth::hash_password(&password);
        self.relay.state().store.add_agent(store, &email, name, role.parse().unwrap(), &hash).await.unwrap();
        (email, password)
    }
}

/// A parsed HTTP response.
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends `GET path` with extra headers over a fresh connection and reads the whole response.
pub async fn http_get(base: &str, path: &str, headers: &[(&str, &str)]) -> Result<HttpResponse> {
    http_request(base, "GET", path, headers, None).await
}

/// Sends one HTTP/1.1 request, with a JSON body when given, and reads the whole response.
#[allow(dead_code)] // not every test binary sends bodies
pub async fn http_request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    json: Option<&serde_json::Value>,
) -> Result<HttpResponse> {
    let body = json.map(|j| j.to_string());
    http_request_raw(base, method, path, headers, body.as_deref()).await
}

/// Sends one HTTP/1.1 request whose body, when given, is sent as it is with the JSON content
/// type (to send what is not JSON), and reads the whole response.
#[allow(dead_code)] // not every test binary sends bodies
pub async fn http_request_raw(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<HttpResponse> {
    let authority = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(authority).await.context("connecting")?;
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    request.push_str(body.unwrap_or_default());
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").context("no header end")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split(' ').nth(1)).and_then(|s| s.parse().ok()).context("status line")?;
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':').map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))).collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Ok(HttpResponse { status, headers, body })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
    out
}
