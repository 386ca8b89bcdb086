//! A browser on the console's own page, for the console's HTTP API tests: it sends the relay's
//! `Origin` and keeps the session cookie.

use anyhow::Result;
use serde_json::{json, Value};

use super::{http_request, HttpResponse, TestRelay};

/// A browser on the console's own page: its `Origin` is the relay.
pub struct Console {
    pub base: String,
    pub cookie: Option<String>,
}

impl Console {
    pub fn new(base: &str) -> Console {
        Console { base: base.to_owned(), cookie: None }
    }

    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<HttpResponse> {
        let cookie = self.cookie.as_ref().map(|c| format!("parley_session={c}"));
        let mut headers = vec![("Origin", self.base.as_str()), ("Sec-Fetch-Site", "same-origin")];
        if let Some(cookie) = &cookie {
            headers.push(("Cookie", cookie.as_str()));
        }
        http_request(&self.base, method, path, &headers, body.as_ref()).await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Result<HttpResponse> {
        let response = self.call("POST", "/api/session", Some(json!({ "email": email, "password": password }))).await?;
        if let Some(set) = response.header("set-cookie") {
            self.cookie = set.split(';').next().and_then(|p| p.strip_prefix("parley_session=")).map(str::to_owned);
        }
        Ok(response)
    }
}

/// A console signed in as a new member of `store` with `role`.
pub async fn signed_in(t: &TestRelay, store: &str, name: &str, role: &str) -> Console {
    let (email, password) = t.add_agent_as(store, name, role).await;
    let mut console = Console::new(&t.base);
    let response = console.sign_in(&email, &password).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    console
}

/// The error code of a JSON error response.
pub fn code(response: &HttpResponse) -> String {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    body["error"]["code"].as_str().unwrap_or_default().to_owned()
}
