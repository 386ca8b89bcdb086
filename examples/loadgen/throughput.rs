//! The throughput scenario: how many messages the relay stores and carries with every one
//! fsynced before `accepted`, and what happens past that.
//!
//! 1. **ramp**: 1,000 shoppers and 20 agents in open conversations; shopper → agent → shopper
//!    round trips at 2k, 5k, 10k, 20k, 40k msg/s (a round trip is two messages), 10 s a step,
//!    stopping at the first step under 95 % achieved or with p99 over 100 ms; then one step at
//!    twice the last rate held (overload: what is accepted stays fast, the rest is `busy`).
//! 2. **crowd**: 10,000 shoppers chatting at 5,000 msg/s.
//! 3. **openings**: 10,000 first messages at 2,000/s; the time to `accepted` and to a reply.
//! 4. **idle**: 19,000 idle shoppers; bytes per connection as the slope between 10k and 19k.
//!
//! Each part runs on its own fresh relay. Each step prints the achieved rate, round-trip
//! p50/p99/max, refusals, the relay's CPU (in cores, with its busiest threads) and RSS.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use parley::{AgentClient, Event, VisitorClient};
use protocol::{AgentFrame, ErrorCode, Role, ServerFrame};
use tokio::sync::{mpsc, Semaphore};

use crate::process::{agent_email, connect_shoppers, cpu_between, RelayProcess, PASSWORD};

/// The throughput scenario's settings.
#[derive(clap::Args)]
pub struct Args {
    /// Seconds per step.
    #[arg(long, default_value = "10")]
    step_secs: u64,
    /// The ramp's rates in messages per second (a round trip is two messages).
    #[arg(long, value_delimiter = ',', default_value = "2000,5000,10000,20000,40000")]
    rates: Vec<u64>,
    /// The overload step's rate (default: twice the highest rate the ramp held).
    #[arg(long)]
    overload: Option<u64>,
    /// Which parts to run.
    #[arg(long, value_delimiter = ',', default_value = "ramp,crowd,openings,idle")]
    parts: Vec<String>,
    /// Agents for the crowd and the openings (each takes at most 50 conversations).
    #[arg(long, default_value = "200")]
    crowd_agents: usize,
}

/// Counts shared by every simulated client of a part.
#[derive(Default)]
struct Tally {
    /// (sent at, round trip), both in µs since the part's start.
    trips: Mutex<Vec<(u64, u64)>>,
    refused: AtomicU64,
    assigned: AtomicU64,
}

/// Runs the parts asked for.
pub async fn run(bin: &str, args: Args) -> Result<()> {
    let wants = |part: &str| args.parts.iter().any(|p| p == part);
    if wants("ramp") {
        let chat = Chat::open(bin, 1_000, 20).await?;
        println!("== throughput: ramp, 1,000 shoppers and 20 agents, {} s a step ==", args.step_secs);
        let mut held = 0;
        for &rate in &args.rates {
            let step = chat.step(rate, args.step_secs).await?;
            step.print(&format!("{rate} msg/s"));
            if !step.holds() {
                break;
            }
            held = rate;
        }
        println!("highest rate held with p99 <= 100 ms: {held} msg/s");
        chat.relay.stop().await?;
        // On a relay of its own: the step that failed may have closed agents' sockets.
        let overload = args.overload.unwrap_or(held * 2);
        if overload > 0 {
            let chat = Chat::open(bin, 1_000, 20).await?;
            chat.step(overload, args.step_secs).await?.print(&format!("overload {overload} msg/s"));
            chat.relay.stop().await?;
        }
    }
    if wants("crowd") {
        let chat = Chat::open(bin, 10_000, args.crowd_agents).await?;
        println!("== throughput: crowd, 10,000 shoppers and {} agents ==", args.crowd_agents);
        chat.step(5_000, args.step_secs).await?.print("5000 msg/s");
        chat.relay.stop().await?;
    }
    if wants("openings") {
        openings(bin, 10_000, 2_000, args.crowd_agents).await?;
    }
    if wants("idle") {
        idle(bin).await?;
    }
    Ok(())
}

fn since(start: Instant) -> u64 {
    start.elapsed().as_micros() as u64
}

/// Shoppers in conversations with agents who answer at once, on a fresh relay.
struct Chat {
    relay: RelayProcess,
    start: Instant,
    tally: Arc<Tally>,
    shoppers: Vec<mpsc::Sender<()>>,
}

impl Chat {
    async fn open(bin: &str, shoppers: usize, agents: usize) -> Result<Chat> {
        let relay = RelayProcess::start(bin, agents, 60).await?;
        let (start, tally) = (Instant::now(), Arc::new(Tally::default()));
        sign_in_agents(&relay.bases(), agents, &tally, start).await?;
        let connected = connect_shoppers(&relay.bases(), shoppers).await?;
        let mut senders = Vec::new();
        let opening = Arc::new(Semaphore::new(64));
        for mut shopper in connected {
            let permit = opening.clone().acquire_owned().await?;
            shopper.send("open", "hello").await?;
            shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await?;
            drop(permit);
            let (tx, rx) = mpsc::channel(256);
            tokio::spawn(chatting_shopper(shopper, rx, tally.clone(), start));
            senders.push(tx);
        }
        let waited = Instant::now();
        while tally.assigned.load(Ordering::Relaxed) < shoppers as u64 {
            if waited.elapsed() > Duration::from_secs(60) {
                bail!("only {} of {shoppers} conversations were assigned", tally.assigned.load(Ordering::Relaxed));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Chat { relay, start, tally, shoppers: senders })
    }

    /// Round trips at `rate` messages a second for `secs`, then a second to finish.
    async fn step(&self, rate: u64, secs: u64) -> Result<Step> {
        let refused_before = self.tally.refused.load(Ordering::Relaxed);
        let cpu_before = self.relay.thread_cpu();
        let begin = since(self.start);
        let issued = pace(&self.shoppers, rate, secs).await;
        let end = since(self.start);
        let cpu = cpu_between(&cpu_before, &self.relay.thread_cpu(), secs as f64);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut trips: Vec<u64> =
            self.tally.trips.lock().unwrap().iter().filter(|(at, _)| (begin..end).contains(at)).map(|t| t.1).collect();
        trips.sort_unstable();
        Ok(Step {
            target: rate,
            issued,
            achieved: trips.len() as f64 * 2.0 / secs as f64,
            trips,
            refused: self.tally.refused.load(Ordering::Relaxed) - refused_before,
            cpu,
            rss_mb: self.relay.rss_kib()? / 1024,
        })
    }
}

/// What one step came to.
struct Step {
    target: u64,
    issued: u64,
    achieved: f64,
    trips: Vec<u64>,
    refused: u64,
    cpu: (f64, String),
    rss_mb: u64,
}

impl Step {
    fn pick(&self, q: f64) -> f64 {
        let i = ((self.trips.len() as f64 * q) as usize).min(self.trips.len().saturating_sub(1));
        self.trips.get(i).copied().unwrap_or(0) as f64 / 1000.0
    }

    fn holds(&self) -> bool {
        self.achieved >= self.target as f64 * 0.95 && self.pick(0.99) <= 100.0
    }

    fn print(&self, label: &str) {
        let unanswered = self.issued.saturating_sub(self.trips.len() as u64 + self.refused);
        println!(
            "{label:>22}: achieved {:.0} msg/s ({:.1} %), round trip p50 {:.2} ms p99 {:.2} ms max {:.1} ms, \
             refused busy {}, unanswered {unanswered}; relay {:.2} cores ({}), RSS {} MB",
            self.achieved,
            self.achieved * 100.0 / self.target as f64,
            self.pick(0.5),
            self.pick(0.99),
            self.pick(1.0),
            self.refused,
            self.cpu.0,
            self.cpu.1,
            self.rss_mb
        );
    }
}

/// Issues round trips at `rate` messages a second for `secs`, round robin over the shoppers;
/// returns how many it issued.
async fn pace(shoppers: &[mpsc::Sender<()>], rate: u64, secs: u64) -> u64 {
    let trips_per_sec = rate as f64 / 2.0;
    let begin = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    let (mut issued, mut next) = (0u64, 0usize);
    loop {
        tick.tick().await;
        let elapsed = begin.elapsed().as_secs_f64();
        if elapsed >= secs as f64 {
            return issued;
        }
        while issued < (elapsed * trips_per_sec) as u64 {
            let _ = shoppers[next % shoppers.len()].try_send(());
            next += 1;
            issued += 1;
        }
    }
}

async fn sign_in_agents(bases: &[String], agents: usize, tally: &Arc<Tally>, start: Instant) -> Result<()> {
    for i in 0..agents {
        let mut agent = AgentClient::login(&bases[(i + 1) % bases.len()], &agent_email(i), PASSWORD).await?;
        agent.socket.send(&AgentFrame::SetCapacity { capacity: 50 }).await?;
        tokio::spawn(answering_agent(agent, tally.clone(), start));
    }
    Ok(())
}

/// A shopper who sends `p<time>` on each tick and times the agent's `r<time>`.
async fn chatting_shopper(
    mut shopper: VisitorClient,
    mut ticks: mpsc::Receiver<()>,
    tally: Arc<Tally>,
    start: Instant,
) {
    let mut n = 0u64;
    loop {
        tokio::select! {
            tick = ticks.recv() => {
                if tick.is_none() { return }
                n += 1;
                if shopper.send(&format!("p{n}"), &format!("p{}", since(start))).await.is_err() { return }
            }
            event = shopper.socket.next_event() => match event {
                Ok(Event::Frame(ServerFrame::Message { message })) if message.author.role == Role::Agent => {
                    if let Some(sent) = message.text.strip_prefix('r').and_then(|t| t.parse::<u64>().ok()) {
                        tally.trips.lock().unwrap().push((sent, since(start).saturating_sub(sent)));
                    }
                }
                Ok(Event::Frame(ServerFrame::Error { code: ErrorCode::Busy, .. })) => {
                    tally.refused.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Event::Frame(_)) => {}
                _ => return,
            }
        }
    }
}

/// An agent who answers every `p<time>` (and every first message) in their conversations at once.
async fn answering_agent(mut agent: AgentClient, tally: Arc<Tally>, _start: Instant) {
    let me = agent.agent.id;
    let mut mine = HashSet::new();
    let mut n = 0u64;
    loop {
        let Ok(Event::Frame(frame)) = agent.socket.next_event().await else { return };
        match frame {
            ServerFrame::Assignment { conversation_id, agent_id, .. } => {
                if agent_id == Some(me) {
                    mine.insert(conversation_id);
                    tally.assigned.fetch_add(1, Ordering::Relaxed);
                } else {
                    mine.remove(&conversation_id);
                }
            }
            ServerFrame::Message { message } if message.author.role == Role::Visitor => {
                let reply = match message.text.strip_prefix('p') {
                    Some(sent) if mine.contains(&message.conversation_id) => format!("r{sent}"),
                    None if message.text == "first" => "Hello! How can I help?".to_owned(),
                    _ => continue,
                };
                n += 1;
                if agent.send(message.conversation_id, &format!("a{n}"), &reply).await.is_err() {
                    return;
                }
            }
            ServerFrame::Error { code: ErrorCode::Busy, .. } => {
                tally.refused.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }
    }
}

/// `count` shoppers, connected beforehand, write their first message at `rate` a second.
async fn openings(bin: &str, count: usize, rate: u64, agents: usize) -> Result<()> {
    let first_reply_secs = 10;
    let relay = RelayProcess::start(bin, agents, first_reply_secs).await?;
    let (start, tally) = (Instant::now(), Arc::new(Tally::default()));
    sign_in_agents(&relay.bases(), agents, &tally, start).await?;
    let shoppers = connect_shoppers(&relay.bases(), count).await?;
    let deadline = Duration::from_secs(u64::from(first_reply_secs));
    let cpu_before = relay.thread_cpu();
    let begun = Instant::now();
    let mut waiting = Vec::new();
    for (i, mut shopper) in shoppers.into_iter().enumerate() {
        let at = begun + Duration::from_micros(i as u64 * 1_000_000 / rate);
        waiting.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let sent = Instant::now();
            shopper.send("first", "first").await.ok()?;
            let accepted = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.ok()?;
            let stored = sent.elapsed();
            drop(accepted);
            let replied = tokio::time::timeout(deadline + Duration::from_secs(5), async {
                loop {
                    match shopper.socket.next_event().await {
                        Ok(Event::Frame(ServerFrame::Message { message })) if message.author.role != Role::Visitor => {
                            return Some(sent.elapsed())
                        }
                        Ok(Event::Frame(_)) => continue,
                        _ => return None,
                    }
                }
            })
            .await
            .ok()
            .flatten();
            Some((stored, replied, shopper))
        }));
    }
    let (mut stored, mut replied, mut held) = (Vec::new(), Vec::new(), Vec::new());
    for task in waiting {
        if let Some((s, r, shopper)) = task.await? {
            stored.push(s);
            replied.extend(r);
            held.push(shopper);
        }
    }
    let secs = begun.elapsed().as_secs_f64();
    let (cores, busiest) = cpu_between(&cpu_before, &relay.thread_cpu(), secs);
    stored.sort_unstable();
    replied.sort_unstable();
    let pick = |v: &[Duration], q: f64| {
        v.get(((v.len() as f64 * q) as usize).min(v.len().saturating_sub(1))).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    let in_time = replied.iter().filter(|d| **d <= deadline).count();
    println!("== throughput: openings, {count} first messages at {rate}/s, {agents} agents ==");
    println!(
        "{:>22}: all {} answered in {secs:.1} s; first message to accepted p50 {:.2} ms p99 {:.2} ms max {:.1} ms; \
         first reply p99 {:.1} ms, {:.1} % within the {first_reply_secs} s deadline; relay {cores:.2} cores ({busiest}), RSS {} MB",
        "openings",
        stored.len(),
        pick(&stored, 0.5),
        pick(&stored, 0.99),
        pick(&stored, 1.0),
        pick(&replied, 0.99),
        in_time as f64 * 100.0 / count as f64,
        relay.rss_kib()? / 1024
    );
    drop(held);
    relay.stop().await
}

/// Bytes per idle shopper connection: the relay's RSS slope between 10,000 and 19,000.
/// The relay's RSS once it has stopped moving (what connecting allocated for a moment is
/// given back to the system within a second or so): sampled every 250 ms until it changed by
/// less than 256 KiB over a second, at most 10 s.
async fn settled_rss(relay: &RelayProcess) -> Result<u64> {
    let mut samples = vec![relay.rss_kib()?];
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        samples.push(relay.rss_kib()?);
        if let [.., before, _, _, _, now] = samples[..] {
            if now.abs_diff(before) < 256 {
                return Ok(now);
            }
        }
    }
    Ok(samples[samples.len() - 1])
}

async fn idle(bin: &str) -> Result<()> {
    let relay = RelayProcess::start(bin, 0, 60).await?;
    let first = connect_shoppers(&relay.bases(), 10_000).await?;
    let at_10k = settled_rss(&relay).await?;
    let more = connect_shoppers(&relay.bases(), 9_000).await?;
    let at_19k = settled_rss(&relay).await?;
    println!("== throughput: idle connections ==");
    println!(
        "{:>22}: RSS {} MB at 10,000, {} MB at 19,000: {:.1} KB per idle connection",
        "idle",
        at_10k / 1024,
        at_19k / 1024,
        at_19k.saturating_sub(at_10k) as f64 * 1024.0 / 9_000.0 / 1000.0
    );
    drop((first, more));
    relay.stop().await
}
