//! The browser apps are built with `-Zfmt-debug=none` (xtask/src/widget.rs, `small_wasm`): in
//! the widget and the console `{:?}` prints nothing. Host tests cannot see that, so this one
//! reads the code those builds compile and fails on any `Debug` formatting outside tests and
//! assertions: a list key or a message built that way would be empty in the browser only.

use std::path::Path;

/// The crates compiled into the widget or the console.
const BROWSER_CRATES: [&str; 6] = ["widget", "console", "chat-model", "browser-socket", "protocol", "catalog"];

/// Lines of `source` outside its tests that format with `Debug`.
fn debug_formatting(source: &str) -> Vec<(usize, String)> {
    source
        .lines()
        .take_while(|line| line.trim() != "#[cfg(test)]")
        .enumerate()
        .filter(|(_, line)| {
            let formats = line.contains(":?}") || line.contains(":#?}") || line.contains("dbg!(");
            formats && !line.contains("assert")
        })
        .map(|(n, line)| (n + 1, line.trim().to_owned()))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())) {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("tests.rs") {
            out.push(path);
        }
    }
}

#[test]
fn code_in_the_browser_builds_takes_no_text_from_debug_formatting() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for krate in BROWSER_CRATES {
        rust_files(&root.join(krate).join("src"), &mut files);
    }
    assert!(files.len() > 40, "found only {} files; did the crates move?", files.len());
    let found: Vec<String> = files
        .iter()
        .flat_map(|path| {
            let source = std::fs::read_to_string(path).expect("readable source");
            debug_formatting(&source).into_iter().map(move |(n, line)| format!("{}:{n}: {line}", path.display()))
        })
        .collect();
    assert!(
        found.is_empty(),
        "Debug formatting prints nothing in the browser builds; write the text out:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_debug_formatting_and_passes_over_tests() {
    let source =
        "let key = format!(\"{}-{:?}\", a, b);\nlet ok = format!(\"{a}\");\n#[cfg(test)]\nlet t = format!(\"{x:?}\");";
    assert_eq!(debug_formatting(source), vec![(1, "let key = format!(\"{}-{:?}\", a, b);".to_owned())]);
}
