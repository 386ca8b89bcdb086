//! Headless Chromium driven over WebDriver (Debian's chromium and chromedriver), for tests that
//! need a real page. The session is always closed and the driver always stopped, whether the
//! scenario passes or panics.

#![allow(dead_code)]

pub mod cdp;
pub mod console;

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use fantoccini::elements::{Element, ShadowRoot};
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// How long to wait for something to appear on the page.
pub const PATIENCE: Duration = Duration::from_secs(15);

/// A running chromedriver and one browser session on it.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn chromedriver() -> Result<String> {
    let path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
    if !std::path::Path::new(&path).exists() {
        bail!("chromedriver not found at {path}: `cargo xtask test` installs Debian's chromium-driver");
    }
    Ok(path)
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium with a fresh profile,
    /// preferring US English.
    pub async fn start() -> Result<Browser> {
        Browser::start_in("en-US").await
    }

    /// The same, with the browser preferring `language` (a BCP 47 tag: `zh-CN`, `ar`).
    pub async fn start_in(language: &str) -> Result<Browser> {
        let port = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0")?;
            probe.local_addr()?.port()
        };
        let mut driver = Command::new(chromedriver()?)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting chromedriver")?;
        let stdout = driver.stdout.take().context("chromedriver's stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        tokio::time::timeout(PATIENCE, async {
            while let Some(line) = lines.next_line().await? {
                if line.contains("started successfully") {
                    return Ok(());
                }
            }
            Err(anyhow!("chromedriver exited before it was ready"))
        })
        .await
        .context("chromedriver did not start")??;
        // Keep draining its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });

        let profile = tempfile::tempdir()?;
        let args = vec![
            "--headless".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            format!("--lang={language}"),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        let prefs = serde_json::json!({ "intl": { "accept_languages": language } });
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({ "binary": "/usr/bin/chromium", "args": args, "prefs": prefs }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .context("opening a Chromium session")?;
        Ok(Browser { client, driver, _profile: profile })
    }

    /// Closes the session and stops the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
    }
}

/// Runs a scenario in a fresh browser, closing it afterwards even when the scenario fails.
pub async fn with_browser<F, Fut>(scenario: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    with_browser_in("en-US", scenario).await
}

/// [`with_browser`] with the browser preferring `language`.
pub async fn with_browser_in<F, Fut>(language: &str, scenario: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let browser = Browser::start_in(language).await.expect("starting headless Chromium");
    let outcome = AssertUnwindSafe(scenario(browser.client.clone())).catch_unwind().await;
    browser.close().await;
    match outcome {
        Ok(result) => result.expect("browser scenario"),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// Retries `probe` until it yields a value or [`PATIENCE`] runs out. WebDriver offers no events
/// for DOM changes; each probe reads the page's current state.
pub async fn eventually<T, F, Fut>(what: &str, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let mut last_error = None;
    loop {
        match probe().await {
            Ok(Some(value)) => return Ok(value),
            Ok(None) => {}
            Err(e) => last_error = Some(e),
        }
        if tokio::time::Instant::now() > deadline {
            bail!("timed out waiting for {what} (last error: {last_error:?})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The widget's shadow root on the current page.
pub async fn widget_root(client: &Client) -> Result<ShadowRoot> {
    eventually("the widget's host element", || async {
        let host = client.find(Locator::Css("#parley-chat")).await?;
        Ok(Some(host.shadow_root().await?))
    })
    .await
}

/// An element inside the widget, once it exists.
pub async fn in_widget(client: &Client, css: &str) -> Result<Element> {
    eventually(css, || async {
        let root = widget_root(client).await?;
        Ok(root.find(Locator::Css(css)).await.ok())
    })
    .await
}

/// Clicks an element inside the widget, finding it again if it was replaced in between (the
/// widget swaps the loader's placeholder launcher for its own when it starts).
pub async fn click_in_widget(client: &Client, css: &str) -> Result<()> {
    eventually(&format!("a click on {css}"), || async {
        let element = in_widget(client, css).await?;
        Ok(element.click().await.ok())
    })
    .await
}

/// Runs JavaScript against the widget's shadow root (`root` in the script).
pub async fn widget_js(client: &Client, body: &str) -> Result<serde_json::Value> {
    let script = format!("const root = document.getElementById('parley-chat').shadowRoot; {body}");
    Ok(client.execute(&script, vec![]).await?)
}

/// Fails loudly when the widget was not built, instead of failing in a confusing way later.
pub fn require_built_widget() {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/web/widget/manifest.json");
    assert!(manifest.exists(), "the widget is not built: run `cargo xtask test` (or `cargo xtask build`) first");
}

/// Opens the chat panel from the launcher and waits until it is open.
pub async fn open_chat(client: &Client) -> Result<()> {
    click_in_widget(client, "button[aria-label='Open chat']").await?;
    // The widget's own launcher says so (the header's hidden Close button always exists).
    in_widget(client, "button.pl-launch[aria-expanded='true']").await?;
    Ok(())
}

/// Goes to the demo storefront at `base`, opens the chat and gives its message box: where most
/// shopper scenarios start.
pub async fn chat_on_demo(client: &Client, base: &str) -> Result<Element> {
    client.goto(&format!("{base}/demo/")).await?;
    open_chat(client).await?;
    in_widget(client, "textarea[aria-label='Message']").await
}

/// Saves a PNG of the page to `$PARLEY_SCREENSHOTS/NAME.png` when that variable is set.
pub async fn save_screenshot(client: &Client, name: &str) -> Result<()> {
    if let Some(dir) = std::env::var_os("PARLEY_SCREENSHOTS") {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), client.screenshot().await?)?;
    }
    Ok(())
}

/// Runs axe-core (its `axe.min.js` at `$PARLEY_AXE`, which `cargo xtask test` installs) on the
/// page's `scope` element (the widget's host, whose shadow root axe enters, or the console's
/// root) and fails on any serious or critical violation, naming each rule and the elements.
pub async fn assert_accessible(client: &Client, scope: &str, state: &str) -> Result<()> {
    let path = std::env::var("PARLEY_AXE").context("PARLEY_AXE is not set: run `cargo xtask test`")?;
    let source = std::fs::read_to_string(&path).with_context(|| format!("reading axe-core at {path}"))?;
    let loaded = client.execute("return !!window.axe;", vec![]).await?;
    if loaded != serde_json::Value::Bool(true) {
        client.execute(&format!("{source}\nreturn true;"), vec![]).await?;
    }
    let script = "const [scope, done] = arguments; \
        axe.run(document.querySelector(scope), { resultTypes: ['violations'] }).then(r => done( \
          r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical') \
            .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => JSON.stringify(n.target)).join(', ')))) \
        .catch(e => done(['axe failed: ' + e]));";
    let found = client.execute_async(script, vec![serde_json::Value::String(scope.into())]).await?;
    let violations: Vec<String> = serde_json::from_value(found)?;
    if !violations.is_empty() {
        bail!("axe-core found serious problems in {state}:\n{}", violations.join("\n"));
    }
    Ok(())
}
