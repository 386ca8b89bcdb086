//! The first-replies scenario: N shoppers and M simulated agents.
//!
//! Every shopper connects and stays connected; then each writes one message. Agents reply to
//! the conversations assigned to them after a random delay, except the silent share, which
//! never replies, so the first-reply deadline and the bot have work to do. It prints connections
//! held, messages per second, shopper → agent latency p50/p99, the relay's RSS and bytes per idle
//! connection, and the share of conversations whose first reply (human or bot) came within the
//! deadline + 1 s.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use parley::{AgentClient, Event, VisitorClient};
use protocol::{Role, ServerFrame};

use crate::process::{agent_email, connect_shoppers, RelayProcess, PASSWORD};

/// The first-replies scenario's settings.
#[derive(clap::Args)]
pub struct Args {
    /// Concurrent shoppers.
    #[arg(long, default_value = "10000")]
    shoppers: usize,
    /// Simulated agents.
    #[arg(long, default_value = "100")]
    agents: usize,
    /// Conversations each agent takes at once.
    #[arg(long, default_value = "100")]
    capacity: u32,
    /// Share of agents that never reply (0.0 to 1.0).
    #[arg(long, default_value = "0.1")]
    silent: f64,
    /// The store's first-reply deadline for this run, in seconds.
    #[arg(long, default_value = "5")]
    first_reply_secs: u32,
    /// Agents reply after a random delay up to this many milliseconds.
    #[arg(long, default_value = "3000")]
    max_reply_delay_ms: u64,
    /// The shoppers' first messages arrive spread over this many seconds.
    #[arg(long, default_value = "30")]
    spread_secs: u64,
}

/// Times are measured against one start instant, shared by every task in this process.
fn since(start: Instant) -> u64 {
    start.elapsed().as_micros() as u64
}

/// What every task of a run adds to: the latencies measured by agents, the frames received, and
/// the shoppers answered in time.
#[derive(Default)]
struct Tally {
    /// Latencies of first messages (which also open and route a conversation), microseconds.
    firsts: Mutex<Vec<u64>>,
    /// Latencies of follow-ups in a conversation already routed, microseconds.
    follow_ups: Mutex<Vec<u64>>,
    frames: AtomicU64,
    answered_in_time: AtomicU64,
}

impl Tally {
    fn sorted(values: &Mutex<Vec<u64>>) -> Vec<u64> {
        let mut v = values.lock().unwrap().clone();
        v.sort_unstable();
        v
    }
}

/// The `q` quantile of sorted microseconds, in milliseconds.
fn pick(v: &[u64], q: f64) -> f64 {
    v.get(((v.len() as f64 * q) as usize).min(v.len().saturating_sub(1))).copied().unwrap_or(0) as f64 / 1000.0
}

/// One simulated agent: replies to its own conversations after a random delay, unless silent.
struct SimAgent {
    agent: AgentClient,
    silent: bool,
    max_delay_ms: u64,
    start: Instant,
    tally: Arc<Tally>,
}

impl SimAgent {
    async fn work(mut self) {
        let me = self.agent.agent.id;
        // Conversations assigned to this agent, and the latest unanswered shopper message of
        // every conversation (the message can arrive before or after its assignment).
        let mut mine = HashSet::<i64>::new();
        let mut unanswered = HashMap::<i64, i64>::new();
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(i64, String)>();
        let max_delay = self.max_delay_ms;
        let reply_later = |conversation: i64, message_id: i64| {
            let tx = tx.clone();
            let delay = Duration::from_millis(rand::random_range(0..max_delay.max(1)));
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                let _ = tx.send((conversation, format!("r{message_id}")));
            });
        };
        loop {
            tokio::select! {
                event = self.agent.socket.next_event() => {
                    let Ok(Event::Frame(frame)) = event else { return };
                    self.tally.frames.fetch_add(1, Ordering::Relaxed);
                    match frame {
                        ServerFrame::Assignment { conversation_id, agent_id, .. } if agent_id == Some(me) => {
                            mine.insert(conversation_id);
                            if let (Some(&message_id), false) = (unanswered.get(&conversation_id), self.silent) {
                                reply_later(conversation_id, message_id);
                            }
                        }
                        ServerFrame::Assignment { conversation_id, .. } => {
                            mine.remove(&conversation_id);
                        }
                        ServerFrame::Message { message } if message.author.role == Role::Visitor => {
                            let conversation = message.conversation_id;
                            if mine.contains(&conversation) {
                                // Messages of a conversation reach only its agent: each is measured once.
                                self.measure(&message.text);
                                if !self.silent {
                                    reply_later(conversation, message.id);
                                }
                            }
                            unanswered.insert(conversation, message.id);
                        }
                        ServerFrame::Message { message } => {
                            unanswered.remove(&message.conversation_id);
                        }
                        _ => {}
                    }
                }
                Some((conversation, id)) = rx.recv() => {
                    if self.agent.send(conversation, &id, "Happy to help!").await.is_err() { return; }
                }
            }
        }
    }

    /// Records the latency a shopper's message carries (`t=` first, `f=` follow-up).
    fn measure(&self, text: &str) {
        let now = since(self.start);
        for (prefix, into) in [("t=", &self.tally.firsts), ("f=", &self.tally.follow_ups)] {
            if let Some(sent) = text.strip_prefix(prefix).and_then(|t| t.parse::<u64>().ok()) {
                into.lock().unwrap().push(now.saturating_sub(sent));
            }
        }
    }
}

/// One shopper's part once connected: waits its turn in the arrival window, writes, waits for
/// the first reply (human or bot), then sends a follow-up; gives the shopper back to be held.
async fn shop(
    mut shopper: VisitorClient,
    wait: Duration,
    deadline: Duration,
    start: Instant,
    tally: Arc<Tally>,
) -> VisitorClient {
    tokio::time::sleep(wait).await;
    let sent_at = Instant::now();
    let _ = shopper.send("q", &format!("t={}", since(start))).await;
    let answered = tokio::time::timeout(deadline + Duration::from_secs(10), async {
        loop {
            match shopper.socket.next_event().await {
                Ok(Event::Frame(ServerFrame::Message { message })) if message.author.role != Role::Visitor => {
                    return true
                }
                Ok(Event::Frame(_)) => {
                    tally.frames.fetch_add(1, Ordering::Relaxed);
                }
                _ => return false,
            }
        }
    })
    .await;
    if answered == Ok(true) && sent_at.elapsed() <= deadline + Duration::from_secs(1) {
        tally.answered_in_time.fetch_add(1, Ordering::Relaxed);
    }
    // A follow-up in the same conversation, as a chat goes on.
    let _ = shopper.send("f", &format!("f={}", since(start))).await;
    let _ = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { client_id, .. } if client_id == "f")).await;
    shopper
}

/// Runs the scenario against `relay_bin`.
pub async fn run(relay_bin: &str, args: Args) -> Result<()> {
    let relay = RelayProcess::start(relay_bin, args.agents, args.first_reply_secs).await?;
    let base = relay.base.clone();
    let mut rss = [relay.rss_kib()?, 0, 0];
    let start = Instant::now();
    let tally = Arc::new(Tally::default());

    let silent_agents = (args.agents as f64 * args.silent).round() as usize;
    let mut agent_tasks = Vec::new();
    for i in 0..args.agents {
        let mut agent = AgentClient::login(&base, &agent_email(i), PASSWORD).await?;
        agent.socket.send(&protocol::AgentFrame::SetCapacity { capacity: args.capacity }).await?;
        let sim = SimAgent {
            agent,
            silent: i < silent_agents,
            max_delay_ms: args.max_reply_delay_ms,
            start,
            tally: tally.clone(),
        };
        agent_tasks.push(tokio::spawn(sim.work()));
    }

    // Shoppers: connect and hold.
    let connect_started = Instant::now();
    let shoppers = connect_shoppers(&relay.bases(), args.shoppers).await?;
    let connect_secs = connect_started.elapsed().as_secs_f64();
    rss[1] = relay.rss_kib()?;

    // Each shopper writes once, the first messages spread evenly over the arrival window.
    let deadline = Duration::from_secs(u64::from(args.first_reply_secs));
    let send_started = Instant::now();
    let (spread_us, count) = (args.spread_secs * 1_000_000, shoppers.len().max(1) as u64);
    let waiting: Vec<_> = (shoppers.into_iter().enumerate())
        .map(|(i, shopper)| {
            let wait = Duration::from_micros(i as u64 * spread_us / count);
            tokio::spawn(shop(shopper, wait, deadline, start, tally.clone()))
        })
        .collect();
    let mut held = Vec::new();
    for task in waiting {
        held.push(task.await?);
    }
    let run_secs = send_started.elapsed().as_secs_f64();
    rss[2] = relay.rss_kib()?;

    println!(
        "== load: {} shoppers, {} agents ({} silent), deadline {} s, first messages over {} s ==",
        args.shoppers, args.agents, silent_agents, args.first_reply_secs, args.spread_secs
    );
    println!(
        "connections held        {} shoppers + {} agents (connected in {connect_secs:.1} s)",
        held.len(),
        args.agents
    );
    report(&tally, args.shoppers, run_secs, rss);
    drop(held);
    for task in agent_tasks {
        task.abort();
    }
    relay.stop().await
}

/// Prints the run's figures; `rss` is the relay's memory empty, with idle shoppers and busy (KiB).
fn report(tally: &Tally, shoppers: usize, run_secs: f64, rss: [u64; 3]) {
    let (firsts, follow_ups) = (Tally::sorted(&tally.firsts), Tally::sorted(&tally.follow_ups));
    let frames = tally.frames.load(Ordering::Relaxed);
    let n = shoppers as f64;
    println!("frames received         {frames} in {run_secs:.1} s = {:.0} frames/s", frames as f64 / run_secs);
    println!(
        "shopper -> agent        first messages p50 {:.2} ms  p99 {:.2} ms ({} samples)",
        pick(&firsts, 0.5),
        pick(&firsts, 0.99),
        firsts.len()
    );
    println!(
        "                        follow-ups     p50 {:.2} ms  p99 {:.2} ms ({} samples)",
        pick(&follow_ups, 0.5),
        pick(&follow_ups, 0.99),
        follow_ups.len()
    );
    let [empty, idle, busy] = rss;
    println!(
        "relay RSS               empty {} MB, {shoppers} idle shoppers {} MB, busy {} MB",
        empty / 1024,
        idle / 1024,
        busy / 1024
    );
    println!("per idle connection     {:.1} KB", idle.saturating_sub(empty) as f64 / n);
    println!(
        "first reply in time     {:.1} % within deadline + 1 s",
        tally.answered_in_time.load(Ordering::Relaxed) as f64 * 100.0 / n
    );
}
