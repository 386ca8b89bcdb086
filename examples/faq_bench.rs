//! FAQ search figures on 10,000 generated articles, half English and half Chinese (printed,
//! not asserted; `cargo xtask bench` runs it):
//! - the time to index them;
//! - search latency p50/p99 in-process, for English and for Chinese queries;
//! - search latency p50/p99 over HTTP on loopback (`GET /api/stores/{key}/faq/search`).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use rand::seq::IndexedRandom;
use rand::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ARTICLES: usize = 10_000;
const QUERIES: usize = 1_000;

const WORDS: &[&str] = &[
    "order",
    "shipping",
    "delivery",
    "return",
    "refund",
    "size",
    "exchange",
    "payment",
    "card",
    "discount",
    "code",
    "customs",
    "tracking",
    "parcel",
    "jacket",
    "dress",
    "shirt",
    "shoes",
    "linen",
    "cotton",
    "wool",
    "colour",
    "black",
    "white",
    "blue",
    "small",
    "large",
    "fit",
    "long",
    "short",
    "wash",
    "care",
    "warranty",
    "gift",
    "wrap",
    "store",
    "pickup",
    "express",
    "free",
    "cost",
    "days",
    "week",
    "cancel",
    "change",
    "address",
    "account",
    "password",
    "invoice",
    "tax",
    "duty",
    "europe",
    "canada",
    "china",
    "japan",
    "damaged",
    "missing",
    "late",
    "stock",
    "restock",
    "preorder",
    "sale",
    "price",
    "match",
    "student",
    "newsletter",
    "points",
    "loyalty",
];
const HANZI: &[&str] = &[
    "订单",
    "运费",
    "配送",
    "退货",
    "退款",
    "尺码",
    "换货",
    "付款",
    "优惠",
    "关税",
    "物流",
    "包裹",
    "外套",
    "裙子",
    "衬衫",
    "鞋子",
    "棉",
    "羊毛",
    "颜色",
    "黑色",
    "白色",
    "大号",
    "小号",
    "洗涤",
    "保修",
    "礼品",
    "包装",
    "门店",
    "自提",
    "加急",
    "免费",
    "几天",
    "取消",
    "地址",
    "账户",
    "发票",
    "税",
    "欧洲",
    "加拿大",
    "中国",
    "破损",
    "缺货",
    "预售",
    "打折",
    "价格",
    "会员",
    "积分",
];

fn sentence(rng: &mut impl Rng, words: &[&str], count: usize, join: &str) -> String {
    (0..count).map(|_| *words.choose(rng).expect("words")).collect::<Vec<_>>().join(join)
}

fn percentile(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort_unstable();
    let at = ((samples.len() as f64 * q) as usize).min(samples.len() - 1);
    samples[at].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config = relay::RelayConfig::new("127.0.0.1:0".parse()?, dir.path());
    config.limits.searches_per_minute = std::num::NonZeroU32::new(1_000_000).context("non-zero")?;
    let relay = relay::start(config).await?;
    let state = relay.state();
    let store = state.store.add_store("bench", "Bench", &[]).await?;

    let mut rng = rand::rng();
    let articles: Vec<relay::store::Article> = (0..ARTICLES)
        .map(|i| {
            let chinese = i % 2 == 1;
            let (words, join) = if chinese { (HANZI, "") } else { (WORDS, " ") };
            relay::store::Article {
                id: format!("a{i}"),
                id_json: format!("\"a{i}\""),
                question: sentence(&mut rng, words, 6, join),
                answer: sentence(&mut rng, words, 40, join),
                category: "Generated".into(),
                tags: (0..3).map(|_| sentence(&mut rng, words, 1, "")).collect(),
                language: if chinese { "zh" } else { "en" }.into(),
            }
        })
        .collect();
    state.store.upsert_articles(store.id, articles.clone()).await?;
    let started = Instant::now();
    state.faq.replace_store(store.id, &articles)?;
    let build = started.elapsed();

    println!("== FAQ search: {ARTICLES} articles (half English, half Chinese), {QUERIES} queries each ==");
    println!("index build             {:.0} ms", build.as_secs_f64() * 1000.0);
    for (label, words, join) in [("English", WORDS, " "), ("Chinese", HANZI, "")] {
        let mut samples = Vec::with_capacity(QUERIES);
        for _ in 0..QUERIES {
            let query = sentence(&mut rng, words, 3, join);
            let started = Instant::now();
            std::hint::black_box(state.faq.search(store.id, &query, 5));
            samples.push(started.elapsed());
        }
        println!(
            "in-process, {label:<8}    p50 {:.2} ms  p99 {:.2} ms",
            percentile(&mut samples, 0.5),
            percentile(&mut samples, 0.99)
        );
    }
    let authority = relay.url().trim_start_matches("http://").to_owned();
    let mut samples = Vec::with_capacity(QUERIES);
    for i in 0..QUERIES {
        let (words, join) = if i % 2 == 0 { (WORDS, " ") } else { (HANZI, "") };
        let query = sentence(&mut rng, words, 3, join);
        let encoded: String = query
            .bytes()
            .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
            .collect();
        let request = format!(
            "GET /api/stores/bench/faq/search?q={encoded}&limit=5 HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
        );
        let started = Instant::now();
        let mut stream = tokio::net::TcpStream::connect(&authority).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        samples.push(started.elapsed());
        anyhow::ensure!(response.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&response));
    }
    println!(
        "over HTTP (loopback)    p50 {:.2} ms  p99 {:.2} ms (a new connection per search)",
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.99)
    );
    relay.shutdown().await
}
