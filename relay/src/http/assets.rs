//! Static files, embedded in the binary: the loader (`/widget.js`), the widget's hashed
//! wasm/JS/CSS (`/assets/…`) and the demo storefront (`/demo/…`).
//!
//! Everything is prepared once at start-up: the loader is filled in with the widget's hashed
//! file names (from the `manifest.json` that `cargo xtask build` writes), and each file gets its
//! gzip and brotli forms (precompressed by xtask at build time for the large widget files,
//! compressed here for the small ones). A request is then a lookup and a header choice.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use bytes::Bytes;
use rust_embed::RustEmbed;

use crate::error::Error;

#[derive(RustEmbed)]
#[folder = "../target/web/widget/"]
#[allow_missing = true]
struct WidgetDist;

#[derive(RustEmbed)]
#[folder = "../target/web/console/"]
#[allow_missing = true]
struct ConsoleDist;

#[derive(RustEmbed)]
#[folder = "../examples/storefront/"]
struct StorefrontFiles;

const LOADER_SOURCE: &str = include_str!("../../../widget/loader.js");

/// Hashed names change with their content: cache them for a year.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// The loader's URL is fixed in merchants' pages, so it must pick up new releases soon.
const SHORT: &str = "public, max-age=300";
/// Pages are always revalidated.
const REVALIDATE: &str = "no-cache";

/// One file, ready to send in every encoding the relay has for it.
struct Asset {
    content_type: HeaderValue,
    cache_control: &'static str,
    identity: Bytes,
    gzip: Option<Bytes>,
    brotli: Option<Bytes>,
}

/// Every static file the relay serves.
pub struct Assets {
    loader: Asset,
    widget: HashMap<String, Asset>,
    console: HashMap<String, Asset>,
    /// The console page's Content-Security-Policy (it allows the page's one inline script by hash).
    console_policy: HeaderValue,
    storefront: HashMap<String, Asset>,
}

impl Assets {
    /// Prepares the embedded files; logs a warning when the widget was not built into this binary.
    pub fn load() -> Assets {
        let widget = trunk_files::<WidgetDist>();
        let console = trunk_files::<ConsoleDist>();
        if !console.contains_key("index.html") {
            tracing::warn!("the console is not built into this relay; run `cargo xtask build`");
        }
        let storefront = StorefrontFiles::iter()
            .filter_map(|name| {
                let file = StorefrontFiles::get(&name)?;
                let asset = compressed(file.data.into_owned(), mime_of(file.metadata.mimetype()), REVALIDATE);
                Some((name.to_string(), asset))
            })
            .collect();
        let loader = render_loader(WidgetDist::get("manifest.json").map(|f| f.data.into_owned()));
        let loader = compressed(loader.into_bytes(), HeaderValue::from_static("text/javascript; charset=utf-8"), SHORT);
        let console_policy = content_policy(console.get("index.html").map(|a| &a.identity[..]).unwrap_or_default());
        Assets { loader, widget, console, console_policy, storefront }
    }

    /// The loader script exactly as served, before compression.
    pub fn loader_source(&self) -> &[u8] {
        &self.loader.identity
    }
}

/// The console's Content-Security-Policy: its own files only, the one inline script Trunk writes
/// (by its SHA-256), wasm compilation, sockets and calls to the relay itself, and no framing.
/// Should anything a shopper typed ever reach the page as markup, it could not run.
#[allow(clippy::expect_used)] // each expect states an invariant that holds
fn content_policy(page: &[u8]) -> HeaderValue {
    use base64::Engine;
    use sha2::Digest;
    let page = String::from_utf8_lossy(page);
    let hashes: Vec<String> = page
        .split("<script")
        .skip(1)
        .filter_map(|rest| {
            let (attributes, body) = rest.split_once('>')?;
            let body = body.split("</script>").next()?;
            (!attributes.contains("src=")).then(|| {
                let digest = sha2::Sha256::digest(body.as_bytes());
                format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest))
            })
        })
        .collect();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
        hashes.join(" ")
    );
    HeaderValue::from_str(&policy).expect("the policy is ASCII")
}

/// A Trunk build's files, each with the `.gz` and `.br` forms xtask wrote next to it.
fn trunk_files<E: RustEmbed>() -> HashMap<String, Asset> {
    let mut files = HashMap::new();
    for name in E::iter() {
        if name.ends_with(".gz") || name.ends_with(".br") {
            continue;
        }
        let Some(file) = E::get(&name) else { continue };
        let precompressed = |ext: &str| E::get(&format!("{name}.{ext}")).map(|f| Bytes::from(f.data.into_owned()));
        let (gzip, brotli) = (precompressed("gz"), precompressed("br"));
        let asset = Asset {
            content_type: mime_of(file.metadata.mimetype()),
            cache_control: if is_hashed(&name) { IMMUTABLE } else { REVALIDATE },
            identity: Bytes::from(file.data.into_owned()),
            gzip,
            brotli,
        };
        files.insert(name.to_string(), asset);
    }
    files
}

/// Fills the widget's hashed file names into the loader. Without a manifest the loader still
/// draws nothing and says in the browser console that the widget was not built.
fn render_loader(manifest: Option<Vec<u8>>) -> String {
    let manifest: serde_json::Value = manifest.and_then(|m| serde_json::from_slice(&m).ok()).unwrap_or_else(|| {
        tracing::warn!("the widget is not built into this relay; run `cargo xtask build`");
        serde_json::Value::Null
    });
    let name = |key: &str| manifest.get(key).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
    // `cargo xtask build` minifies the loader next to the widget; the source serves otherwise.
    let minified = WidgetDist::get("loader.min.js").and_then(|f| String::from_utf8(f.data.into_owned()).ok());
    minified
        .as_deref()
        .unwrap_or(LOADER_SOURCE)
        .replace("__PARLEY_JS__", &name("js"))
        .replace("__PARLEY_WASM__", &name("wasm"))
        .replace("__PARLEY_CSS__", &name("css"))
}

fn mime_of(mime: &str) -> HeaderValue {
    let with_charset = match mime {
        "text/html" | "text/css" | "text/javascript" | "application/javascript" | "image/svg+xml" => {
            format!("{mime}; charset=utf-8")
        }
        other => other.to_owned(),
    };
    HeaderValue::from_str(&with_charset).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

/// Trunk names built files `name-<hash>…`, the hash a 64-bit number in hex without leading
/// zeros (16 digits, sometimes fewer: `console-23020a68e9ae03f.js`).
fn is_hashed(name: &str) -> bool {
    name.split(['-', '_', '.'])
        .any(|part| (12..=16).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn compressed(data: Vec<u8>, content_type: HeaderValue, cache_control: &'static str) -> Asset {
    let compressible = !content_type.to_str().unwrap_or_default().starts_with("image/png");
    let (gzip, brotli) = if compressible { (Some(gzip(&data)), Some(brotli(&data))) } else { (None, None) };
    Asset { content_type, cache_control, identity: Bytes::from(data), gzip, brotli }
}

/// Gzip at the highest level (used for small files at start-up, and by the size test).
#[allow(clippy::expect_used)] // each expect states an invariant that holds
pub fn gzip(data: &[u8]) -> Bytes {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("writing to memory");
    Bytes::from(encoder.finish().expect("writing to memory"))
}

#[allow(clippy::expect_used)] // each expect states an invariant that holds
fn brotli(data: &[u8]) -> Bytes {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 9, ..Default::default() };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("writing to memory");
    Bytes::from(out)
}

/// Whether the client accepts an encoding (`Accept-Encoding`, with `;q=0` meaning no).
fn accepts(headers: &HeaderMap, encoding: &str) -> bool {
    let Some(accept) = headers.get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else { return false };
    accept.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        parts.next() == Some(encoding) && !parts.any(|p| p == "q=0" || p == "q=0.0")
    })
}

fn respond(asset: &Asset, headers: &HeaderMap) -> Response {
    let (body, encoding) = match (&asset.brotli, &asset.gzip) {
        (Some(br), _) if accepts(headers, "br") => (br.clone(), Some("br")),
        (_, Some(gz)) if accepts(headers, "gzip") => (gz.clone(), Some("gzip")),
        _ => (asset.identity.clone(), None),
    };
    let mut response = Response::new(Body::from(body));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, asset.content_type.clone());
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(asset.cache_control));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    // Storefronts on other origins import the widget's module and wasm: both need CORS.
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert("cross-origin-resource-policy", HeaderValue::from_static("cross-origin"));
    if let Some(encoding) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
    }
    response
}

fn not_found() -> Response {
    Error::not_found("no such file").into_response()
}

/// `GET /widget.js`: the loader merchants embed.
pub async fn loader(Extension(assets): Extension<Arc<Assets>>, headers: HeaderMap) -> Response {
    respond(&assets.loader, &headers)
}

/// `GET /assets/{path}`: the widget's built files.
pub async fn widget_file(
    Extension(assets): Extension<Arc<Assets>>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    match assets.widget.get(&path) {
        Some(asset) => respond(asset, &headers),
        None => not_found(),
    }
}

/// `GET /demo/`: the demo storefront's product page.
pub async fn storefront_index(Extension(assets): Extension<Arc<Assets>>, headers: HeaderMap) -> Response {
    match assets.storefront.get("index.html") {
        Some(asset) => respond(asset, &headers),
        None => not_found(),
    }
}

/// `GET /demo/{path}`: the storefront's other files.
pub async fn storefront_file(
    Extension(assets): Extension<Arc<Assets>>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    match assets.storefront.get(&path) {
        Some(asset) => respond(asset, &headers),
        None => not_found(),
    }
}

/// `GET /console/`: the agents' console. It may not be framed by other sites (clickjacking).
pub async fn console_index(Extension(assets): Extension<Arc<Assets>>, headers: HeaderMap) -> Response {
    match assets.console.get("index.html") {
        Some(asset) => {
            let mut response = respond(asset, &headers);
            let h = response.headers_mut();
            h.remove(header::ACCESS_CONTROL_ALLOW_ORIGIN);
            h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            h.insert(header::CONTENT_SECURITY_POLICY, assets.console_policy.clone());
            h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
            response
        }
        None => Error::not_found("the console is not built into this relay; run `cargo xtask build`").into_response(),
    }
}

/// `GET /console/{path}`: the console's hashed files.
pub async fn console_file(
    Extension(assets): Extension<Arc<Assets>>,
    Path(path): Path<String>,
    headers: HeaderMap,
) -> Response {
    match assets.console.get(&path) {
        Some(asset) if path != "index.html" => respond(asset, &headers),
        _ => not_found(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_policy_allows_its_inline_script_by_hash_only() {
        let page = b"<head><script type=\"module\">init();</script><script src=\"/x.js\"></script></head>";
        let policy = content_policy(page);
        let policy = policy.to_str().unwrap();
        // echo -n 'init();' | openssl dgst -sha256 -binary | base64
        assert!(policy.contains("'sha256-GEnM5q1nYY/iACnyMTdov+tNp9OFcBnnDgNXUXaVNXc='"), "{policy}");
        assert_eq!(policy.matches("'sha256-").count(), 1, "{policy}");
        assert!(!policy.contains("unsafe-inline") && policy.contains("frame-ancestors 'none'"), "{policy}");
    }

    #[test]
    fn hashed_names_are_recognised() {
        assert!(is_hashed("widget-3f9a0c1d2e4b5a6f_bg.wasm"));
        assert!(is_hashed("style-3f9a0c1d2e4b5a6f.css"));
        assert!(!is_hashed("manifest.json"));
        // Trunk drops leading zeros of the hash.
        assert!(is_hashed("console-23020a68e9ae03f.js"));
        assert!(!is_hashed("loader.min.js"));
    }

    #[test]
    fn accept_encoding_is_read_with_q_zero_as_refusal() {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, "gzip, deflate, br;q=0".parse().unwrap());
        assert!(accepts(&h, "gzip"));
        assert!(!accepts(&h, "br"));
    }
}
