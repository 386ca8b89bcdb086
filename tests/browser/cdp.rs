//! Chrome DevTools Protocol commands sent through chromedriver's `goog/cdp/execute` endpoint,
//! for what WebDriver itself cannot do: slow the CPU and the network down, emulate a phone's
//! screen and touch, block a URL, tap with a finger.

use anyhow::{Context, Result};
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::Client;
use serde_json::{json, Value};

/// One CDP command as a WebDriver request.
#[derive(Debug)]
struct Command {
    method: String,
    params: Value,
}

impl WebDriverCompatibleCommand for Command {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.method, "params": self.params }).to_string()))
    }
}

/// Sends `method` with `params` to the current page and returns CDP's answer.
pub async fn send(client: &Client, method: &str, params: Value) -> Result<Value> {
    let command = Command { method: method.to_owned(), params };
    client.issue_cmd(command).await.with_context(|| format!("CDP {method}"))
}

/// Lighthouse's "slow 4G" as DevTools applies it: 562.5 ms round trips, 1.6 Mbit/s down and
/// 750 kbit/s up, each scaled by 0.9.
pub async fn slow_4g(client: &Client) -> Result<()> {
    send(client, "Network.enable", json!({})).await?;
    let params = json!({
        "offline": false,
        "latency": 562.5,
        "downloadThroughput": 1.6 * 1024.0 * 1024.0 / 8.0 * 0.9,
        "uploadThroughput": 750.0 * 1024.0 / 8.0 * 0.9,
    });
    send(client, "Network.emulateNetworkConditions", params).await?;
    Ok(())
}

/// A mid-range phone: the main thread `rate` times slower, a 390×844 touch screen.
pub async fn phone(client: &Client, rate: f64) -> Result<()> {
    send(client, "Emulation.setCPUThrottlingRate", json!({ "rate": rate })).await?;
    let screen = json!({ "width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": true });
    send(client, "Emulation.setDeviceMetricsOverride", screen).await?;
    send(client, "Emulation.setTouchEmulationEnabled", json!({ "enabled": true, "maxTouchPoints": 5 })).await?;
    Ok(())
}

/// Makes requests to URLs matching any of `patterns` (`*` wildcards) fail.
pub async fn block(client: &Client, patterns: &[&str]) -> Result<()> {
    send(client, "Network.enable", json!({})).await?;
    send(client, "Network.setBlockedURLs", json!({ "urls": patterns })).await?;
    Ok(())
}

/// A real finger tap at page coordinates (x, y): touchstart, then touchend.
pub async fn tap(client: &Client, x: f64, y: f64) -> Result<()> {
    let point = json!([{ "x": x, "y": y }]);
    send(client, "Input.dispatchTouchEvent", json!({ "type": "touchStart", "touchPoints": point })).await?;
    send(client, "Input.dispatchTouchEvent", json!({ "type": "touchEnd", "touchPoints": [] })).await?;
    Ok(())
}
