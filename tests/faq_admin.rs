//! The FAQ back office over HTTP: owners and admins add, change and remove articles (search
//! follows at once), and read the unanswered questions and the bot's feedback. Every endpoint is
//! refused without a session (401), to a plain agent (403), and across stores (404).

mod common;

use common::{http_request, TestRelay};
use parley::AgentClient;
use serde_json::{json, Value};

async fn token_of(t: &TestRelay, store: &str, name: &str, role: &str) -> String {
    let (email, password) = t.add_agent_as(store, name, role).await;
    AgentClient::login(&t.base, &email, &password).await.unwrap().session_token
}

async fn call(t: &TestRelay, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let bearer = token.map(|t| format!("Bearer {t}"));
    let headers: Vec<(&str, &str)> = bearer.iter().map(|b| ("Authorization", b.as_str())).collect();
    let response = http_request(&t.base, method, path, &headers, body.as_ref()).await.unwrap();
    let json = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    (response.status, json)
}

async fn search_ids(t: &TestRelay, query: &str) -> Vec<Value> {
    let path = format!("/api/stores/shop/faq/search?q={}", query.replace(' ', "%20"));
    let (_, hits) = call(t, "GET", &path, None, None).await;
    hits.as_array().unwrap().iter().map(|h| h["id"].clone()).collect()
}

#[tokio::test]
async fn admins_manage_articles_and_search_follows_at_once() {
    let t = TestRelay::start().await;
    t.add_store("shop", &[]).await;
    let admin = token_of(&t, "shop", "Ada", "admin").await;
    let article = json!({"id": "gift-1", "question": "Do you sell gift cards?", "answer": "Yes, from €10.", "category": "Payment", "tags": ["voucher"]});
    let (status, created) =
        call(&t, "POST", "/api/stores/shop/faq/articles", Some(&admin), Some(article.clone())).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["id"], "gift-1");
    assert_eq!(search_ids(&t, "gift cards").await, [json!("gift-1")], "searchable at once");
    let (again, _) = call(&t, "POST", "/api/stores/shop/faq/articles", Some(&admin), Some(article)).await;
    assert_eq!(again, 409, "the id is taken");
    let (bad, error) =
        call(&t, "POST", "/api/stores/shop/faq/articles", Some(&admin), Some(json!({"answer": "?"}))).await;
    assert_eq!(bad, 400);
    assert!(error["error"]["message"].as_str().unwrap().contains("\"question\" is missing"), "{error}");

    let changed = json!({"question": "Can I buy a gift voucher?", "answer": "Yes, from €10 to €500."});
    let (status, replaced) = call(&t, "PUT", "/api/stores/shop/faq/articles/gift-1", Some(&admin), Some(changed)).await;
    assert_eq!(status, 200, "{replaced}");
    let (_, public) = call(&t, "GET", "/api/stores/shop/faq/articles/gift-1", None, None).await;
    assert_eq!(public["answer"], "Yes, from €10 to €500.");
    let (status, listed) = call(&t, "GET", "/api/stores/shop/faq/articles", Some(&admin), None).await;
    assert_eq!((status, listed.as_array().unwrap().len()), (200, 1));

    let (status, _) = call(&t, "DELETE", "/api/stores/shop/faq/articles/gift-1", Some(&admin), None).await;
    assert_eq!(status, 204);
    assert!(search_ids(&t, "gift voucher").await.is_empty(), "gone from search at once");
    let (status, _) = call(&t, "DELETE", "/api/stores/shop/faq/articles/gift-1", Some(&admin), None).await;
    assert_eq!(status, 404);

    let (status, unanswered) = call(&t, "GET", "/api/stores/shop/faq/unanswered", Some(&admin), None).await;
    assert_eq!((status, unanswered), (200, json!([])));
    let (status, feedback) = call(&t, "GET", "/api/stores/shop/faq/feedback", Some(&admin), None).await;
    assert_eq!((status, feedback), (200, json!({"helpful": 0, "not_helpful": 0})));
    t.stop().await;
}

#[tokio::test]
async fn every_back_office_call_is_refused_without_a_session_to_agents_and_across_stores() {
    let t = TestRelay::start().await;
    t.add_store("shop", &[]).await;
    t.add_store("other", &[]).await;
    let agent = token_of(&t, "shop", "Al", "agent").await;
    let owner_elsewhere = token_of(&t, "other", "Oz", "owner").await;
    let owner = token_of(&t, "shop", "Ole", "owner").await;
    let body = json!({"question": "q?", "answer": "a."});
    let calls: [(&str, &str, Option<Value>, bool); 6] = [
        ("GET", "/api/stores/shop/faq/articles", None, false),
        ("POST", "/api/stores/shop/faq/articles", Some(body.clone()), true),
        ("PUT", "/api/stores/shop/faq/articles/x", Some(body.clone()), true),
        ("DELETE", "/api/stores/shop/faq/articles/x", None, true),
        ("GET", "/api/stores/shop/faq/unanswered", None, true),
        ("GET", "/api/stores/shop/faq/feedback", None, true),
    ];
    for (method, path, body, admins_only) in calls {
        let (status, _) = call(&t, method, path, None, body.clone()).await;
        assert_eq!(status, 401, "{method} {path} without a session");
        let (status, _) = call(&t, method, path, Some("not-a-session"), body.clone()).await;
        assert_eq!(status, 401, "{method} {path} with a made-up session");
        let (status, _) = call(&t, method, path, Some(&owner_elsewhere), body.clone()).await;
        assert_eq!(status, 404, "{method} {path} from another store's owner");
        let (status, _) = call(&t, method, path, Some(&agent), body.clone()).await;
        assert_eq!(status, if admins_only { 403 } else { 200 }, "{method} {path} as a plain agent");
    }
    let (status, _) = call(&t, "PUT", "/api/stores/shop/faq/articles/x", Some(&owner), Some(body)).await;
    assert_eq!(status, 200, "the owner may");
    t.stop().await;
}
