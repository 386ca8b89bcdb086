//! What the widget costs a product page and how fast it answers a tap, on an emulated mid-range
//! phone in headless Chromium (4× CPU slowdown, 390×844, touch, Lighthouse's slow 4G). Printed,
//! not asserted; `cargo xtask bench` runs it after printing the widget's sizes.
//! - Main-thread blocking from navigation until 10 s later with no interaction: long tasks
//!   (over 50 ms) and total blocking time on the demo storefront with the widget, and with its
//!   loader blocked (the storefront alone); the difference is the widget's.
//! - A finger tap on the launcher to the panel's frame on screen and to a usable panel (the
//!   widget's own panel open with its message box), on a first visit (empty cache): once the
//!   page has settled (the idle prefetch done) and the moment the launcher appears.
//! - The same tap on a later visit (assets cached).

#[path = "../tests/browser/mod.rs"]
#[allow(unused_imports)]
mod browser;

use anyhow::{Context, Result};
use browser::{cdp, Browser};
use fantoccini::Client;
use serde::Deserialize;

/// Taps measured per case; the median is printed.
const TAPS: usize = 3;

/// Waits, inside the page, until 10 s after navigation and returns each long animation frame
/// (a main-thread stretch over 50 ms, buffered by the browser from the start): its blocking
/// time and whether a script of the widget (the loader, its glue or the wasm) ran in it.
const TEN_SECONDS: &str = "const done = arguments[0]; \
  const widget = (s) => /\\/widget\\.js|\\/assets\\//.test(s.sourceURL || ''); \
  setTimeout(() => done(performance.getEntriesByType('long-animation-frame').map((e) => \
    ({ duration: e.duration, blocking: e.blockingDuration, widget: e.scripts.some(widget) }))), \
    Math.max(0, 10000 - performance.now()));";

/// Waits until the loader's idle prefetch has fetched the wasm and the page is idle again.
const SETTLED: &str = "const done = arguments[0]; \
  const fetched = () => performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm')); \
  const check = () => fetched() ? requestIdleCallback(() => done(true)) : setTimeout(check, 50); \
  check();";

/// Arms the tap measurement and returns the launcher's centre. From the tap's first event, each
/// animation frame checks for the panel's frame (the loader's, or the widget's panel open) and
/// for a usable panel (the widget's panel open with its message box, the frame gone).
const ARM_TAP: &str = "const host = document.getElementById('parley-chat'); \
  const root = host && host.shadowRoot, launcher = root && root.querySelector('button.pl-launch'); \
  const b = launcher && launcher.getBoundingClientRect(); \
  if (!b || !b.width) return null; \
  const r = window.__tap = {}; \
  const open = () => root.querySelector('button.pl-launch[aria-expanded=\"true\"]'); \
  const begin = (e) => { \
    if (r.start !== undefined) return; \
    r.start = e.timeStamp; \
    const poll = () => { \
      const now = performance.now(); \
      if (r.frame === undefined && (root.querySelector('.pl-frame') || open())) r.frame = now - r.start; \
      if (open() && root.querySelector('.pl-panel textarea') && !root.querySelector('.pl-frame')) { r.usable = now - r.start; return; } \
      requestAnimationFrame(poll); \
    }; \
    requestAnimationFrame(poll); \
  }; \
  for (const type of ['pointerdown', 'touchstart', 'mousedown', 'click']) addEventListener(type, begin, true); \
  return [b.x + b.width / 2, b.y + b.height / 2];";

/// Waits for the armed tap's figures.
const TAP_RESULT: &str = "const done = arguments[0]; \
  const check = () => window.__tap.usable !== undefined ? done(window.__tap) : setTimeout(check, 20); \
  check();";

/// One long animation frame.
#[derive(Debug, Deserialize)]
struct LongFrame {
    duration: f64,
    blocking: f64,
    widget: bool,
}

/// One tap's figures, in milliseconds from the pointerdown.
#[derive(Debug, Deserialize)]
struct Tap {
    frame: f64,
    usable: f64,
}

#[tokio::main]
async fn main() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let relay = relay::start(relay::RelayConfig::new("127.0.0.1:0".parse()?, dir.path())).await?;
    let page = format!("{}/demo/", relay.url());

    println!("== the widget's cost to a page: emulated phone, 4x CPU slowdown, slow 4G, 10 s idle ==");
    let alone = blocking(&page, true).await?;
    let with = blocking(&page, false).await?;
    print_blocking("storefront alone (loader blocked)", alone.iter());
    print_blocking("storefront with the widget", with.iter());
    print_blocking("  of which the widget's scripts ran in", with.iter().filter(|f| f.widget));
    println!("(target: no long frame with the widget's scripts in it)");

    println!("== a tap on the launcher: emulated phone, 4x CPU slowdown, slow 4G ==");
    let mut settled = Vec::new();
    let mut at_once = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..TAPS {
        let (first, again) = first_visit_then_again(&page).await?;
        settled.push(first);
        warm.push(again);
        at_once.push(tap_at_first_sight(&page).await?);
    }
    print_taps("first visit, page settled", settled, "targets: frame 100 ms, usable 600 ms");
    print_taps("first visit, tapped at first sight", at_once, "the whole widget still to download");
    print_taps("later visit (cached)", warm, "target: usable 150 ms");
    relay.shutdown().await
}

/// Loads `page` in a fresh phone browser and returns the long frames of its first 10 s.
async fn blocking(page: &str, without_widget: bool) -> Result<Vec<LongFrame>> {
    in_phone(|client| async move {
        if without_widget {
            cdp::block(&client, &["*/widget.js"]).await?;
        }
        client.goto(page).await?;
        let tasks = client.execute_async(TEN_SECONDS, vec![]).await?;
        Ok(serde_json::from_value(tasks)?)
    })
    .await
}

/// A first visit (empty cache) tapped once the page settled, then a reload tapped likewise.
async fn first_visit_then_again(page: &str) -> Result<(Tap, Tap)> {
    in_phone(|client| async move {
        client.goto(page).await?;
        client.execute_async(SETTLED, vec![]).await?;
        let first = tap(&client).await?;
        // A later visit: a fresh page load with the assets in the HTTP cache.
        client.goto(page).await?;
        client.execute_async(SETTLED, vec![]).await?;
        Ok((first, tap(&client).await?))
    })
    .await
}

/// A first visit tapped the moment the launcher shows.
async fn tap_at_first_sight(page: &str) -> Result<Tap> {
    in_phone(|client| async move {
        client.goto(page).await?;
        tap(&client).await
    })
    .await
}

/// Taps the launcher with a finger and waits for the panel.
async fn tap(client: &Client) -> Result<Tap> {
    let centre = browser::eventually("the launcher", || async {
        let found = client.execute(ARM_TAP, vec![]).await?;
        Ok(serde_json::from_value::<Option<(f64, f64)>>(found)?)
    })
    .await?;
    cdp::tap(client, centre.0, centre.1).await?;
    let figures = client.execute_async(TAP_RESULT, vec![]).await?;
    serde_json::from_value(figures).context("the tap's figures")
}

/// Runs `scenario` in a fresh browser set up as a slow phone, closing it afterwards.
async fn in_phone<T, F, Fut>(scenario: F) -> Result<T>
where
    F: FnOnce(Client) -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let browser = Browser::start().await?;
    let client = browser.client.clone();
    let outcome = async {
        cdp::phone(&client, 4.0).await?;
        cdp::slow_4g(&client).await?;
        scenario(client.clone()).await
    }
    .await;
    browser.close().await;
    outcome
}

fn print_blocking<'a>(label: &str, frames: impl Iterator<Item = &'a LongFrame>) {
    let (mut count, mut blocking, mut longest) = (0, 0.0, 0.0_f64);
    for frame in frames {
        count += 1;
        blocking += frame.blocking;
        longest = longest.max(frame.duration);
    }
    println!("{label:<38} {count} long frames (longest {longest:.0} ms), blocking {blocking:.0} ms");
}

fn print_taps(label: &str, mut taps: Vec<Tap>, note: &str) {
    let median = |values: &mut Vec<f64>| {
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    let mut frames: Vec<f64> = taps.iter().map(|t| t.frame).collect();
    let mut usable: Vec<f64> = taps.drain(..).map(|t| t.usable).collect();
    println!(
        "{label:<36} tap to frame {:.0} ms, tap to usable panel {:.0} ms (median of {TAPS}; {note})",
        median(&mut frames),
        median(&mut usable)
    );
}
