//! Builds the widget (`target/web/widget/`) and the agents' console (`target/web/console/`) with
//! Trunk, then writes what the relay embeds next to them: for the widget `manifest.json` (the
//! hashed file names the loader needs), and for both `.gz`/`.br` copies of the JS, wasm and CSS,
//! compressed once here at the highest levels instead of on every request.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::run::run;
use crate::tools::Tools;

/// The widget's built files.
pub struct WidgetFiles {
    /// The wasm-bindgen JS module.
    pub js: PathBuf,
    /// The wasm.
    pub wasm: PathBuf,
    /// The stylesheet.
    pub css: PathBuf,
}

/// Where Trunk writes the widget (Trunk.toml's `dist`).
pub fn dist_dir(root: &Path) -> PathBuf {
    root.join("target/web/widget")
}

/// Where Trunk writes the console (console/Trunk.toml's `dist`).
pub fn console_dist_dir(root: &Path) -> PathBuf {
    root.join("target/web/console")
}

/// Runs Trunk for the widget and post-processes its output: the loader, not a page, loads it.
pub fn build(root: &Path, tools: &Tools) -> Result<WidgetFiles> {
    let dist = dist_dir(root);
    let files = trunk_build(root, tools, "Trunk.toml", &dist)?;
    let _ = std::fs::remove_file(dist.join("index.html"));
    let name = |p: &Path| p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let manifest = serde_json::json!({ "js": name(&files.js), "wasm": name(&files.wasm), "css": name(&files.css) });
    std::fs::write(dist.join("manifest.json"), serde_json::to_vec_pretty(&manifest)?)?;
    minify_loader(root, tools, &dist)?;
    Ok(files)
}

/// `loader.min.js` beside the widget: the loader as the relay serves it, minified by esbuild
/// (the source in `widget/loader.js` keeps its comments).
fn minify_loader(root: &Path, tools: &Tools, dist: &Path) -> Result<()> {
    let out = dist.join("loader.min.js");
    let mut esbuild = tools.command(tools.esbuild());
    esbuild.arg(root.join("widget/loader.js")).args([
        "--minify",
        "--target=es2020",
        "--charset=utf8",
        "--log-level=warning",
    ]);
    run(esbuild.arg(format!("--outfile={}", out.display())))
}

/// Runs Trunk for the agents' console; its `index.html` is the page at `/console/`.
pub fn build_console(root: &Path, tools: &Tools) -> Result<WidgetFiles> {
    trunk_build(root, tools, "console/Trunk.toml", &console_dist_dir(root))
}

/// One Trunk build, its JS glue and CSS minified, then `.gz` and `.br` copies of its JS, wasm
/// and CSS.
fn trunk_build(root: &Path, tools: &Tools, config: &str, dist: &Path) -> Result<WidgetFiles> {
    let mut trunk = tools.command("trunk");
    small_wasm(&mut trunk);
    run(trunk.current_dir(root).args(["build", "--release", "--config", config]))?;
    let files = find_files(dist)?;
    let (wasm, js) = (std::fs::read(&files.wasm)?, std::fs::read_to_string(&files.js)?);
    let (wasm, js) = crate::short_names::shorten(&wasm, &js).context("shortening the glue's names")?;
    std::fs::write(&files.wasm, wasm)?;
    std::fs::write(&files.js, js)?;
    // Trunk leaves wasm-bindgen's glue and the stylesheet as written: minified they are 2.3 KB
    // brotli less for the widget. In place, so the hashed names Trunk chose stay.
    for file in [&files.js, &files.css] {
        let mut esbuild = tools.command(tools.esbuild());
        esbuild.arg(file).args(["--minify", "--target=es2020", "--log-level=warning", "--allow-overwrite"]);
        run(esbuild.arg(format!("--outfile={}", file.display())))?;
    }
    for file in [&files.js, &files.wasm, &files.css] {
        let data = std::fs::read(file)?;
        std::fs::write(with_suffix(file, "gz"), gzip(&data))?;
        std::fs::write(with_suffix(file, "br"), brotli(&data))?;
    }
    Ok(files)
}

/// Builds the apps' wasm with the standard library recompiled for size: panics abort at once
/// (no message formatting or unwinding machinery), no file/line strings, `Debug` printing
/// nothing, and std's size-optimised algorithms. The widget is 17.5 KB brotli lighter for it
/// (151.3 -> 133.8). These are unstable options of the stable compiler (1.95 here), unlocked with
/// `RUSTC_BOOTSTRAP` for this build only; the host build and the tests never see them. So no
/// code in the apps may depend on `{:?}` output (names for keys and classes are written out).
fn small_wasm(trunk: &mut Command) {
    trunk
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_UNSTABLE_BUILD_STD", "std,panic_abort")
        .env("CARGO_UNSTABLE_BUILD_STD_FEATURES", "optimize_for_size")
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            "-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none -Zfmt-debug=none",
        );
}

/// Finds the built JS, wasm and CSS in a Trunk dist dir.
pub fn find_files(dist: &Path) -> Result<WidgetFiles> {
    let mut js = None;
    let mut wasm = None;
    let mut css = None;
    for entry in std::fs::read_dir(dist).with_context(|| format!("reading {}", dist.display()))? {
        let path = entry?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.ends_with("_bg.wasm") {
            wasm = Some(path);
        } else if name.ends_with(".js") && !name.starts_with("loader") {
            js = Some(path);
        } else if name.ends_with(".css") {
            css = Some(path);
        }
    }
    match (js, wasm, css) {
        (Some(js), Some(wasm), Some(css)) => Ok(WidgetFiles { js, wasm, css }),
        _ => bail!("{} lacks the widget's js, wasm or css; did trunk run?", dist.display()),
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// Gzip at level 9.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

/// Brotli at quality 11.
pub fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams { quality: 11, ..Default::default() };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("writing to memory");
    out
}
