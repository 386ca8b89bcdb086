//! Who is calling an API, and whether they may: the one check every back-office request
//! passes, in the relay rather than in a UI.
//!
//! A request carries an agent session, either as the console's cookie or as
//! `Authorization: Bearer TOKEN` (the token `agent_welcome` gives other clients). No session is
//! 401, an agent of another store gets 404 (as if the store did not exist), and a plain agent
//! gets 403 for what only owners and admins may do.
//!
//! A cookie is sent by the browser on its own, so cookie requests that change something must
//! come from the relay's own pages: [`csrf_guard`] refuses any other origin. The cookie is also
//! `SameSite=Strict`; the guard is the second lock. Bearer tokens are never sent on their own and
//! need no such check.

use axum::extract::Request;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use protocol::ErrorCode;

use super::api_error;
use crate::app::AppState;
use crate::auth::{session_cookie, session_token_hash, SESSION_MAX_IDLE_MS};
use crate::store::{AgentRecord, StoreRecord};
use crate::ws::Refusal;

/// Who may call.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Any agent of the store.
    Staff,
    /// Owners and admins.
    Admin,
    /// Owners only (shoppers' data on request).
    Owner,
}

/// The bearer token of `Authorization: Bearer TOKEN`, when the request carries a non-empty one.
fn bearer(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// The session token a request carries: the bearer token, else the console's cookie. A
/// request with a bearer token is never authenticated by its cookie, so the CSRF guard may
/// leave exactly those alone.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    bearer(headers).or_else(|| session_cookie(headers))
}

fn unauthenticated() -> Response {
    api_error(StatusCode::UNAUTHORIZED, ErrorCode::NotAuthenticated, "sign in first")
}

/// The signed-in agent, whatever their store (401 without a live session).
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<AgentRecord, Response> {
    let token = session_token(headers).ok_or_else(unauthenticated)?;
    match state.store.agent_by_session(&session_token_hash(&token), SESSION_MAX_IDLE_MS).await {
        Ok(Some(agent)) => Ok(agent),
        Ok(None) => Err(unauthenticated()),
        Err(e) => Err(Refusal::from(e).into_response()),
    }
}

/// Whether a role may manage the store (team, settings, FAQ, canned replies).
pub fn is_admin(role: &str) -> bool {
    matches!(role, "owner" | "admin")
}

/// The caller, signed in and allowed `need` in the store named `key`.
pub async fn caller(
    state: &AppState,
    headers: &HeaderMap,
    key: &str,
    need: Need,
) -> Result<(AgentRecord, StoreRecord), Response> {
    let agent = signed_in(state, headers).await?;
    // Another store's key is answered as if it did not exist.
    let store = super::known_store(state, key).await?;
    if store.id != agent.store_id {
        return Err(super::unknown_store(key));
    }
    if need == Need::Admin && !is_admin(&agent.role) {
        return Err(api_error(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "only the store's owners and admins may do this",
        ));
    }
    if need == Need::Owner && agent.role != "owner" {
        return Err(api_error(StatusCode::FORBIDDEN, ErrorCode::Forbidden, "only the store's owners may do this"));
    }
    Ok((agent, store))
}

/// Refuses a cookie-carrying request that changes something (and any sign-in) unless the
/// browser says it comes from the relay's own pages.
pub async fn csrf_guard(request: Request, next: Next) -> Response {
    let changes = !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let headers = request.headers();
    // Any other Authorization (Basic, Negotiate, an empty Bearer) leaves the cookie in charge.
    let cookie_only = session_cookie(headers).is_some() && bearer(headers).is_none();
    let signing_in = request.uri().path() == "/api/session";
    if changes && (cookie_only || signing_in) && !from_own_pages(headers) {
        return api_error(
            StatusCode::FORBIDDEN,
            ErrorCode::OriginNotAllowed,
            "cross-site request refused: send it from the console's own pages",
        );
    }
    next.run(request).await
}

/// Whether the browser says the request comes from a page of this relay. Browsers send
/// `Origin` on every request that changes something; `Sec-Fetch-Site` confirms it where sent.
fn from_own_pages(headers: &HeaderMap) -> bool {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|site| site != "same-origin") {
        return false;
    }
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    origin.is_some_and(|origin| super::origin::is_same_origin(origin, headers))
}
