//! What the command-line tests share: running the real `relay` binary, as a command or as a
//! server.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};

/// Runs `relay` with `args` to completion.
pub fn relay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_relay")).args(args).output().expect("running relay")
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Starts `relay` serving `data` on a free port; returns the process (killed when dropped) and
/// the URL it printed.
pub async fn serve(data: &str) -> (tokio::process::Child, String) {
    let mut server = tokio::process::Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(["--data-dir", data, "--listen", "127.0.0.1:0"])
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
