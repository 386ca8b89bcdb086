//! Report query time over a big store: 100,000 conversations and 1,000,000 messages over 29
//! days (a generator fills a fresh data dir through `Store::import_past`), then every report
//! the console asks for over the last 30 days, timed five times each: the JSON report, each CSV
//! table, and the widget's reply-time claim (14 days). Target: each under 500 ms.
//!
//! `cargo run --release --example report_bench` (`cargo xtask bench` runs it).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use protocol::Role;
use relay::reports::{csv, Period, Reports};
use relay::store::{now_millis, PastConversation};

const CONVERSATIONS: i64 = 100_000;
const MESSAGES_EACH: i64 = 10;
const DAYS: i64 = 29;
const AGENTS: i64 = 8;
const RUNS: usize = 5;

/// The `n`th conversation: a shopper's question, answers from an agent or the bot, and a close.
fn conversation(n: i64, now: i64, agents: &[i64]) -> PastConversation {
    let span = DAYS * 86_400_000;
    let asked = now - span + n * (span / CONVERSATIONS);
    let agent = agents[(n % AGENTS) as usize];
    let visitor = format!("bench-{n}");
    let mut messages = Vec::with_capacity(MESSAGES_EACH as usize);
    for m in 0..MESSAGES_EACH {
        let at = asked + m * (5_000 + (n % 13) * 7_000);
        let (role, author) = match m % 2 {
            0 => (Role::Visitor, visitor.clone()),
            _ if n % 10 == 0 => (Role::Bot, "bot".to_owned()),
            _ => (Role::Agent, agent.to_string()),
        };
        messages.push((role, author, format!("message {m} of conversation {n}"), at));
    }
    PastConversation {
        visitor_id: visitor,
        created_at: asked,
        closed: (n % 20 != 0).then_some((asked + 3_600_000, n % 7 != 0)),
        assignee: (n % 10 != 0).then_some(agent),
        rating: (n % 3 == 0).then_some((n % 5 + 1) as u8),
        order_answered: n % 10 == 0,
        messages,
    }
}

fn report_line(name: &str, runs: &mut [Duration]) {
    runs.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<28} median {:>7.1} ms  worst {:>7.1} ms  (target: < 500 ms)",
        ms(runs[runs.len() / 2]),
        ms(runs[runs.len() - 1])
    );
}

/// Makes the store "big" with its agents and its past conversations, up to `now`; returns its id.
async fn fill(store: &relay::store::Store, now: i64) -> Result<i64> {
    store.add_store("big", "Big Store", &["https://big.example".to_owned()]).await?;
    let big = store.store_by_key("big").await?.context("the store")?.id;
    let hash = relay::auth::hash_password("bench-password-123");
    for a in 0..AGENTS {
        let (email, name) = (format!("agent{a}@big.example"), format!("Agent {a}"));
        store.add_agent("big", &email, &name, protocol::AgentRole::Agent, &hash).await?;
    }
    let agents: Vec<i64> = store.team(big).await?.iter().map(|m| m.id).collect();
    let filling = Instant::now();
    for chunk in (0..CONVERSATIONS).collect::<Vec<_>>().chunks(2_000) {
        store.import_past(big, chunk.iter().map(|n| conversation(*n, now, &agents)).collect()).await?;
    }
    println!(
        "== reports over {CONVERSATIONS} conversations, {} messages, {DAYS} days (filled in {:.0} s) ==",
        CONVERSATIONS * MESSAGES_EACH,
        filling.elapsed().as_secs_f64()
    );
    Ok(big)
}

#[tokio::main]
async fn main() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let store = relay::app::open_data_dir(dir.path()).await?;
    let now = now_millis();
    let big = fill(&store, now).await?;
    let reports = Reports::new(store.clone());
    let mut reads = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        store.report_rows(big, now - 31 * 86_400_000, now + 1).await?;
        reads.push(start.elapsed());
    }
    report_line("(of which: reading the rows)", &mut reads);
    let zone = jiff::tz::TimeZone::UTC;
    let period = || Period::parse("30d", None, None, zone.clone(), jiff::Timestamp::now()).map_err(anyhow::Error::msg);
    let mut json = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let start = Instant::now();
        let report = reports.report(big, period()?, 60).await?;
        json.push(start.elapsed());
        last = Some(report);
    }
    let report = last.context("a report")?;
    println!(
        "30 days: {} conversations, {} daily rows, {} agents",
        report.summary.started,
        report.daily.len(),
        report.agents.len()
    );
    report_line("report (JSON, every table)", &mut json);
    for table in csv::TABLES {
        let mut runs = Vec::new();
        for _ in 0..RUNS {
            let start = Instant::now();
            let report = reports.report(big, period()?, 60).await?;
            csv::table(&report, table).context("a table")?;
            runs.push(start.elapsed());
        }
        report_line(&format!("{table}.csv"), &mut runs);
    }
    let mut claims = Vec::new();
    for _ in 0..RUNS {
        reports.reply_times.forget();
        let start = Instant::now();
        reports.reply_times.claim(big, now).await?;
        claims.push(start.elapsed());
    }
    report_line("widget reply-time claim", &mut claims);
    // Closed first: the last connection copies the write-ahead log into the database.
    store.close().await;
    if let Ok(keep) = std::env::var("REPORT_BENCH_KEEP") {
        for suffix in ["", "-wal"] {
            let _ = std::fs::copy(dir.path().join(format!("relay.db{suffix}")), format!("{keep}{suffix}"));
        }
    }
    Ok(())
}
