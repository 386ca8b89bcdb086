//! Figures for the chat itself, printed, not asserted (`cargo xtask bench` runs this; the
//! widget's page cost and tap figures are `page_bench`'s):
//! - shopper → agent latency p50/p99 over 1,000 messages on loopback;
//! - in headless Chromium, the time from "Sign in" in the agents' console to a usable inbox (the
//!   socket signed in and the waiting conversation listed), cold and warm.

#[path = "../tests/browser/mod.rs"]
#[allow(unused_imports)]
mod browser;

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use parley::{AgentClient, VisitorClient};
use protocol::{Role, ServerFrame};

const MESSAGES: usize = 1000;

#[tokio::main]
async fn main() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let mut config = relay::RelayConfig::new("127.0.0.1:0".parse()?, dir.path());
    // One shopper sends 1,000 messages as fast as they go: lift the abuse limits for it.
    let many = std::num::NonZeroU32::new(1_000_000).expect("non-zero");
    config.limits.message_burst = many;
    config.limits.messages_per_minute = many;
    let relay = relay::start(config).await?;
    let base = relay.url();
    let hash = relay::auth::hash_password("bench-password");
    relay.state().store.add_agent("demo", "bench@demo.test", "Bench", protocol::AgentRole::Agent, &hash).await?;

    latency(&base).await?;
    sign_in_to_inbox(&base).await?;
    relay.shutdown().await
}

async fn latency(base: &str) -> Result<()> {
    let mut agent = AgentClient::login(base, "bench@demo.test", "bench-password").await?;
    let mut shopper = VisitorClient::connect(base, "demo", None, None, 0).await?;
    let mut samples = Vec::with_capacity(MESSAGES);
    for i in 0..MESSAGES {
        let text = format!("message {i}");
        let started = Instant::now();
        shopper.send(&format!("b{i}"), &text).await?;
        agent
            .socket
            .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Visitor && message.text == text))
            .await?;
        samples.push(started.elapsed());
    }
    samples.sort();
    let pick = |q: f64| samples[((samples.len() as f64 * q) as usize).min(samples.len() - 1)];
    println!("== shopper -> agent latency over {MESSAGES} messages (each durably stored first) ==");
    println!("p50 {:.2} ms   p99 {:.2} ms   max {:.2} ms", ms(pick(0.50)), ms(pick(0.99)), ms(pick(1.0)));
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Fills the console's sign-in form, clicks "Sign in" and waits, inside the page, until the
/// inbox lists a conversation; returns the milliseconds from the click.
const MEASURE_SIGN_IN: &str = r#"
const [email, password, done] = arguments;
const wait = () => {
  const form = document.querySelector('form');
  if (!form) return setTimeout(wait, 5);
  const [e, p] = form.querySelectorAll('input');
  const set = (el, v) => { el.value = v; el.dispatchEvent(new Event('input', { bubbles: true })); };
  set(e, email); set(p, password);
  const start = performance.now();
  form.querySelector('button[type=submit]').click();
  const poll = () => document.querySelector('.conversations .conversation')
    ? done(performance.now() - start) : requestAnimationFrame(poll);
  poll();
};
wait();
"#;

async fn sign_in_to_inbox(base: &str) -> Result<()> {
    // Something waiting in the queue, so that a usable inbox has something to show.
    let mut shopper = VisitorClient::connect(base, "demo", None, None, 0).await?;
    shopper.send("wait-1", "Is the linen shirt in stock?").await?;
    let args = || vec!["bench@demo.test".into(), "bench-password".into()];
    let browser = browser::Browser::start().await?;
    let client = browser.client.clone();
    let result: Result<(f64, f64)> = async {
        client.goto(&format!("{base}/console/")).await?;
        let cold = client.execute_async(MEASURE_SIGN_IN, args()).await?.as_f64().context("cold sign-in")?;
        // Sign out (the session ends on the relay), reload with the assets cached, sign in again.
        client.execute_async("fetch('/api/session', {method: 'DELETE'}).then(() => arguments[0]())", vec![]).await?;
        client.refresh().await?;
        let warm = client.execute_async(MEASURE_SIGN_IN, args()).await?.as_f64().context("warm sign-in")?;
        Ok((cold, warm))
    }
    .await;
    browser.close().await;
    let (cold, warm) = result?;
    println!("== console: sign-in to usable inbox, headless Chromium, loopback ==");
    println!("first sign-in {cold:.0} ms (password check, socket, inbox)   again {warm:.0} ms (target: 500 ms)");
    Ok(())
}
