//! "Where is my order?" against the real reference source (`examples/order-source`): a verified
//! customer's orders, an anonymous lookup by number and email, a wrong email refused without
//! saying which half was wrong, tries limited, a source that is down or too slow handing over
//! to a person, and the guard that refuses a loopback source for a store that has not allowed
//! private addresses.

mod common;

use common::order_source::start_order_source;
use common::TestRelay;
use parley::VisitorClient;
use protocol::{Identity, Role, ServerFrame};
use relay::orders::{Lookup, SourceError};

async fn point_demo_at(t: &TestRelay, url: &str, allow_private: bool) {
    common::order_source::point_demo_at(t, url, allow_private, true).await;
}

async fn shopper(t: &TestRelay, customer: Option<&str>) -> VisitorClient {
    let identity = match customer {
        Some(id) => {
            let secret = t.relay.state().store.identity_secret("demo", false).await.unwrap();
            let signature = Some(relay::auth::identity_signature(&secret, id));
            Some(Identity { id: id.into(), signature, ..Identity::default() })
        }
        None => None,
    };
    VisitorClient::connect_as(&t.base, "demo", None, None, 0, identity).await.unwrap()
}

/// Sends a message and returns the bot's next reply.
async fn ask(client: &mut VisitorClient, n: &mut u32, text: &str) -> String {
    *n += 1;
    client.send(&format!("m{n}"), text).await.unwrap();
    let frame = client
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot))
        .await
        .unwrap();
    match frame {
        ServerFrame::Message { message } => message.text,
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_verified_customer_gets_their_orders_and_picks_one() {
    let (_source, base) = start_order_source(100).await;
    let t = TestRelay::start().await;
    point_demo_at(&t, &format!("{base}/orders"), true).await;
    let mut mia = shopper(&t, Some("cust_1001")).await;
    let mut n = 0;
    let list = ask(&mut mia, &mut n, "Where is my order?").await;
    assert!(list.starts_with("Your recent orders:"), "{list}");
    assert!(list.contains("Order #1001 (2026-11-28): shipped, DHL tracking number JD014600006281230071"), "{list}");
    assert!(list.contains("https://www.dhl.com/track?id=JD014600006281230071"), "{list}");
    assert!(list.contains("#0987") && !list.contains("#1002"), "only Mia's orders: {list}");
    let one = ask(&mut mia, &mut n, "0987").await;
    assert!(one.contains("Order #0987 (2026-10-02): delivered"), "{one}");
    assert!(one.contains("Order page: https://shop.example.com/orders/0987"), "{one}");
    assert!(one.contains("\"agent\""), "a person is offered: {one}");
}

#[tokio::test]
async fn an_anonymous_shopper_proves_the_order_with_number_and_email() {
    let (_source, base) = start_order_source(100).await;
    let t = TestRelay::start().await;
    point_demo_at(&t, &format!("{base}/orders"), true).await;
    let mut wei = shopper(&t, None).await;
    let mut n = 0;
    let asked = ask(&mut wei, &mut n, "订单到哪了？").await;
    assert_eq!(asked, "我可以帮您查询。请发送您的订单号和下单时使用的邮箱。");
    let wrong = ask(&mut wei, &mut n, "1002 mia@example.com").await;
    assert!(wrong.contains("1002") && !wrong.contains("已付款"), "a half match tells nothing: {wrong}");
    let half = ask(&mut wei, &mut n, "1002").await;
    assert!(half.contains("订单号和下单时使用的邮箱"), "{half}");
    let found = ask(&mut wei, &mut n, "1002 wei@example.com").await;
    assert!(found.contains("订单 #1002（2026-12-01 下单）：已付款，正在备货"), "{found}");
    let db = &t.relay.state().store;
    let conversation = db.open_conversation_of(&wei.welcome.visitor_id).await.unwrap().unwrap();
    assert_eq!(db.conversation_orders(conversation.id).await.unwrap(), vec![("1002".into(), "wei@example.com".into())]);
}

#[tokio::test]
async fn guessing_is_limited_to_five_tries() {
    let (_source, base) = start_order_source(100).await;
    let t = TestRelay::start().await;
    point_demo_at(&t, &format!("{base}/orders"), true).await;
    let mut guesser = shopper(&t, None).await;
    let mut n = 0;
    ask(&mut guesser, &mut n, "where is my parcel").await;
    for guess in 0..5 {
        let reply = ask(&mut guesser, &mut n, &format!("10{guess:02} someone{guess}@example.com")).await;
        assert!(reply.starts_with("I could not find order"), "try {guess}: {reply}");
    }
    let refused = ask(&mut guesser, &mut n, "1001 mia@example.com").await;
    assert!(refused.starts_with("That did not match several times"), "{refused}");
    assert!(!refused.contains("shipped"), "{refused}");
}

#[tokio::test]
async fn a_source_that_is_down_or_too_slow_hands_over_to_a_person() {
    let (mut source, base) = start_order_source(5_000).await;
    let t = TestRelay::start().await;
    // Too slow: the reference source's slow route answers after 5 s; the relay waits 3.
    point_demo_at(&t, &format!("{base}/slow/orders"), true).await;
    let mut slow = shopper(&t, None).await;
    let mut n = 0;
    ask(&mut slow, &mut n, "where is my order").await;
    let reply = ask(&mut slow, &mut n, "1001 mia@example.com").await;
    assert!(reply.starts_with("I can't look that up right now, a person will help."), "{reply}");

    // Down: the process is gone.
    point_demo_at(&t, &format!("{base}/orders"), true).await;
    source.kill().await.unwrap();
    source.wait().await.unwrap();
    let mut unlucky = shopper(&t, Some("cust_1001")).await;
    let mut n = 0;
    let reply = ask(&mut unlucky, &mut n, "has my parcel shipped?").await;
    assert!(reply.starts_with("I can't look that up right now, a person will help."), "{reply}");
}

#[tokio::test]
async fn a_loopback_source_is_refused_unless_the_store_allows_private_addresses() {
    let (_source, base) = start_order_source(100).await;
    let t = TestRelay::start().await;
    let demo = t.relay.state().store.store_by_key("demo").await.unwrap().unwrap();
    let lookup = Lookup::Customer("cust_1001".into());
    point_demo_at(&t, &format!("{base}/orders"), false).await;
    let refused = t.relay.state().orders.lookup(demo.id, &lookup).await;
    assert!(matches!(refused, Err(SourceError::Refused(_))), "{refused:?}");
    // By name too (names that resolve to private addresses are refused as they resolve: see
    // the unit test of `orders::guard`).
    let port = base.rsplit(':').next().unwrap();
    point_demo_at(&t, &format!("http://localhost:{port}/orders"), false).await;
    let refused = t.relay.state().orders.lookup(demo.id, &lookup).await;
    assert!(matches!(refused, Err(SourceError::Refused(_))), "{refused:?}");
    point_demo_at(&t, &format!("{base}/orders"), true).await;
    let allowed = t.relay.state().orders.lookup(demo.id, &lookup).await.unwrap().unwrap();
    assert_eq!(allowed.len(), 2);
}
