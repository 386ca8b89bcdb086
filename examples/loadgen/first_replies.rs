//! The first-replies scenario: N shoppers and M simulated agents.
//!
//! Every shopper connects and stays connected; then each writes one message. Agents reply to
//! the conversations assigned to them after a random delay, except the silent share, which
//! never replies, so the first-reply deadline and the bot have work to do. It prints connections
//! held, messages per second, shopper → agent latency p50/p99, the relay's RSS and bytes per idle
//! connection, and the share of conversations whose first reply (human or bot) came within the
//! deadline + 1 s.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use parley::{AgentClient, Event};
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

/// Runs the scenario against `relay_bin`.
pub async fn run(relay_bin: &str, args: Args) -> Result<()> {
    let relay = RelayProcess::start(relay_bin, args.agents, args.first_reply_secs).await?;
    let base = relay.base.clone();
    let rss_empty = relay.rss_kib()?;

    let start = Instant::now();
    // Latencies of first messages (which also open and route a conversation) and follow-ups.
    let latencies = Arc::new(Mutex::new(Vec::<u64>::new()));
    let follow_up_latencies = Arc::new(Mutex::new(Vec::<u64>::new()));
    let frames = Arc::new(AtomicU64::new(0));

    // Agents: sign in, reply to their own conversations after a delay (unless silent).
    let silent_agents = (args.agents as f64 * args.silent).round() as usize;
    let mut agent_tasks = Vec::new();
    for i in 0..args.agents {
        let mut agent = AgentClient::login(&base, &agent_email(i), PASSWORD).await?;
        agent.socket.send(&protocol::AgentFrame::SetCapacity { capacity: args.capacity }).await?;
        let (latencies, follow_up_latencies, frames) = (latencies.clone(), follow_up_latencies.clone(), frames.clone());
        let silent = i < silent_agents;
        let max_delay = args.max_reply_delay_ms;
        agent_tasks.push(tokio::spawn(async move {
            let me = agent.agent.id;
            // Conversations assigned to this agent, and the latest unanswered shopper message of
            // every conversation (the message can arrive before or after its assignment).
            let mut mine = HashMap::<i64, ()>::new();
            let mut unanswered = HashMap::<i64, i64>::new();
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(i64, String)>();
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
                    event = agent.socket.next_event() => {
                        let Ok(Event::Frame(frame)) = event else { return };
                        frames.fetch_add(1, Ordering::Relaxed);
                        match frame {
                            ServerFrame::Assignment { conversation_id, agent_id, .. } => {
                                if agent_id == Some(me) {
                                    mine.insert(conversation_id, ());
                                    if let (Some(&message_id), false) = (unanswered.get(&conversation_id), silent) {
                                        reply_later(conversation_id, message_id);
                                    }
                                } else {
                                    mine.remove(&conversation_id);
                                }
                            }
                            ServerFrame::Message { message } if message.author.role == Role::Visitor => {
                                // Messages of a conversation reach only its agent: each is measured once.
                                if mine.contains_key(&message.conversation_id) {
                                    if let Some(sent) = message.text.strip_prefix("t=").and_then(|t| t.parse::<u64>().ok()) {
                                        latencies.lock().unwrap().push(since(start).saturating_sub(sent));
                                    }
                                    if let Some(sent) = message.text.strip_prefix("f=").and_then(|t| t.parse::<u64>().ok()) {
                                        follow_up_latencies.lock().unwrap().push(since(start).saturating_sub(sent));
                                    }
                                }
                                unanswered.insert(message.conversation_id, message.id);
                                if !silent && mine.contains_key(&message.conversation_id) {
                                    reply_later(message.conversation_id, message.id);
                                }
                            }
                            ServerFrame::Message { message } => {
                                unanswered.remove(&message.conversation_id);
                            }
                            _ => {}
                        }
                    }
                    Some((conversation, id)) = rx.recv() => {
                        if agent.send(conversation, &id, "Happy to help!").await.is_err() { return; }
                    }
                }
            }
        }));
    }

    // Shoppers: connect and hold.
    let connect_started = Instant::now();
    let shoppers = connect_shoppers(&relay.bases(), args.shoppers).await?;
    let connect_secs = connect_started.elapsed().as_secs_f64();
    let rss_idle = relay.rss_kib()?;

    // Each shopper writes once and waits for the first reply, human or bot.
    let deadline = Duration::from_secs(u64::from(args.first_reply_secs));
    let answered_in_time = Arc::new(AtomicU64::new(0));
    let send_started = Instant::now();
    let mut waiting = Vec::new();
    let (spread_us, shoppers_count) = (args.spread_secs * 1_000_000, shoppers.len() as u64);
    for (i, mut shopper) in shoppers.into_iter().enumerate() {
        let shoppers = shoppers_count.max(1);
        let answered_in_time = answered_in_time.clone();
        let frames = frames.clone();
        waiting.push(tokio::spawn(async move {
            // Spread the first messages evenly over the arrival window.
            tokio::time::sleep(Duration::from_micros(i as u64 * spread_us / shoppers)).await;
            let sent_at = Instant::now();
            let _ = shopper.send("q", &format!("t={}", since(start))).await;
            let answered = tokio::time::timeout(deadline + Duration::from_secs(10), async {
                loop {
                    match shopper.socket.next_event().await {
                        Ok(Event::Frame(ServerFrame::Message { message })) if message.author.role != Role::Visitor => {
                            return true
                        }
                        Ok(Event::Frame(_)) => {
                            frames.fetch_add(1, Ordering::Relaxed);
                        }
                        _ => return false,
                    }
                }
            })
            .await;
            if answered == Ok(true) && sent_at.elapsed() <= deadline + Duration::from_secs(1) {
                answered_in_time.fetch_add(1, Ordering::Relaxed);
            }
            // A follow-up in the same conversation, as a chat goes on.
            let _ = shopper.send("f", &format!("f={}", since(start))).await;
            let _ = shopper
                .socket
                .wait_for(|f| matches!(f, ServerFrame::Accepted { client_id, .. } if client_id == "f"))
                .await;
            shopper
        }));
    }
    let mut held = Vec::new();
    for task in waiting {
        held.push(task.await?);
    }
    let run_secs = send_started.elapsed().as_secs_f64();
    let rss_busy = relay.rss_kib()?;

    let sorted = |values: &Mutex<Vec<u64>>| {
        let mut v = values.lock().unwrap().clone();
        v.sort_unstable();
        v
    };
    let (latencies, follow_ups) = (sorted(&latencies), sorted(&follow_up_latencies));
    let pick = |v: &[u64], q: f64| {
        v.get(((v.len() as f64 * q) as usize).min(v.len().saturating_sub(1))).copied().unwrap_or(0) as f64 / 1000.0
    };
    let n = args.shoppers as f64;
    println!(
        "== load: {} shoppers, {} agents ({} silent), deadline {} s, first messages over {} s ==",
        args.shoppers, args.agents, silent_agents, args.first_reply_secs, args.spread_secs
    );
    println!(
        "connections held        {} shoppers + {} agents (connected in {connect_secs:.1} s)",
        held.len(),
        args.agents
    );
    println!(
        "frames received         {} in {run_secs:.1} s = {:.0} frames/s",
        frames.load(Ordering::Relaxed),
        frames.load(Ordering::Relaxed) as f64 / run_secs
    );
    println!(
        "shopper -> agent        first messages p50 {:.2} ms  p99 {:.2} ms ({} samples)",
        pick(&latencies, 0.5),
        pick(&latencies, 0.99),
        latencies.len()
    );
    println!(
        "                        follow-ups     p50 {:.2} ms  p99 {:.2} ms ({} samples)",
        pick(&follow_ups, 0.5),
        pick(&follow_ups, 0.99),
        follow_ups.len()
    );
    println!(
        "relay RSS               empty {} MB, {} idle shoppers {} MB, busy {} MB",
        rss_empty / 1024,
        args.shoppers,
        rss_idle / 1024,
        rss_busy / 1024
    );
    println!("per idle connection     {:.1} KB", (rss_idle.saturating_sub(rss_empty)) as f64 / n);
    println!(
        "first reply in time     {:.1} % within deadline + 1 s",
        answered_in_time.load(Ordering::Relaxed) as f64 * 100.0 / n
    );
    drop(held);
    for task in agent_tasks {
        task.abort();
    }
    relay.stop().await
}
