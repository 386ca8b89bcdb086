//! The console's sign-in: `POST /api/session` with email and password sets the session cookie,
//! `GET /api/session` says who is signed in, `DELETE /api/session` signs out on the server
//! (the session ends, and so do the sockets signed in with it).
//!
//! The cookie is `HttpOnly` (scripts never see the token), `SameSite=Strict` (other sites'
//! pages never send it), `Secure` when the console was reached over https, and lapses with
//! the session after 12 hours without use. Sign-ins share the per-account limit with the
//! agent socket's `login`, so guesses cannot be spread over both.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use super::body::JsonBody;
use super::caller::session_token;
use crate::auth::{
    check_credentials, new_session_token, session_token_hash, SignIn, SESSION_COOKIE, SESSION_MAX_IDLE_MS,
};
use crate::error::{Error, Result};
use crate::fanout::{close_code, Audience};
use crate::limits::{SignInRefused, BUSY_WAIT};
use crate::state::AppState;
use crate::store::AgentRecord;

/// What the sign-in form sends.
#[derive(Deserialize)]
pub struct Credentials {
    email: String,
    password: String,
    /// The store's key, when the email and password open several stores.
    #[serde(default)]
    store: Option<String>,
}

/// The signed-in agent and their store, as the console needs them.
async fn me_json(state: &AppState, agent: &AgentRecord) -> Result<serde_json::Value> {
    let store = state.store.store_by_id(agent.store_id).await?;
    let store = store.ok_or_else(|| Error::new(protocol::ErrorCode::UnknownStore, "the store is gone"))?;
    Ok(json!({
        "agent": { "id": agent.id, "name": agent.name, "email": agent.email, "role": agent.role,
                   "capacity": agent.capacity },
        "store": { "key": store.key, "name": store.name },
    }))
}

/// Whether the browser reached the relay over https (directly or through a proxy).
fn over_https(headers: &HeaderMap) -> bool {
    let forwarded = headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    forwarded == Some("https") || origin.is_some_and(|o| o.starts_with("https://"))
}

#[allow(clippy::expect_used)] // each expect states an invariant that holds
fn cookie(value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text = format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}");
    HeaderValue::from_str(&text).expect("session tokens are URL-safe base64")
}

/// `POST /api/session`
pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    JsonBody(form): JsonBody<Credentials>,
) -> Result<Response> {
    let email = form.email.trim();
    let slot = state.limits.sign_in(email, peer.ip()).map_err(|refused| match refused {
        SignInRefused::Limited(wait) => Error::rate_limited("sign-in attempts", wait),
        SignInRefused::Busy => Error::rate_limited("sign-ins at once; the relay is busy", BUSY_WAIT),
    })?;
    let agent = match check_credentials(&state.store, email, form.password, form.store.as_deref(), slot).await? {
        SignIn::Agent(agent) => *agent,
        SignIn::ChooseStore(keys) => return Err(Error::store_required(&keys)),
        SignIn::Refused => {
            tracing::info!(?email, "failed console sign-in");
            return Err(Error::bad_credentials());
        }
    };
    let (token, hash) = new_session_token();
    state.store.add_session(agent.id, &hash).await?;
    let body = me_json(&state, &agent).await?;
    tracing::info!(agent = ?agent.email, "console sign-in");
    let mut response = Json(body).into_response();
    let max_age = SESSION_MAX_IDLE_MS / 1000;
    response.headers_mut().insert(header::SET_COOKIE, cookie(&token, max_age, over_https(&headers)));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The query of `GET /api/session`.
#[derive(Deserialize)]
pub struct Probe {
    /// `?probe=1`: answer 200 `null` when nobody is signed in, instead of 401.
    #[serde(default)]
    probe: Option<String>,
}

/// `GET /api/session` (401 without a session) or `GET /api/session?probe=1` (200 `null`).
pub async fn current(
    State(state): State<Arc<AppState>>,
    Query(probe): Query<Probe>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>> {
    match super::caller::signed_in_if_any(&state, &headers).await? {
        Some(agent) => Ok(Json(me_json(&state, &agent).await?)),
        None if probe.probe.is_some() => Ok(Json(serde_json::Value::Null)),
        None => Err(Error::not_authenticated("sign in first")),
    }
}

/// `DELETE /api/session`: the session ends on the server, and the cookie is cleared.
pub async fn sign_out(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Result<Response> {
    if let Some(token) = session_token(&headers) {
        let hash = session_token_hash(&token);
        state.store.remove_session(&hash).await?;
        // Sockets signed in with this session end with it.
        state.fanout.close(&Audience::Session(hash), close_code::NORMAL, "signed out");
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie("", 0, over_https(&headers)));
    Ok(response)
}
