//! FAQ ranking with the embedding model (printed, not asserted; `cargo xtask bench` runs it
//! with `PARLEY_FAQ_MODEL` set):
//! - top-1 / top-3 and the bot's answers on the development set, lexical only and with the model;
//! - search latency p50/p99 with the model, in-process and over HTTP (each query new to the
//!   relay's cache of query vectors, so each is embedded);
//! - the time to embed and index an article;
//! - the memory the model takes.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use relay::faq::semantic::Semantic;
use relay::faq::{quality, Faq};
use relay::store::Article;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Words appended to the development questions so that every search is one the cache has not
/// seen (as a shopper's next question is).
const TAILS: &[&str] = &["", "please", "thanks", "asap", "today", "now", "again", "quickly"];

fn percentile(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort_unstable();
    let at = ((samples.len() as f64 * q) as usize).min(samples.len() - 1);
    samples[at].as_secs_f64() * 1000.0
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok());
    kb.unwrap_or(0.0) / 1024.0
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::main]
async fn main() -> Result<()> {
    let model =
        std::path::PathBuf::from(std::env::var("PARLEY_FAQ_MODEL").context("PARLEY_FAQ_MODEL names the model")?);
    let set = quality::dev_set()?;
    let demo = relay::faq::import::parse(include_str!("../relay/faq/demo.json"))?;
    println!("== FAQ ranking on the development set ({} questions for the demo FAQ) ==", set.len());
    let hybrid = ranking(&model, &set, &demo)?;
    chinese_against_english(&hybrid, &set, &demo)?;
    latencies(model, &set, &demo).await
}

/// Ranking quality, lexical only and with the model, and the model's memory; gives back the
/// FAQ ranked with the model.
fn ranking(model: &std::path::Path, set: &[quality::Question], demo: &[Article]) -> Result<Faq> {
    let lexical = Faq::new()?;
    lexical.replace_store(1, demo)?;
    let rss_before = rss_mb();
    let semantic = Arc::new(Semantic::load(model)?);
    let rss_model = rss_mb() - rss_before;
    let hybrid = Faq::ranked_by(Some(semantic))?;
    hybrid.replace_store(1, demo)?;
    for (label, faq) in [("lexical only", &lexical), ("with the model", &hybrid)] {
        let q = quality::measure(faq, 1, set);
        println!(
            "{label:<15} top-1 {}/{}  top-3 {}/{}  bot answers right {} wrong {}  offers choices holding the right one {} not {}  unanswerable with no result {}/{}",
            q.top1, q.answerable, q.top3, q.answerable, q.answered_right, q.answered_wrong, q.offered_right, q.offered_wrong, q.no_result, q.unanswerable
        );
    }
    println!("memory of the loaded model: {rss_model:.0} MB");
    Ok(hybrid)
}

/// Chinese questions against the English articles alone (each `zh-x` article has an `x`).
fn chinese_against_english(hybrid: &Faq, set: &[quality::Question], demo: &[Article]) -> Result<()> {
    let english: Vec<_> = demo.iter().filter(|a| a.language != "zh").cloned().collect();
    hybrid.replace_store(2, &english)?;
    let (mut asked, mut first, mut answered, mut wrong) = (0, 0, 0, 0);
    for question in set.iter().filter(|q| q.q.chars().any(relay::faq::cjk::is_cjk)) {
        let Some(right) = question.article.as_deref().map(|a| a.trim_start_matches("zh-")) else { continue };
        asked += 1;
        let hits = hybrid.search(2, &format!("{} ", question.q), 1);
        first += usize::from(hits.first().is_some_and(|h| Faq::hit_id(h) == right));
        match hybrid.answer(2, &question.q) {
            Some(article) if article.id == right => answered += 1,
            Some(_) => wrong += 1,
            None => {}
        }
    }
    println!(
        "Chinese questions, English articles only: first {first}/{asked}  bot answers right {answered} wrong {wrong}"
    );
    Ok(())
}

/// A relay with the model: the time to index an article, and search latency in-process and
/// over HTTP.
async fn latencies(model: std::path::PathBuf, set: &[quality::Question], demo: &[Article]) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config = relay::RelayConfig::new("127.0.0.1:0".parse()?, dir.path());
    config.limits.searches_per_minute = std::num::NonZeroU32::new(1_000_000).context("non-zero")?;
    config.faq_model = Some(model);
    let relay = relay::start(config).await?;
    let state = relay.state().clone();
    let store = state.store.store_by_key("demo").await?.context("the demo store")?;

    // Indexing: new articles, embedded and indexed as a save does it.
    let mut fresh = demo.to_vec();
    for (i, article) in fresh.iter_mut().enumerate() {
        article.id = format!("copy-{i}");
        article.question = format!("{} (copy {i})", article.question);
    }
    let shop = state.store.add_store("copies", "Copies", &[]).await?;
    state.store.upsert_articles(shop.id, fresh.clone()).await?;
    let started = Instant::now();
    state.faq.sync(&state.store).await?;
    let per_article = started.elapsed().as_secs_f64() * 1000.0 / fresh.len() as f64;
    println!("index time per article (embedded, stored, indexed): {per_article:.1} ms");

    let queries: Vec<String> =
        TAILS.iter().flat_map(|tail| set.iter().map(move |q| format!("{} {tail} ", q.q))).collect();
    let (in_process, over_http) = queries.split_at(queries.len() / 2);
    let mut samples = Vec::new();
    for query in in_process {
        let started = Instant::now();
        std::hint::black_box(state.faq.search_off(store.id, query.clone(), 5).await);
        samples.push(started.elapsed());
    }
    let mut cached = Vec::new();
    for query in in_process {
        let started = Instant::now();
        std::hint::black_box(state.faq.search_off(store.id, query.clone(), 5).await);
        cached.push(started.elapsed());
    }
    println!(
        "search again (question vector cached) p50 {:.1} ms  p99 {:.1} ms",
        percentile(&mut cached, 0.5),
        percentile(&mut cached, 0.99)
    );
    println!(
        "search with the model, in-process   p50 {:.1} ms  p99 {:.1} ms ({} questions)",
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99),
        samples.len()
    );
    let mut samples = over_http_each(&relay.url(), over_http).await?;
    println!(
        "search with the model, over HTTP    p50 {:.1} ms  p99 {:.1} ms ({} questions, a new connection each)",
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99),
        samples.len()
    );
    relay.shutdown().await
}

/// Each query through the search API on a new connection, timed.
async fn over_http_each(url: &str, queries: &[String]) -> Result<Vec<Duration>> {
    let authority = url.trim_start_matches("http://").to_owned();
    let mut samples = Vec::new();
    for query in queries {
        let request = format!(
            "GET /api/stores/demo/faq/search?q={}&limit=5 HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n",
            encode(query)
        );
        let started = Instant::now();
        let mut stream = tokio::net::TcpStream::connect(&authority).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        samples.push(started.elapsed());
        anyhow::ensure!(response.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&response));
    }
    Ok(samples)
}
