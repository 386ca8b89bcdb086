//! Attacks from one address against a release relay with default limits, while a victim on
//! another store chats: the victim's agent → shopper latency before and during each attack.
//!
//! ```text
//! cargo xtask build
//! cargo run --release --example attack_bench
//! ```
//!
//! The relay runs as its own process on a fresh data dir. The victim (store `victim`: a shopper
//! and a signed-in agent) talks from 127.0.0.1; the attacker from 127.0.0.2 (Linux routes all of
//! 127.0.0.0/8 to loopback, so the relay sees two clients). The attacks, 8 s each:
//!
//! - sign-in flood: 24 concurrent sign-ins with made-up emails, as fast as answered;
//! - slowloris: 1,100 connections each holding half a request;
//! - long-message bot flood: 20 shoppers of the demo store (nobody online) sending 4,000-character
//!   messages;
//! - FAQ save storm: an admin of the attacker's own store saving 150 long articles in a loop.
//!
//! Target: the victim's p90 within 2× its baseline (at least 5 ms) during every attack. All
//! traffic stays on loopback; every loop is bounded in time and the run ends by itself.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use parley::{ws_base, AgentClient, FrameSocket, VisitorClient};
use protocol::{Role, ServerFrame, VisitorFrame};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

const ATTACKER: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const ATTACK: Duration = Duration::from_secs(8);
const SAMPLES: usize = 150;

#[tokio::main]
async fn main() -> Result<()> {
    let relay_bin = std::env::args().nth(1).unwrap_or_else(|| "target/release/relay".into());
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data").to_string_lossy().into_owned();
    let cli = |args: &[&str]| -> Result<()> {
        let out = std::process::Command::new(&relay_bin).args(["--data-dir", &data]).args(args).output()?;
        anyhow::ensure!(out.status.success(), "relay {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        Ok(())
    };
    cli(&["store", "add", "--key", "victim", "--name", "Victim"])
        .with_context(|| format!("running {relay_bin}; build it with `cargo xtask build`"))?;
    cli(&["store", "add", "--key", "evil", "--name", "Evil"])?;
    cli(&["agent", "add", "--store", "victim", "--email", "v@victim.test", "--password", "victim-password"])?;
    cli(&[
        "agent",
        "add",
        "--store",
        "evil",
        "--email",
        "e@evil.test",
        "--password",
        "evil-password",
        "--role",
        "owner",
    ])?;
    let mut server = tokio::process::Command::new(&relay_bin)
        .args(["--data-dir", &data, "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(server.stdout.take().context("relay stdout")?).lines();
    let first = lines.next_line().await?.context("relay printed nothing")?;
    let base = first.strip_prefix("relay listening on ").context("unexpected first line")?.to_owned();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

    let mut victim = Victim::start(&base).await?;
    let baseline = victim.measure().await?;
    println!("attack                      victim p50   victim p90   target p90   met");
    let target = (baseline.1 * 2.0).max(5.0);
    println!("{:<26}  {:>8.2} ms  {:>8.2} ms", "none (baseline)", baseline.0, baseline.1);
    let attacks: [(&str, Attack); 4] = [
        ("sign-in flood", Attack::SignIns),
        ("slowloris", Attack::Slowloris),
        ("long-message bot flood", Attack::LongMessages),
        ("FAQ save storm", Attack::FaqSaves),
    ];
    for (name, attack) in attacks {
        let running = tokio::spawn(attack.run(base.clone()));
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let during = victim.measure().await?;
        let summary = running.await??;
        let met = if during.1 <= target { "yes" } else { "NO" };
        println!("{name:<26}  {:>8.2} ms  {:>8.2} ms  {:>8.2} ms   {met}   ({summary})", during.0, during.1, target);
        // Let the relay settle before the next attack.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    drop(server);
    Ok(())
}

/// A shopper of the victim store and the agent answering them.
struct Victim {
    shopper: VisitorClient,
    agent: AgentClient,
    conversation: i64,
    sent: u64,
}

impl Victim {
    async fn start(base: &str) -> Result<Victim> {
        let mut agent = AgentClient::login(base, "v@victim.test", "victim-password").await?;
        let mut shopper = VisitorClient::connect(base, "victim", None, None, 0).await?;
        shopper.send("hello", "hello").await?;
        let assigned =
            agent.socket.wait_for(|f| matches!(f, ServerFrame::Assignment { agent_id: Some(_), .. })).await?;
        let ServerFrame::Assignment { conversation_id, .. } = assigned else { unreachable!() };
        Ok(Victim { shopper, agent, conversation: conversation_id, sent: 0 })
    }

    /// Agent → shopper latency of [`SAMPLES`] replies, one every 30 ms: (p50, p90) in ms.
    async fn measure(&mut self) -> Result<(f64, f64)> {
        let mut took = Vec::with_capacity(SAMPLES);
        for _ in 0..SAMPLES {
            self.sent += 1;
            let text = format!("reply {}", self.sent);
            let started = Instant::now();
            self.agent.send(self.conversation, &format!("r{}", self.sent), &text).await?;
            let wanted = |f: &ServerFrame| matches!(f, ServerFrame::Message { message, .. } if message.text == text && message.author.role == Role::Agent);
            tokio::time::timeout(Duration::from_secs(30), self.shopper.socket.wait_for(wanted)).await??;
            took.push(started.elapsed().as_secs_f64() * 1000.0);
            // Drain the agent's own echoes so its socket never fills.
            while let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(0), self.agent.socket.next_frame()).await {
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        took.sort_by(f64::total_cmp);
        let at = |q: f64| took[((took.len() as f64 * q) as usize).min(took.len() - 1)];
        Ok((at(0.5), at(0.9)))
    }
}

#[derive(Clone, Copy)]
enum Attack {
    SignIns,
    Slowloris,
    LongMessages,
    FaqSaves,
}

impl Attack {
    /// Runs for [`ATTACK`]; returns a line on what the relay answered.
    async fn run(self, base: String) -> Result<String> {
        match self {
            Attack::SignIns => sign_in_flood(&base).await,
            Attack::Slowloris => slowloris(&base).await,
            Attack::LongMessages => long_messages(&base).await,
            Attack::FaqSaves => faq_saves(&base).await,
        }
    }
}

fn relay_addr(base: &str) -> Result<SocketAddr> {
    Ok(base.trim_start_matches("http://").parse()?)
}

/// A connection from the attacker's address.
async fn attacker_tcp(base: &str) -> Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(ATTACKER, 0))?;
    Ok(socket.connect(relay_addr(base)?).await?)
}

/// One HTTP/1.1 request from the attacker's address, from the relay's own page (`Origin`) with
/// `extra` header lines; the status, and the cookie if one was set.
async fn request(base: &str, head: &str, extra: &str, body: &str) -> Result<(u16, Option<String>)> {
    let mut tcp = attacker_tcp(base).await?;
    let host = base.trim_start_matches("http://");
    let text = format!(
        "{head} HTTP/1.1\r\nHost: {host}\r\nOrigin: {base}\r\n{extra}Connection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    tcp.write_all(text.as_bytes()).await?;
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await?;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let cookie = answer
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .and_then(|c| c.split(';').next())
        .map(str::to_owned);
    Ok((status, cookie))
}

async fn sign_in_flood(base: &str) -> Result<String> {
    let until = Instant::now() + ATTACK;
    let mut tasks = Vec::new();
    for worker in 0..24 {
        let base = base.to_owned();
        tasks.push(tokio::spawn(async move {
            let (mut checked, mut limited, mut dropped) = (0u32, 0u32, 0u32);
            let mut i = 0;
            while Instant::now() < until {
                i += 1;
                let body = format!(r#"{{"email":"nobody{worker}-{i}@made.up","password":"guess-{i}"}}"#);
                match request(&base, "POST /api/session", "", &body).await {
                    Ok((429, _)) => limited += 1,
                    Ok((401, _)) => checked += 1,
                    // Closed before any answer: the flood of new connections is cut off.
                    _ => dropped += 1,
                }
            }
            (checked, limited, dropped)
        }));
    }
    let (mut checked, mut limited, mut dropped) = (0, 0, 0);
    for task in tasks {
        let (a, b, c) = task.await?;
        checked += a;
        limited += b;
        dropped += c;
    }
    Ok(format!("{checked} passwords checked (401), {limited} answered 429, {dropped} connections dropped"))
}

async fn slowloris(base: &str) -> Result<String> {
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..1100 {
        match attacker_tcp(base).await {
            Ok(mut tcp) => {
                if tcp.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.is_ok() {
                    held.push(tcp);
                } else {
                    refused += 1;
                }
            }
            Err(_) => refused += 1,
        }
    }
    tokio::time::sleep(ATTACK).await;
    // How many the relay has closed by now (cap and header timeout).
    let mut closed = 0;
    for tcp in &mut held {
        let mut byte = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) = tokio::time::timeout(Duration::from_millis(1), tcp.read(&mut byte)).await {
            closed += 1;
        }
    }
    Ok(format!("{} opened, {closed} of them closed by the relay within 8 s, {refused} refused", held.len()))
}

async fn long_messages(base: &str) -> Result<String> {
    let url = format!("{}/ws/visitor?store=demo", ws_base(base));
    let long = "where is my order, it has not arrived yet and I am worried about it ".repeat(60);
    let text: String = long.chars().take(4000).collect();
    let until = Instant::now() + ATTACK;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (url, text) = (url.clone(), text.clone());
        tasks.push(tokio::spawn(async move {
            let Ok(mut socket) = FrameSocket::connect_from(&url, ATTACKER).await else { return 0 };
            if socket.send(&VisitorFrame::Hello { token: None, last_seq: 0, identity: None }).await.is_err() {
                return 0;
            }
            let mut sent = 0;
            while Instant::now() < until {
                sent += 1;
                let frame = VisitorFrame::Send { client_id: format!("m{sent}"), text: text.clone() };
                if socket.send(&frame).await.is_err() {
                    break;
                }
                // Answers (accepted, refused, the bot) are read as they come.
                let _ = tokio::time::timeout(Duration::from_millis(20), socket.next_frame()).await;
            }
            sent
        }));
    }
    let mut sent = 0;
    for task in tasks {
        sent += task.await?;
    }
    Ok(format!("{sent} messages of 4,000 characters sent"))
}

async fn faq_saves(base: &str) -> Result<String> {
    let (status, cookie) =
        request(base, "POST /api/session", "", r#"{"email":"e@evil.test","password":"evil-password"}"#).await?;
    anyhow::ensure!(status == 200, "the attacker's admin could not sign in ({status})");
    let cookie = cookie.context("no session cookie")?;
    let answer = "Our returns policy covers every item bought in the last thirty days. ".repeat(250);
    let until = Instant::now() + ATTACK;
    let (mut saves, mut dropped) = (0, 0);
    while Instant::now() < until {
        saves += 1;
        let id = saves % 150;
        let body = serde_json::json!({ "question": format!("Question number {id} about returns?"), "answer": answer })
            .to_string();
        let head = format!("PUT /api/stores/evil/faq/articles/a{id}");
        match request(base, &head, &format!("Cookie: {cookie}\r\n"), &body).await {
            Ok((200 | 201, _)) => {}
            _ => dropped += 1,
        }
    }
    Ok(format!("{saves} article saves, {dropped} of them refused"))
}
