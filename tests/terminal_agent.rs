//! The terminal agent (`examples/agent.rs`) as a person uses it: the real program, reading its
//! standard output and typing on its standard input.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::TestRelay;
use parley::VisitorClient;
use protocol::{Role, ServerFrame};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;

fn within<F: std::future::Future>(f: F) -> tokio::time::Timeout<F> {
    tokio::time::timeout(Duration::from_secs(10), f)
}

/// `cargo test` builds the examples next to the test binaries' directory.
fn agent_program() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir.join("examples").join("agent")
}

#[tokio::test]
async fn the_terminal_agent_prints_shopper_messages_and_sends_typed_replies() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Ivy").await;
    let mut agent = Command::new(agent_program())
        .args(["--relay", &t.base, "--email", &email, "--password", &password])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the agent example is built by cargo test");
    let mut stdout = BufReader::new(agent.stdout.take().unwrap()).lines();
    let mut stderr = BufReader::new(agent.stderr.take().unwrap()).lines();
    let mut stdin = agent.stdin.take().unwrap();
    let signed_in = within(async {
        while let Some(line) = stderr.next_line().await.unwrap() {
            if line.starts_with("signed in as Ivy") {
                return;
            }
        }
    });
    signed_in.await.expect("the agent signs in");

    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("s1", "Where is my order?\nIt's #1042").await.unwrap();
    let line = within(stdout.next_line()).await.unwrap().unwrap().unwrap();
    let (id, rest) = line.strip_prefix('#').and_then(|l| l.split_once(' ')).expect("#ID visitor: text");
    assert_eq!(rest, format!("{}: Where is my order? ⏎ It's #1042", shopper.welcome.visitor_id));

    stdin.write_all(b"It ships today.\n").await.unwrap();
    let reply = |text: &'static str| move |f: &ServerFrame| matches!(f, ServerFrame::Message { message } if message.text == text && message.author.role == Role::Agent);
    shopper.socket.wait_for(reply("It ships today.")).await.unwrap();
    stdin.write_all(format!("/to {id} Tracking: LX123\n").as_bytes()).await.unwrap();
    shopper.socket.wait_for(reply("Tracking: LX123")).await.unwrap();

    // A second shopper: plain lines now go to them, the most recent.
    let mut second = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    second.send("s2", "Do you ship to Canada?").await.unwrap();
    let line = within(stdout.next_line()).await.unwrap().unwrap().unwrap();
    assert!(line.ends_with(": Do you ship to Canada?"), "{line}");
    stdin.write_all(b"Yes, in 5 days.\n").await.unwrap();
    second.socket.wait_for(reply("Yes, in 5 days.")).await.unwrap();

    // A private note is stored for the team, and echoed on standard error, not sent.
    stdin.write_all(format!("/note {id} Asked twice about #1042\n").as_bytes()).await.unwrap();
    let echoed = within(async {
        while let Some(line) = stderr.next_line().await.unwrap() {
            if line.contains("note by Ivy: Asked twice about #1042") {
                return;
            }
        }
    });
    echoed.await.expect("the note is echoed");
    let notes = t.relay.state().store.notes(id.parse().unwrap()).await.unwrap();
    assert_eq!(notes.len(), 1);

    agent.kill().await.unwrap();
    t.stop().await;
}

#[tokio::test]
async fn a_queued_conversation_assigned_at_sign_in_is_printed_with_its_history_within_capacity() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Jo").await;
    // Two shoppers write while nobody is online: both wait in the queue.
    let mut first = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    first.send("a", "Hello?").await.unwrap();
    first.send("b", "Anyone there?").await.unwrap();
    first.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { client_id, .. } if client_id == "b")).await.unwrap();
    let mut second = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    second.send("c", "Second shopper").await.unwrap();
    second.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();

    let mut agent = Command::new(agent_program())
        .args(["--relay", &t.base, "--email", &email, "--password", &password, "--capacity", "1"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(agent.stdout.take().unwrap()).lines();
    let one = within(stdout.next_line()).await.unwrap().unwrap().unwrap();
    let two = within(stdout.next_line()).await.unwrap().unwrap().unwrap();
    assert!(one.ends_with(": Hello?") && two.ends_with(": Anyone there?"), "{one} / {two}");
    // With capacity 1 the second shopper still waits, and is told so.
    let told = second.socket.wait_for(|f| matches!(f, ServerFrame::Attendance { queue_position: Some(1), .. })).await;
    assert!(told.is_ok());
    let nothing_more = tokio::time::timeout(Duration::from_millis(300), stdout.next_line()).await;
    assert!(nothing_more.is_err(), "the second conversation was not the agent's: {nothing_more:?}");
    agent.kill().await.unwrap();
    t.stop().await;
}
