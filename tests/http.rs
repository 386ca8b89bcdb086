//! The relay's HTTP surface as a browser meets it: health, the loader, the widget's files with
//! their types, encodings and cache headers, the storefront, and the widget's settings call.

mod common;

use std::io::Read;

use common::{http_get, TestRelay};

/// The loader must stay within 2 KB gzipped, the shop's JavaScript API included: it is on every
/// product page of every merchant.
const LOADER_GZIP_BUDGET: usize = 2_048;

#[tokio::test]
async fn health_and_storefront_answer() {
    let t = TestRelay::start().await;
    assert_eq!(http_get(&t.base, "/healthz", &[]).await.unwrap().status, 200);
    let page = http_get(&t.base, "/demo/", &[]).await.unwrap();
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    assert!(page.text().contains(r#"<script src="/widget.js" data-store="demo" async></script>"#));
    let css = http_get(&t.base, "/demo/store.css", &[]).await.unwrap();
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    let missing = http_get(&t.base, "/demo/nope.html", &[]).await.unwrap();
    assert_eq!(missing.status, 404);
    assert!(missing.text().contains("not_found"));
    t.stop().await;
}

#[tokio::test]
async fn the_favicon_is_there_and_the_consoles_first_look_is_not_an_error() {
    let t = TestRelay::start().await;
    for path in ["/favicon.ico", "/favicon.svg"] {
        let icon = http_get(&t.base, path, &[]).await.unwrap();
        assert_eq!((icon.status, icon.header("content-type")), (200, Some("image/svg+xml")), "{path}");
        assert!(icon.text().starts_with("<svg"));
    }
    // Before sign-in the console probes: 200 and `null`, nothing red in the browser's log.
    let probe = http_get(&t.base, "/api/session?probe=1", &[]).await.unwrap();
    assert_eq!((probe.status, probe.text().as_str()), (200, "null"));
    let plain = http_get(&t.base, "/api/session", &[]).await.unwrap();
    assert_eq!(plain.status, 401, "without the probe, no session is still 401");
    let stale = http_get(&t.base, "/api/session?probe=1", &[("Cookie", "parley_session=not-a-session")]).await.unwrap();
    assert_eq!((stale.status, stale.text().as_str()), (200, "null"), "an expired cookie is nobody");
    t.stop().await;
}

#[tokio::test]
async fn the_loader_is_small_compressed_and_briefly_cached() {
    let t = TestRelay::start().await;
    let plain = http_get(&t.base, "/widget.js", &[]).await.unwrap();
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-type"), Some("text/javascript; charset=utf-8"));
    assert_eq!(plain.header("cache-control"), Some("public, max-age=300"));
    assert!(!plain.text().contains("__PARLEY_JS__"), "the loader names the built widget (run cargo xtask build)");

    let gzipped = http_get(&t.base, "/widget.js", &[("Accept-Encoding", "gzip")]).await.unwrap();
    assert_eq!(gzipped.header("content-encoding"), Some("gzip"));
    println!("loader: {} bytes, {} gzipped", plain.body.len(), gzipped.body.len());
    assert!(
        gzipped.body.len() <= LOADER_GZIP_BUDGET,
        "the loader is {} bytes gzipped; the budget is {LOADER_GZIP_BUDGET}",
        gzipped.body.len()
    );
    let mut unpacked = Vec::new();
    flate2::read::GzDecoder::new(&gzipped.body[..]).read_to_end(&mut unpacked).unwrap();
    assert_eq!(unpacked, plain.body);
    t.stop().await;
}

#[tokio::test]
async fn widget_files_have_types_encodings_and_immutable_caching() {
    let t = TestRelay::start().await;
    let loader = http_get(&t.base, "/widget.js", &[]).await.unwrap().text();
    let wasm_name = loader
        .split(['\'', '"', '|'])
        .find(|part| part.ends_with("_bg.wasm"))
        .expect("the loader names the wasm file (run cargo xtask build)")
        .to_owned();
    let wasm = http_get(&t.base, &format!("/assets/{wasm_name}"), &[("Accept-Encoding", "gzip, br")]).await.unwrap();
    assert_eq!(wasm.status, 200);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(wasm.header("content-encoding"), Some("br"));
    assert_eq!(wasm.header("cache-control"), Some("public, max-age=31536000, immutable"));
    assert_eq!(wasm.header("access-control-allow-origin"), Some("*"), "storefronts on other origins load it");
    let identity = http_get(&t.base, &format!("/assets/{wasm_name}"), &[]).await.unwrap();
    assert_eq!(identity.header("content-encoding"), None);
    assert_eq!(&identity.body[..4], b"\0asm");
    assert!(wasm.body.len() < identity.body.len());
    t.stop().await;
}

#[tokio::test]
async fn widget_settings_are_given_only_to_allowed_origins() {
    let t = TestRelay::start().await;
    t.add_store("shop", &["https://shop.example"]).await;
    let allowed = http_get(&t.base, "/api/stores/shop/widget", &[("Origin", "https://shop.example")]).await.unwrap();
    assert_eq!(allowed.status, 200);
    assert_eq!(allowed.header("access-control-allow-origin"), Some("https://shop.example"));
    assert!(allowed.text().contains(r#""name":"Store shop""#));
    let foreign = http_get(&t.base, "/api/stores/shop/widget", &[("Origin", "https://evil.example")]).await.unwrap();
    assert_eq!(foreign.status, 403);
    assert!(foreign.text().contains("origin_not_allowed"));
    let unknown = http_get(&t.base, "/api/stores/nope/widget", &[]).await.unwrap();
    assert_eq!(unknown.status, 404);
    assert!(unknown.text().contains("unknown_store"));
    t.stop().await;
}

#[tokio::test]
async fn the_console_is_served_at_console_and_cannot_be_framed_or_run_foreign_scripts() {
    let built = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/web/console/index.html");
    assert!(built.exists(), "the console is not built: run `cargo xtask build` first");
    let t = TestRelay::start().await;
    let page = http_get(&t.base, "/console/", &[]).await.unwrap();
    assert_eq!(page.status, 200);
    assert!(page.header("content-type").unwrap().starts_with("text/html"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    let policy = page.header("content-security-policy").unwrap();
    assert!(policy.contains("'sha256-") && policy.contains("frame-ancestors 'none'"), "{policy}");
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(page.header("access-control-allow-origin").is_none());
    // Its script and wasm are there, cached for good under their hashed names.
    let text = page.text();
    let script = text.split("from '/console/").nth(1).and_then(|rest| rest.split('\'').next()).unwrap();
    let js = http_get(&t.base, &format!("/console/{script}"), &[]).await.unwrap();
    assert_eq!(js.status, 200);
    assert!(js.header("cache-control").unwrap().contains("immutable"));
    assert_eq!(http_get(&t.base, "/console/no-such-file.js", &[]).await.unwrap().status, 404);
    let bare = http_get(&t.base, "/console", &[]).await.unwrap();
    assert_eq!((bare.status, bare.header("location")), (308, Some("/console/")));
}
