//! Verified identity: a signed `identify` makes every browser of a customer one visitor with one
//! history; a wrong or missing signature leaves the visitor anonymous with a clear error; a
//! browser that was one customer never shows their conversations to anyone else.

mod common;

use std::collections::BTreeMap;

use common::TestRelay;
use parley::VisitorClient;
use protocol::{ErrorCode, Identity, ServerFrame, VisitorFrame};
use relay::auth::identity_signature;

async fn secret(t: &TestRelay) -> String {
    t.relay.state().store.identity_secret("demo", false).await.unwrap()
}

fn signed(secret: &str, id: &str) -> Identity {
    Identity {
        id: id.into(),
        email: Some(format!("{id}@example.com")),
        name: Some(format!("Customer {id}")),
        signature: Some(identity_signature(secret, id)),
    }
}

async fn visit(t: &TestRelay, token: Option<String>, identity: Option<Identity>) -> VisitorClient {
    VisitorClient::connect_as(&t.base, "demo", None, token, 0, identity).await.unwrap()
}

/// The code of the next `error` frame (frames before the welcome are kept for this).
async fn error_code(client: &mut VisitorClient) -> ErrorCode {
    match client.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap() {
        ServerFrame::Error { code, .. } => code,
        _ => unreachable!(),
    }
}

/// Sends a message and waits until it is stored.
async fn say(client: &mut VisitorClient, id: &str, text: &str) {
    client.send(id, text).await.unwrap();
    client.socket.wait_for(|f| matches!(f, ServerFrame::Accepted { client_id, .. } if client_id == id)).await.unwrap();
}

/// The texts of the `history` frame a welcome with a conversation is followed by.
async fn history_texts(client: &mut VisitorClient) -> Vec<String> {
    match client.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await.unwrap() {
        ServerFrame::History { messages, .. } => messages.into_iter().map(|m| m.text).collect(),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn one_customer_in_two_browsers_sees_one_history() {
    let t = TestRelay::start().await;
    let secret = secret(&t).await;
    let mut laptop = visit(&t, None, Some(signed(&secret, "cust_1"))).await;
    assert_eq!(laptop.welcome.customer_id.as_deref(), Some("cust_1"));
    say(&mut laptop, "m1", "Where is my order?").await;

    let mut phone = visit(&t, None, Some(signed(&secret, "cust_1"))).await;
    assert_eq!(phone.welcome.visitor_id, laptop.welcome.visitor_id, "both devices are the customer's visitor");
    assert!(phone.welcome.conversation_id.is_some(), "the laptop's conversation is the phone's");
    assert_eq!(history_texts(&mut phone).await.first().map(String::as_str), Some("Where is my order?"));

    let store = &t.relay.state().store;
    let customer = store.customer(&phone.welcome.visitor_id).await.unwrap().unwrap();
    assert_eq!(customer.email.as_deref(), Some("cust_1@example.com"));
    assert_eq!(customer.name.as_deref(), Some("Customer cust_1"));
}

#[tokio::test]
async fn an_anonymous_chat_carries_over_when_the_shopper_signs_in() {
    let t = TestRelay::start().await;
    let secret = secret(&t).await;
    let mut anonymous = visit(&t, None, None).await;
    say(&mut anonymous, "m1", "Do you ship to Norway?").await;
    let token = anonymous.welcome.token.clone();
    let mut signed_in = visit(&t, Some(token), Some(signed(&secret, "cust_7"))).await;
    assert_eq!(signed_in.welcome.visitor_id, anonymous.welcome.visitor_id);
    assert_eq!(history_texts(&mut signed_in).await.first().map(String::as_str), Some("Do you ship to Norway?"));
}

#[tokio::test]
async fn a_wrong_signature_leaves_the_visitor_anonymous_and_shows_nothing_of_the_customer() {
    let t = TestRelay::start().await;
    let secret = secret(&t).await;
    let mut real = visit(&t, None, Some(signed(&secret, "cust_1"))).await;
    say(&mut real, "m1", "My address is 12 Rue de Rivoli").await;

    // Someone claims to be cust_1 with a signature made under another secret.
    let forged = Identity { signature: Some(identity_signature("guessed", "cust_1")), ..signed(&secret, "cust_1") };
    let mut mallory = visit(&t, None, Some(forged.clone())).await;
    assert_eq!(error_code(&mut mallory).await, ErrorCode::BadSignature);
    assert_eq!(mallory.welcome.customer_id, None);
    assert_ne!(mallory.welcome.visitor_id, real.welcome.visitor_id);
    assert_eq!(mallory.welcome.conversation_id, None);

    // Even on the customer's own browser, a failing identity does not continue as them.
    let mut same_browser = visit(&t, Some(real.welcome.token.clone()), Some(forged)).await;
    assert_eq!(error_code(&mut same_browser).await, ErrorCode::BadSignature);
    assert_ne!(same_browser.welcome.visitor_id, real.welcome.visitor_id);
    assert_eq!(same_browser.welcome.conversation_id, None);
}

#[tokio::test]
async fn a_missing_signature_is_kept_as_unverified_unless_the_store_requires_one() {
    let t = TestRelay::start().await;
    let store = &t.relay.state().store;
    let unsigned = Identity { signature: None, ..signed("", "cust_2") };
    let mut shopper = visit(&t, None, Some(unsigned.clone())).await;
    assert_eq!(error_code(&mut shopper).await, ErrorCode::BadSignature);
    assert_eq!(shopper.welcome.customer_id, None);
    let claimed = store.claimed_contact(&shopper.welcome.visitor_id).await.unwrap();
    assert_eq!(claimed.0.as_deref(), Some("cust_2@example.com"));
    assert_eq!(store.customer(&shopper.welcome.visitor_id).await.unwrap(), None);

    store.set_require_identity("demo", true).await.unwrap();
    let mut refused = visit(&t, None, Some(unsigned)).await;
    assert_eq!(error_code(&mut refused).await, ErrorCode::IdentityRequired);
    assert_eq!(refused.welcome.customer_id, None);
    assert_eq!(store.claimed_contact(&refused.welcome.visitor_id).await.unwrap(), (None, None));
    // A signed identify still works.
    let secret = secret(&t).await;
    let good = visit(&t, None, Some(signed(&secret, "cust_2"))).await;
    assert_eq!(good.welcome.customer_id.as_deref(), Some("cust_2"));
}

#[tokio::test]
async fn switching_customers_on_one_browser_without_reset_leaks_nothing() {
    let t = TestRelay::start().await;
    let secret = secret(&t).await;
    let mut alice = visit(&t, None, Some(signed(&secret, "alice"))).await;
    say(&mut alice, "m1", "Please change my delivery address").await;
    // The shop forgot reset(): the browser still holds Alice's token when Bob signs in.
    let mut bob = visit(&t, Some(alice.welcome.token.clone()), Some(signed(&secret, "bob"))).await;
    assert_eq!(bob.welcome.customer_id.as_deref(), Some("bob"));
    assert_ne!(bob.welcome.visitor_id, alice.welcome.visitor_id);
    assert_eq!(bob.welcome.conversation_id, None, "Bob sees none of Alice's conversations");
    say(&mut bob, "b1", "Hello").await;
    let frame = bob.socket.wait_for(|f| matches!(f, ServerFrame::Message { .. })).await.unwrap();
    assert!(matches!(frame, ServerFrame::Message { message } if message.text == "Hello"));
    // And Alice coming back on that browser is Alice again, with her history.
    let mut alice_again = visit(&t, Some(bob.welcome.token.clone()), Some(signed(&secret, "alice"))).await;
    assert_eq!(alice_again.welcome.visitor_id, alice.welcome.visitor_id);
    assert_eq!(
        history_texts(&mut alice_again).await.first().map(String::as_str),
        Some("Please change my delivery address")
    );
}

#[tokio::test]
async fn a_rotated_secret_stops_old_signatures() {
    let t = TestRelay::start().await;
    let old = secret(&t).await;
    let new = t.relay.state().store.identity_secret("demo", true).await.unwrap();
    assert_ne!(old, new);
    let mut stale = visit(&t, None, Some(signed(&old, "cust_3"))).await;
    assert_eq!(error_code(&mut stale).await, ErrorCode::BadSignature);
    assert_eq!(visit(&t, None, Some(signed(&new, "cust_3"))).await.welcome.customer_id.as_deref(), Some("cust_3"));
}

#[tokio::test]
async fn attributes_merge_and_are_bounded() {
    let t = TestRelay::start().await;
    let store = &t.relay.state().store;
    let mut shopper = visit(&t, None, None).await;
    let set = |pairs: &[(&str, &str)]| VisitorFrame::Attributes {
        attributes: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    };
    let visitor = shopper.welcome.visitor_id.clone();
    shopper.socket.send(&set(&[("plan", "gold"), ("cart", "129 EUR")])).await.unwrap();
    shopper.socket.send(&set(&[("cart", ""), ("language", "fr")])).await.unwrap();
    // One frame too many attributes: refused whole.
    let many: Vec<(String, String)> = (0..60).map(|n| (format!("a{n}"), "x".to_string())).collect();
    let many: Vec<(&str, &str)> = many.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    shopper.socket.send(&set(&many)).await.unwrap();
    let code = match shopper.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap() {
        ServerFrame::Error { code, .. } => code,
        _ => unreachable!(),
    };
    assert_eq!(code, ErrorCode::InvalidValue);
    let long = "v".repeat(501);
    shopper.socket.send(&set(&[("note", long.as_str())])).await.unwrap();
    let frame = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert!(matches!(frame, ServerFrame::Error { code: ErrorCode::InvalidValue, .. }));
    let expected: BTreeMap<String, String> =
        [("language", "fr"), ("plan", "gold")].into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    assert_eq!(store.attributes(&visitor).await.unwrap(), expected);
}
