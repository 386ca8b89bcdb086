//! The console's HTTP calls: JSON in and out, same-origin, with the session cookie the
//! browser adds on its own. Errors come back as the relay's message, ready to show.

use gloo_net::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A failed call: the HTTP status (0 when the relay could not be reached) and what to show.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The relay's explanation.
    pub message: String,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: String,
}

async fn finish<T: DeserializeOwned>(sent: Result<Response, gloo_net::Error>) -> Result<T, ApiError> {
    let response = sent.map_err(|e| ApiError { status: 0, message: e.to_string() })?;
    let status = response.status();
    if !response.ok() {
        let message = match response.json::<ErrorBody>().await {
            Ok(body) => body.error.message,
            Err(_) => format!("HTTP {status}"),
        };
        return Err(ApiError { status, message });
    }
    if status == 204 {
        return serde_json::from_str("null").map_err(|e| ApiError { status, message: e.to_string() });
    }
    response.json::<T>().await.map_err(|e| ApiError { status, message: e.to_string() })
}

/// `GET url` as JSON.
pub async fn get<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
    finish(Request::get(url).send().await).await
}

async fn with_body<T: DeserializeOwned>(builder: RequestBuilder, body: &impl Serialize) -> Result<T, ApiError> {
    let request = builder.json(body).map_err(|e| ApiError { status: 0, message: e.to_string() })?;
    finish(request.send().await).await
}

/// `POST url` with a JSON body.
pub async fn post<T: DeserializeOwned>(url: &str, body: &impl Serialize) -> Result<T, ApiError> {
    with_body(Request::post(url), body).await
}

/// `PUT url` with a JSON body.
pub async fn put<T: DeserializeOwned>(url: &str, body: &impl Serialize) -> Result<T, ApiError> {
    with_body(Request::put(url), body).await
}

/// `PATCH url` with a JSON body.
pub async fn patch<T: DeserializeOwned>(url: &str, body: &impl Serialize) -> Result<T, ApiError> {
    with_body(Request::patch(url), body).await
}

/// `DELETE url`.
pub async fn delete(url: &str) -> Result<(), ApiError> {
    delete_json::<serde_json::Value>(url).await.map(|_| ())
}

/// `DELETE url`, reading the JSON answer.
pub async fn delete_json<T: DeserializeOwned>(url: &str) -> Result<T, ApiError> {
    finish(Request::delete(url).send().await).await
}

/// The signed-in agent, as `/api/session` describes them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Me {
    /// The agent.
    pub agent: MeAgent,
    /// Their store.
    pub store: protocol::StoreInfo,
}

/// The agent part of [`Me`].
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MeAgent {
    /// Their id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Login email.
    pub email: String,
    /// What they may do.
    pub role: protocol::AgentRole,
}

impl Me {
    /// Whether they may manage the team and the settings.
    pub fn is_admin(&self) -> bool {
        self.agent.role.supervises()
    }

    /// Whether they own the store (shoppers' data requests).
    pub fn is_owner(&self) -> bool {
        self.agent.role == protocol::AgentRole::Owner
    }

    /// The URL of one of their store's API resources.
    pub fn store_url(&self, rest: &str) -> String {
        format!("/api/stores/{}/{rest}", self.store.key)
    }
}

/// The API's shapes the console shares with the relay, under the console's shorter names.
pub use protocol::{CannedReply as Canned, StoreSettings as Settings, TeamMember as Member};

/// The shopper context panel's data.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Context {
    /// The shopper's visitor id (for owners' data requests).
    #[serde(default)]
    pub visitor_id: String,
    /// The email the shopper left.
    pub email: Option<String>,
    /// Where they came from.
    pub referrer: Option<String>,
    /// Their browser's language.
    pub language: Option<String>,
    /// Their time zone.
    pub time_zone: Option<String>,
    /// This visit's pages, latest first.
    pub pages: Vec<protocol::PageView>,
    /// Their other conversations.
    pub previous: Vec<protocol::ConversationSummary>,
    /// The private notes.
    pub notes: Vec<protocol::Note>,
    /// Who the shop says the shopper is (`Parley.identify`).
    #[serde(default)]
    pub customer: Option<Customer>,
    /// What the shop told about the shopper (`Parley.setAttributes`).
    #[serde(default)]
    pub attributes: std::collections::BTreeMap<String, String>,
    /// The team's tags on the shopper.
    #[serde(default)]
    pub tags: Vec<String>,
}

/// The customer a shopper is, as the shop said: verified by its signature, or only claimed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Customer {
    /// The shop's customer id (verified customers only).
    pub id: Option<String>,
    /// Their email.
    pub email: Option<String>,
    /// Their name.
    pub name: Option<String>,
    /// Whether the shop's signature proved it.
    pub verified: bool,
}
