//! Shoppers' data on request from the command line (`relay visitor export|delete`), the
//! retention setting, and log lines that strangers cannot forge.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly where it must not go on

mod support;

use std::process::Stdio;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use support::{relay, stderr};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_tungstenite::tungstenite::Message;

/// A shopper of the demo store (nobody online) who asks something and leaves their email.
async fn shopper_leaves_an_email(base: &str, email: &str) -> String {
    let url = format!("{}/ws/visitor?store=demo", base.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let send = |frame: Value| Message::text(frame.to_string());
    socket.send(send(json!({ "type": "hello", "last_seq": 0 }))).await.unwrap();
    socket
        .send(send(json!({ "type": "send", "client_id": "c1", "text": "my parcel never came, 12 Baker St" })))
        .await
        .unwrap();
    let mut visitor = String::new();
    let mut asked = false;
    while let Some(Ok(message)) = socket.next().await {
        let Message::Text(text) = message else { continue };
        let frame: Value = serde_json::from_str(&text).unwrap();
        match frame["type"].as_str() {
            Some("visitor_welcome") => visitor = frame["visitor_id"].as_str().unwrap().to_owned(),
            Some("message") if frame["message"]["author"]["role"] == "bot" && !asked => {
                asked = true;
                socket.send(send(json!({ "type": "send", "client_id": "c2", "text": email }))).await.unwrap();
            }
            Some("message") if asked && frame["message"]["text"].as_str().is_some_and(|t| t.contains(email)) => break,
            _ => {}
        }
    }
    visitor
}

#[tokio::test]
async fn a_shoppers_data_is_exported_and_deleted_by_visitor_or_email() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let (server, base) = support::serve(data).await;
    let visitor = shopper_leaves_an_email(&base, "li.wei@shop.example").await;
    let other = shopper_leaves_an_email(&base, "someone@else.example").await;
    drop(server);

    let export = relay(&["--data-dir", data, "visitor", "export", "--store", "demo", "--email", "LI.WEI@shop.example"]);
    assert!(export.status.success(), "{}", stderr(&export));
    let held: Value = serde_json::from_slice(&export.stdout).unwrap();
    let visitors = held["visitors"].as_array().unwrap();
    assert_eq!(visitors.len(), 1);
    assert_eq!(visitors[0]["visitor"]["id"], visitor.as_str());
    assert_eq!(visitors[0]["emails"], json!(["li.wei@shop.example"]));
    let texts: Vec<&str> = visitors[0]["conversations"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["text"].as_str())
        .collect();
    assert!(texts.contains(&"my parcel never came, 12 Baker St"), "{texts:?}");

    // A visitor id may begin with '-': both `--visitor=ID` and `--visitor ID` take it.
    let by_id = relay(&["--data-dir", data, "visitor", "export", "--store", "demo", &format!("--visitor={visitor}")]);
    assert!(by_id.status.success(), "{}", stderr(&by_id));
    assert_eq!(serde_json::from_slice::<Value>(&by_id.stdout).unwrap(), held, "the same shopper either way");

    let deleted = relay(&["--data-dir", data, "visitor", "delete", "--store", "demo", &format!("--visitor={visitor}")]);
    assert!(deleted.status.success(), "{}", stderr(&deleted));
    assert_eq!(String::from_utf8_lossy(&deleted.stdout).trim(), "deleted 1 visitor(s) and 1 conversation(s)");
    assert!(stderr(&deleted).contains("deleted a shopper's data"), "the deletion is logged");
    let after = relay(&["--data-dir", data, "visitor", "export", "--store", "demo", &format!("--visitor={visitor}")]);
    assert_eq!(serde_json::from_slice::<Value>(&after.stdout).unwrap()["visitors"], json!([]));
    let dashed = relay(&["--data-dir", data, "visitor", "export", "--store", "demo", "--visitor", "-no-such-id"]);
    assert!(dashed.status.success(), "an id that starts with '-' is a value: {}", stderr(&dashed));
    assert_eq!(serde_json::from_slice::<Value>(&dashed.stdout).unwrap()["visitors"], json!([]));
    let kept = relay(&["--data-dir", data, "visitor", "export", "--store", "demo", "--visitor", &other]);
    assert_eq!(serde_json::from_slice::<Value>(&kept.stdout).unwrap()["visitors"].as_array().unwrap().len(), 1);

    let neither = relay(&["--data-dir", data, "visitor", "export", "--store", "demo"]);
    assert!(!neither.status.success());
    let retention = relay(&["--data-dir", data, "store", "set", "--key", "demo", "--retention-days", "30"]);
    assert_eq!(
        String::from_utf8_lossy(&retention.stdout).trim(),
        "store \"demo\": conversations kept 30 days after their last message"
    );
    let bad = relay(&["--data-dir", data, "store", "set", "--key", "demo", "--retention-days", "0"]);
    assert!(!bad.status.success() && stderr(&bad).contains("from 1 to 36500"), "{}", stderr(&bad));
}

#[tokio::test]
async fn a_newline_in_a_sign_in_email_cannot_forge_a_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["--data-dir", data.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut out = BufReader::new(server.stdout.take().unwrap()).lines();
    let first = out.next_line().await.unwrap().unwrap();
    let base = first.strip_prefix("relay listening on ").unwrap().to_owned();
    let url = format!("{}/ws/agent", base.replace("http://", "ws://"));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let forged = "x@y.test\n2026-12-01T00:00:00Z  INFO agent signed in agent=\"boss@shop.test\"\u{1b}[2J";
    let login = json!({ "type": "login", "email": forged, "password": "whatever" });
    socket.send(Message::text(login.to_string())).await.unwrap();
    // The refusal comes after the failure was logged.
    while let Some(Ok(message)) = socket.next().await {
        if matches!(message, Message::Text(ref t) if t.contains("bad_credentials")) {
            break;
        }
    }
    let mut err = BufReader::new(server.stderr.take().unwrap()).lines();
    let mut failed = None;
    while let Ok(Ok(Some(line))) = tokio::time::timeout(Duration::from_secs(10), err.next_line()).await {
        assert!(!line.starts_with("2026-12-01T00:00:00Z"), "a forged line: {line}");
        if line.contains("failed agent sign-in") {
            failed = Some(line);
            break;
        }
    }
    let failed = failed.expect("the failure is logged");
    assert!(failed.contains("\\n2026-12-01") && !failed.contains('\u{1b}'), "escaped in its own line: {failed}");
}
