//! What the relay keeps of a shopper, and who may see it: the data dir private to the relay's
//! user, an owner's export and deletion of one shopper's data (and nobody else's), and the
//! retention period that deletes old conversations.

mod common;

use common::console::{signed_in, Console};
use common::TestRelay;
use parley::VisitorClient;
use protocol::ServerFrame;

#[tokio::test]
async fn the_data_dir_is_private_to_the_relays_user() {
    if common::on_postgres("the SQLite files' permissions") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let t = TestRelay::start_on(&data).await;
    let mode = |name: &str| std::fs::metadata(data.join(name)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(""), 0o700, "an existing loose dir is tightened");
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("c1", "hello").await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    for file in ["relay.db", "relay.db-wal", "relay.db-shm"] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
    t.stop().await;
}

#[tokio::test]
async fn owners_export_and_delete_a_shoppers_data_and_nobody_else_may() {
    let t = TestRelay::start().await;
    t.add_store("other", &[]).await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("c1", "my address is 1 Rue de la Paix").await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let visitor = shopper.welcome.visitor_id.clone();
    let owner = signed_in(&t, "demo", "Oona", "owner").await;
    let admin = signed_in(&t, "demo", "Al", "admin").await;
    let stranger = signed_in(&t, "other", "Xi", "owner").await;
    let export = format!("/api/stores/demo/visitors/{visitor}/export");
    assert_eq!(status(&admin, "GET", &export).await, 403, "owners only");
    assert_eq!(status(&Console::new(&t.base), "GET", &export).await, 401);
    let foreign = format!("/api/stores/other/visitors/{visitor}/export");
    assert_eq!(status(&stranger, "GET", &foreign).await, 404, "another store's owner finds nothing");
    let exported = owner.call("GET", &export, None).await.unwrap();
    assert_eq!(exported.status, 200);
    assert!(exported.text().contains("1 Rue de la Paix"), "{}", exported.text());
    let delete = format!("/api/stores/demo/visitors/{visitor}");
    assert_eq!(status(&admin, "DELETE", &delete).await, 403);
    assert_eq!(status(&owner, "DELETE", &delete).await, 204);
    shopper.socket.wait_for_close().await.unwrap();
    assert_eq!(status(&owner, "GET", &export).await, 404, "nothing is left");
    t.stop().await;
}

#[tokio::test]
async fn conversations_past_the_retention_period_are_deleted() {
    let t = TestRelay::start().await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("c1", "hello").await.unwrap();
    shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap();
    let store = &t.relay.state().store;
    let now = relay::store::now_millis();
    let day = 24 * 60 * 60 * 1000;
    assert_eq!(store.apply_retention(now + 400 * day).await.unwrap(), 0, "off by default");
    store.set_retention_days("demo", Some(30)).await.unwrap();
    assert_eq!(store.apply_retention(now + 29 * day).await.unwrap(), 0, "not yet");
    assert_eq!(store.apply_retention(now + 31 * day).await.unwrap(), 1);
    let exported = store.export_visitor(&shopper.welcome.visitor_id).await.unwrap();
    assert!(exported.is_null() || exported["conversations"].as_array().unwrap().is_empty(), "{exported}");
    drop(shopper);
    t.stop().await;
}

/// The HTTP status `console` gets for `method path`.
async fn status(console: &Console, method: &str, path: &str) -> u16 {
    console.call(method, path, None).await.unwrap().status
}
