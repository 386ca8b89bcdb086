//! Who is calling an API, and whether they may: the one check every back-office request
//! passes, in the relay rather than in a UI, as the [`Caller`] extractor.
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

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use protocol::{AgentRole, ErrorCode};

use crate::auth::{session_cookie, session_token_hash, SESSION_MAX_IDLE_MS};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::{AgentRecord, StoreRecord};

/// Who may call an API: [`Staff`], [`Admin`] or [`Owner`].
pub trait Need: Send + Sync + 'static {
    /// Whether an agent with this role may.
    fn allows(role: AgentRole) -> bool;
    /// What a caller without the role is told.
    const REFUSAL: &'static str;
}

/// Any agent of the store.
pub struct Staff;
/// Owners and admins.
pub struct Admin;
/// Owners only (shoppers' data on request).
pub struct Owner;

impl Need for Staff {
    fn allows(_: AgentRole) -> bool {
        true
    }
    const REFUSAL: &'static str = "";
}

impl Need for Admin {
    fn allows(role: AgentRole) -> bool {
        role.supervises()
    }
    const REFUSAL: &'static str = "only the store's owners and admins may do this";
}

impl Need for Owner {
    fn allows(role: AgentRole) -> bool {
        role == AgentRole::Owner
    }
    const REFUSAL: &'static str = "only the store's owners may do this";
}

/// The caller of an API under `/api/stores/{key}/…`: signed in, of that store, and allowed
/// `N`. As an extractor it answers 401 without a live session, 404 for another store's key (as
/// if the store did not exist) and 403 for a role that may not.
pub struct Caller<N: Need = Staff> {
    /// The signed-in agent.
    pub agent: AgentRecord,
    /// Their store, the one the path names.
    pub store: StoreRecord,
    need: PhantomData<N>,
}

impl<N: Need> FromRequestParts<Arc<AppState>> for Caller<N> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self> {
        let agent = signed_in(state, &parts.headers).await?;
        let key = store_key(parts, state).await?;
        // Another store's key is answered as if it did not exist.
        let store = super::known_store(state, &key).await?;
        if store.id != agent.store_id {
            return Err(Error::unknown_store(&key));
        }
        if !N::allows(agent.role) {
            return Err(Error::forbidden(N::REFUSAL));
        }
        Ok(Caller { agent, store, need: PhantomData })
    }
}

/// The `{key}` of the request's path.
async fn store_key(parts: &mut Parts, state: &Arc<AppState>) -> Result<String> {
    let Path(params) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
        .await
        .map_err(|rejection| Error::new(ErrorCode::Malformed, rejection.body_text()))?;
    params.into_iter().find(|(name, _)| name == "key").map(|(_, key)| key).ok_or_else(|| Error::unknown_store(""))
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

/// The signed-in agent when the request carries a live session, else none (never 401): the
/// console's first look, which should not log an error before anyone signed in.
pub async fn signed_in_if_any(state: &AppState, headers: &HeaderMap) -> Result<Option<AgentRecord>> {
    let Some(token) = session_token(headers) else { return Ok(None) };
    Ok(state.store.agent_by_session(&session_token_hash(&token), SESSION_MAX_IDLE_MS).await?)
}

/// The signed-in agent, whatever their store (401 without a live session).
async fn signed_in(state: &AppState, headers: &HeaderMap) -> Result<AgentRecord> {
    let unauthenticated = || Error::not_authenticated("sign in first");
    let token = session_token(headers).ok_or_else(unauthenticated)?;
    state.store.agent_by_session(&session_token_hash(&token), SESSION_MAX_IDLE_MS).await?.ok_or_else(unauthenticated)
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
        let refusal = "cross-site request refused: send it from the console's own pages";
        return Error::new(ErrorCode::OriginNotAllowed, refusal).into_response();
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
    origin.is_some_and(|origin| crate::origin::is_same_origin(origin, headers))
}
