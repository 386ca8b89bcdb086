//! `relay faq import` and `export` as a merchant uses them: the real binary, its exit codes and
//! output, a bad file that changes nothing, and a running relay that searches the new articles
//! without a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails loudly where it must not go on

mod support;

use std::time::{Duration, Instant};

use support::{relay, serve, stderr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The JSON body of `GET path` (responses here are small and not chunked).
async fn get_json(url: &str, path: &str) -> serde_json::Value {
    let authority = url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(authority).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let body = raw.windows(4).position(|w| w == b"\r\n\r\n").map(|at| &raw[at + 4..]).unwrap();
    serde_json::from_slice(body).unwrap_or_else(|e| panic!("{e}: {}", text(body)))
}

fn ids(results: &serde_json::Value) -> Vec<serde_json::Value> {
    results.as_array().unwrap().iter().map(|hit| hit["id"].clone()).collect()
}

#[tokio::test]
async fn an_import_is_all_or_nothing_and_a_running_relay_searches_it_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let (mut server, url) = serve(data).await;
    let add = relay(&["--data-dir", data, "store", "add", "--key", "tea", "--name", "Tea Shop"]);
    assert!(add.status.success(), "{}", stderr(&add));

    let file = dir.path().join("faq.json");
    std::fs::write(
        &file,
        r#"[{"id":"steep-1","question":"How long should green tea steep?","answer":"Two to three minutes at 80 °C.","category":"Brewing","tags":["brew","steeping time"]},
            {"id":42,"question":"Do you ship tea samples?","answer":"Yes, sample boxes ship worldwide.","category":"Shipping","tags":[],"supplier":"ignored"},
            {"question":"绿茶怎么泡？","answer":"80 度水泡两到三分钟。","category":"冲泡"}]"#,
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let imported = relay(&["--data-dir", data, "faq", "import", "--store", "tea", file]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(text(&imported.stdout).contains("imported 3 articles"), "{}", text(&imported.stdout));

    // The running relay follows the change (within a second or so); wait for it, then search.
    let started = Instant::now();
    let search = "/api/stores/tea/faq/search?q=green%20tea%20steeping&limit=2";
    let found = loop {
        let found = get_json(&url, search).await;
        if !found.as_array().unwrap().is_empty() || started.elapsed() > Duration::from_secs(10) {
            break found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!found.as_array().unwrap().is_empty(), "the running relay never saw the import");
    assert_eq!(ids(&found)[0], serde_json::json!("steep-1"));
    let hit = &found[0];
    assert_eq!(
        (hit["question"].as_str(), hit["category"].as_str()),
        (Some("How long should green tea steep?"), Some("Brewing"))
    );
    assert!(hit["snippet"].as_str().unwrap().starts_with("Two to three minutes"));
    assert!(hit["score"].as_f64().unwrap() > 0.0);
    let numbered = get_json(&url, "/api/stores/tea/faq/search?q=samples&limit=1").await;
    assert_eq!(ids(&numbered), [serde_json::json!(42)], "a numeric id comes back a number");

    // Bad files: each is refused whole with the place at fault, and nothing changes.
    let before = relay(&["--data-dir", data, "faq", "export", "--store", "tea"]);
    assert!(before.status.success());
    for (content, says) in [
        (r#"[{"question":"a","answer":"b"}"#, "not valid JSON"),
        (
            r#"[{"question":"New one","answer":"b"},{"answer":"no question"}]"#,
            "article 2: field \"question\" is missing",
        ),
        (
            r#"[{"id":7,"question":"x","answer":"y"},{"id":7,"question":"z","answer":"w"}]"#,
            "id 7 is already used by article 1",
        ),
    ] {
        std::fs::write(file, content).unwrap();
        let refused = relay(&["--data-dir", data, "faq", "import", "--store", "tea", file]);
        assert!(!refused.status.success(), "{content}");
        assert!(stderr(&refused).contains(says), "{}", stderr(&refused));
    }
    let after = relay(&["--data-dir", data, "faq", "export", "--store", "tea"]);
    assert_eq!(text(&after.stdout), text(&before.stdout), "a refused file changes nothing");
    let exported: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
    assert_eq!(exported.as_array().unwrap().len(), 3);

    let greeted = relay(&["--data-dir", data, "store", "set", "--key", "tea", "--greeting", "Welcome to Tea Shop!"]);
    assert!(greeted.status.success(), "{}", stderr(&greeted));
    assert!(text(&greeted.stdout).contains("greeting \"Welcome to Tea Shop!\""), "{}", text(&greeted.stdout));

    let unknown = relay(&["--data-dir", data, "faq", "import", "--store", "nope", file]);
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("no store has the key \"nope\""), "{}", stderr(&unknown));
    server.kill().await.unwrap();
}
