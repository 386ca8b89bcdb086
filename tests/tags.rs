//! Agents' tags on shoppers over the console's API: added, listed for autocomplete, removed,
//! bounded, kept on the customer across devices, used to filter the inbox, and never reachable
//! from another store.

mod common;

use common::console::{code, signed_in};
use common::TestRelay;
use parley::VisitorClient;
use protocol::{Identity, ServerFrame};
use serde_json::{json, Value};

/// A shopper's first message; returns its conversation's id.
async fn conversation_of(t: &TestRelay, identity: Option<Identity>, text: &str) -> i64 {
    let mut shopper = VisitorClient::connect_as(&t.base, "demo", None, None, 0, identity).await.unwrap();
    shopper.send("m1", text).await.unwrap();
    match shopper.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { .. })).await.unwrap() {
        ServerFrame::Accepted { conversation_id, .. } => conversation_id,
        _ => unreachable!(),
    }
}

fn tags(body: &[u8]) -> Vec<String> {
    let value: Value = serde_json::from_slice(body).unwrap();
    serde_json::from_value(value["tags"].clone()).unwrap()
}

fn ids(body: &[u8]) -> Vec<i64> {
    let value: Vec<Value> = serde_json::from_slice(body).unwrap();
    value.iter().map(|c| c["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn agents_tag_shoppers_and_filter_the_inbox_by_tag() {
    let t = TestRelay::start().await;
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    let secret = t.relay.state().store.identity_secret("demo", false).await.unwrap();
    let vip = Identity {
        id: "cust_1".into(),
        signature: Some(relay::auth::identity_signature(&secret, "cust_1")),
        ..Identity::default()
    };
    let first = conversation_of(&t, Some(vip.clone()), "Hello from my laptop").await;
    let other = conversation_of(&t, None, "Just looking").await;

    let path = format!("/api/stores/demo/conversations/{first}/tags");
    let added = admin.call("POST", &path, Some(json!({ "tag": " VIP " }))).await.unwrap();
    assert_eq!(added.status, 200, "{}", added.text());
    assert_eq!(tags(&added.body), vec!["VIP"]);
    let again = admin.call("POST", &path, Some(json!({ "tag": "vip" }))).await.unwrap();
    assert_eq!(tags(&again.body), vec!["VIP"], "the same tag in another case is not added twice");
    admin.call("POST", &path, Some(json!({ "tag": "wholesale" }))).await.unwrap();
    let empty = admin.call("POST", &path, Some(json!({ "tag": "  " }))).await.unwrap();
    assert_eq!((empty.status, code(&empty).as_str()), (400, "invalid_value"));
    let long = admin.call("POST", &path, Some(json!({ "tag": "x".repeat(41) }))).await.unwrap();
    assert_eq!(long.status, 400);

    // Autocomplete offers the store's tags.
    let listed = admin.call("GET", "/api/stores/demo/tags", None).await.unwrap();
    let mut offered = tags(&listed.body);
    offered.sort();
    assert_eq!(offered, vec!["VIP", "wholesale"]);

    // The customer's tags follow them to another device's conversation.
    let later = conversation_of(&t, Some(vip), "And now from my phone").await;
    let context = admin.call("GET", &format!("/api/stores/demo/conversations/{later}/context"), None).await.unwrap();
    let context: Value = serde_json::from_slice(&context.body).unwrap();
    assert_eq!(context["tags"], json!(["VIP", "wholesale"]));

    // The inbox filtered by tag.
    let filtered = admin.call("GET", "/api/stores/demo/conversations?tag=VIP", None).await.unwrap();
    let found = ids(&filtered.body);
    assert!(found.contains(&first) && !found.contains(&other), "{found:?}");

    let removed = admin.call("DELETE", &format!("{path}/wholesale"), None).await.unwrap();
    assert_eq!(tags(&removed.body), vec!["VIP"]);
}

#[tokio::test]
async fn tags_are_bounded_and_another_store_reaches_none() {
    let t = TestRelay::start().await;
    t.add_store("other", &[]).await;
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    let stranger = signed_in(&t, "other", "Eve", "owner").await;
    let conversation = conversation_of(&t, None, "Hi").await;
    let path = format!("/api/stores/demo/conversations/{conversation}/tags");
    for n in 0..relay::store::MAX_TAGS_PER_VISITOR {
        let added = admin.call("POST", &path, Some(json!({ "tag": format!("t{n}") }))).await.unwrap();
        assert_eq!(added.status, 200, "{}", added.text());
    }
    let over = admin.call("POST", &path, Some(json!({ "tag": "one more" }))).await.unwrap();
    assert_eq!((over.status, code(&over).as_str()), (400, "invalid_value"));

    let theirs = stranger.call("POST", &path, Some(json!({ "tag": "spam" }))).await.unwrap();
    assert!(theirs.status == 403 || theirs.status == 404, "{}", theirs.status);
    let own_path = format!("/api/stores/other/conversations/{conversation}/tags");
    let sideways = stranger.call("POST", &own_path, Some(json!({ "tag": "spam" }))).await.unwrap();
    assert_eq!(sideways.status, 404, "a conversation of another store is not found");
    let listed = stranger.call("GET", "/api/stores/other/tags", None).await.unwrap();
    assert!(tags(&listed.body).is_empty());
}
