//! The database's write-ahead log stays short while writes keep coming: the writer thread
//! checkpoints between its batches, so the log restarts from its beginning instead of growing
//! with everything written. (Checkpointed only from another connection, it never caught up
//! with commits that follow each other without a pause: it reached a gigabyte in a minute of
//! load, and every page lookup slowed down with it.)

mod common;

use common::{on_postgres, TestRelay};
use parley::VisitorClient;
use protocol::{Role, ServerFrame};
use relay::store::NewMessage;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_write_ahead_log_stays_short_under_back_to_back_commits() {
    if on_postgres("SQLite's write-ahead log") {
        return;
    }
    let t = TestRelay::start().await;
    let store = t.relay.state().store.clone();
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("open", "Hello").await.unwrap();
    let ServerFrame::Accepted { conversation_id, .. } =
        shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap()
    else {
        unreachable!()
    };
    let visitor = shopper.welcome.visitor_id.clone();

    // Writers that always have a message waiting: the writer thread commits back to back.
    let (writers, each) = (64, 300);
    let text = "Do you ship to Norway? I would like to order the linen lamp in sand.";
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let (store, visitor) = (store.clone(), visitor.clone());
            tokio::spawn(async move {
                for n in 0..each {
                    let client_id = format!("w{w}n{n}");
                    let new = NewMessage {
                        role: Role::Visitor,
                        author_id: &visitor,
                        author_name: None,
                        text,
                        client_id: Some(&client_id),
                        faq_article: None,
                        faq_choices: &[],
                    };
                    store.append_message(conversation_id, &new).await.unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let wal = t.data_dir().join("relay.db-wal");
    let size = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let written = writers * each;
    eprintln!("{written} messages, write-ahead log {size} bytes");
    assert!(size < 48 << 20, "{size} bytes of log after {written} messages");
}
