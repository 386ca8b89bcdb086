//! What the command-line tests share: running the real `relay` binary, as a command or as a
//! server.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

/// Runs `relay` with `args` to completion.
#[allow(dead_code)] // not every test binary runs commands
pub fn relay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relay")).args(args).output().expect("running relay")
}

/// Standard error as text.
#[allow(dead_code)]
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Starts `relay` serving `data` on a free port; returns the process (killed when dropped) and
/// the URL it printed.
#[allow(dead_code)]
pub async fn serve(data: &str) -> (tokio::process::Child, String) {
    serve_with(data, &[]).await
}

/// [`serve`] with extra arguments (limits, say).
pub async fn serve_with(data: &str, extra: &[&str]) -> (tokio::process::Child, String) {
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["--data-dir", data, "--listen", "127.0.0.1:0"])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("starting relay");
    let mut lines = BufReader::new(server.stdout.take().expect("piped stdout")).lines();
    let first = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("the relay printed in time")
        .expect("reading its output")
        .expect("a first line");
    let url = first.strip_prefix("relay listening on ").expect("the URL is printed").to_owned();
    // Keep reading what it prints, so it never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (server, url)
}
