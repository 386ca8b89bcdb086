//! The `relay` command line as an operator uses it: the real binary, its exit codes and output,
//! with and without a server running on the same data dir.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly where it must not go on

mod support;

use std::process::{Command, Output};

use support::{relay, serve, stderr};

/// `relay agent add` on the data dir, with `extra` arguments after the usual ones.
fn add_agent(data: &str, store: &str, email: &str, password: &str, extra: &[&str]) -> Output {
    let args = ["--data-dir", data, "agent", "add", "--store", store, "--email", email, "--password", password];
    relay(&[&args[..], extra].concat())
}

/// `relay store set --key shop` on the data dir with `args`.
fn set_shop(data: &str, args: &[&str]) -> Output {
    relay(&[&["--data-dir", data, "store", "set", "--key", "shop"][..], args].concat())
}

#[tokio::test]
async fn stores_and_agents_are_managed_with_or_without_a_running_server() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    stores_and_agents_are_added_before_the_server_runs(data);

    // The server prints its URL; a second agent is added while it runs and can sign in at once.
    let (mut server, url) = serve(data).await;
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    store_settings_are_checked(data);
    let live = add_agent(data, "shop", "b@shop.test", "also long enough", &["--name", "Bea"]);
    assert!(live.status.success(), "{}", stderr(&live));
    let ws = format!("{}/ws/agent", url.replacen("http", "ws", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(ws).await.unwrap();
    use futures_util::{SinkExt, StreamExt};
    let login = r#"{"type":"login","email":"b@shop.test","password":"also long enough"}"#;
    socket.send(tokio_tungstenite::tungstenite::Message::text(login)).await.unwrap();
    let answer = socket.next().await.unwrap().unwrap().into_text().unwrap();
    assert!(answer.contains(r#""type":"agent_welcome""#) && answer.contains(r#""name":"Bea""#), "{answer}");

    // SIGTERM shuts it down cleanly.
    let pid = server.id().unwrap().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let status = tokio::time::timeout(std::time::Duration::from_secs(20), server.wait()).await.unwrap().unwrap();
    assert!(status.success(), "exit after SIGTERM: {status}");
}

/// Stores and agents made on a data dir no server has opened yet, and the mistakes refused.
fn stores_and_agents_are_added_before_the_server_runs(data: &str) {
    // The demo store exists in every data dir, even before the server first starts.
    let demo_agent = add_agent(data, "demo", "d@demo.test", "long enough", &[]);
    assert!(demo_agent.status.success(), "{}", stderr(&demo_agent));

    let made = relay(&[
        "--data-dir",
        data,
        "store",
        "add",
        "--key",
        "shop",
        "--name",
        "Shop",
        "--origin",
        "https://shop.example/",
    ]);
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(String::from_utf8_lossy(&made.stdout).contains("https://shop.example"));
    let again = relay(&["--data-dir", data, "store", "add", "--key", "shop", "--name", "Shop"]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
    let bad_origin =
        relay(&["store", "add", "--data-dir", data, "--key", "x", "--name", "X", "--origin", "shop.example/path"]);
    assert!(!bad_origin.status.success());
    assert!(stderr(&bad_origin).contains("is not an origin"), "{}", stderr(&bad_origin));
    let short = add_agent(data, "shop", "a@shop.test", "short", &[]);
    assert!(!short.status.success() && stderr(&short).contains("at least 8"));
    let no_store = add_agent(data, "nope", "a@shop.test", "long enough", &[]);
    assert!(!no_store.status.success() && stderr(&no_store).contains("no store"), "{}", stderr(&no_store));
    // --data-dir may also come after the subcommand.
    let agent = relay(&[
        "agent",
        "add",
        "--store",
        "shop",
        "--email",
        "a@shop.test",
        "--password",
        "long enough",
        "--data-dir",
        data,
    ]);
    assert!(agent.status.success(), "{}", stderr(&agent));
}

/// `relay store set` while the server runs: each setting said back, each bad value refused.
fn store_settings_are_checked(data: &str) {
    let set = set_shop(data, &["--first-reply-secs", "45"]);
    assert!(set.status.success(), "{}", stderr(&set));
    assert!(String::from_utf8_lossy(&set.stdout).contains("45 s"));
    let zero = set_shop(data, &["--first-reply-secs", "0"]);
    assert!(!zero.status.success(), "a zero deadline is refused");
    let unknown = relay(&["--data-dir", data, "store", "set", "--key", "nope", "--first-reply-secs", "30"]);
    assert!(!unknown.status.success() && stderr(&unknown).contains("no store"), "{}", stderr(&unknown));

    let hours = set_shop(data, &["--hours", "mon-fri 09:00-18:00", "--timezone", "Europe/Paris"]);
    assert!(hours.status.success(), "{}", stderr(&hours));
    assert!(String::from_utf8_lossy(&hours.stdout).contains("mon-fri 09:00-18:00 (Europe/Paris)"));
    let bad_zone = set_shop(data, &["--timezone", "Mars/Olympus"]);
    assert!(!bad_zone.status.success() && stderr(&bad_zone).contains("time zone"), "{}", stderr(&bad_zone));
    let bad_hours = set_shop(data, &["--hours", "weekdays 9-5"]);
    assert!(!bad_hours.status.success() && stderr(&bad_hours).contains("not a day"), "{}", stderr(&bad_hours));
    let look = set_shop(data, &["--colour", "#0A7D5A", "--position", "left"]);
    assert!(look.status.success(), "{}", stderr(&look));
    assert!(String::from_utf8_lossy(&look.stdout).contains("#0a7d5a"), "{}", String::from_utf8_lossy(&look.stdout));
    let bad_colour = set_shop(data, &["--colour", "red"]);
    assert!(!bad_colour.status.success() && stderr(&bad_colour).contains("not a colour"), "{}", stderr(&bad_colour));
}

#[tokio::test]
async fn the_identity_secret_is_shown_rotated_and_unsigned_identify_can_be_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let show = || relay(&["--data-dir", data, "store", "identity-secret", "--key", "demo"]);
    let first = show();
    assert!(first.status.success(), "{}", stderr(&first));
    let secret = String::from_utf8_lossy(&first.stdout).trim().to_owned();
    assert!(secret.len() == 64 && secret.chars().all(|c| c.is_ascii_hexdigit()), "{secret:?}");
    assert_eq!(String::from_utf8_lossy(&show().stdout).trim(), secret, "the same secret until rotated");
    let rotated = relay(&["--data-dir", data, "store", "identity-secret", "--key", "demo", "--rotate"]);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    let new = String::from_utf8_lossy(&rotated.stdout).trim().to_owned();
    assert!(new.len() == 64 && new != secret);
    assert_eq!(String::from_utf8_lossy(&show().stdout).trim(), new);
    let signed = relay(&["--data-dir", data, "store", "identity-secret", "--key", "demo", "--sign", "cust_1"]);
    assert_eq!(String::from_utf8_lossy(&signed.stdout).trim(), relay::auth::identity_signature(&new, "cust_1"));
    let unknown = relay(&["--data-dir", data, "store", "identity-secret", "--key", "nope"]);
    assert!(!unknown.status.success() && stderr(&unknown).contains("no store"), "{}", stderr(&unknown));

    let required = relay(&["--data-dir", data, "store", "set", "--key", "demo", "--require-identity", "true"]);
    assert!(required.status.success(), "{}", stderr(&required));
    assert!(String::from_utf8_lossy(&required.stdout).contains("verified identities only"));
    let bad = relay(&["--data-dir", data, "store", "set", "--key", "demo", "--require-identity", "maybe"]);
    assert!(!bad.status.success());
}

#[tokio::test]
async fn an_order_source_must_be_a_web_address_with_a_secret_and_not_private_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let set = |extra: &[&str]| {
        let mut args = vec!["--data-dir", data, "store", "set", "--key", "demo"];
        args.extend_from_slice(extra);
        relay(&args)
    };
    let secret = ["--order-source-secret", "a-long-enough-secret"];
    let ftp = set(&["--order-source-url", "ftp://shop.example/orders", secret[0], secret[1]]);
    assert!(!ftp.status.success() && stderr(&ftp).contains("only http and https"), "{}", stderr(&ftp));
    let loopback = set(&["--order-source-url", "http://127.0.0.1:9/orders", secret[0], secret[1]]);
    assert!(!loopback.status.success() && stderr(&loopback).contains("private address"), "{}", stderr(&loopback));
    let short = set(&["--order-source-url", "https://shop.example/orders", "--order-source-secret", "short"]);
    assert!(!short.status.success() && stderr(&short).contains("16 characters"), "{}", stderr(&short));
    let allowed = set(&[
        "--order-source-url",
        "http://127.0.0.1:9/orders",
        secret[0],
        secret[1],
        "--order-source-allow-private",
        "true",
    ]);
    assert!(allowed.status.success(), "{}", stderr(&allowed));
    assert!(String::from_utf8_lossy(&allowed.stdout).contains("http://127.0.0.1:9/orders (private addresses allowed)"));
    let off = set(&["--order-source-url", "off"]);
    assert!(
        off.status.success() && String::from_utf8_lossy(&off.stdout).contains("order source none"),
        "{}",
        stderr(&off)
    );
}
