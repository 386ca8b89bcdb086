//! The console's HTTP API: the team, the store's settings, canned replies, closed
//! conversations and the shopper context panel. Live chat itself goes over the agent socket.
//!
//! Every handler starts with [`caller`], which checks the session, the store and the role:
//!
//! - `GET /api/stores/{key}/team`: the agents with their status (any agent: transfers need it)
//! - `POST /api/stores/{key}/team`: add an agent (owners and admins; only owners add owners)
//! - `PATCH /api/stores/{key}/team/{id}`: name, role, capacity, active, password (owners and
//!   admins; a new password ends the agent's sessions)
//! - `GET /api/stores/{key}/settings` (any agent), `PUT` (owners and admins)
//! - `GET /api/stores/{key}/canned` (any agent), `POST`, `PUT …/{id}`, `DELETE …/{id}` (admins)
//! - `GET /api/stores/{key}/conversations?state=closed|open`: summaries, newest first
//! - `GET /api/stores/{key}/conversations/{id}/context`: the shopper's visit, email, earlier
//!   conversations and the private notes

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::{ErrorCode, MAX_TEXT_CHARS};
use serde::Deserialize;
use serde_json::json;

use super::api_error;
use super::body::JsonBody;
use super::caller::{caller, Need};
use super::parse_origin;
use crate::app::AppState;
use crate::auth::session_token_hash;
use crate::routing::desk::Presence;
use crate::store::{MemberChange, StoreError, StoreSettings};
use crate::ws::socket::close_code;
use crate::ws::Refusal;

fn failed(error: StoreError) -> Response {
    match error {
        StoreError::AlreadyExists(why) => api_error(StatusCode::CONFLICT, ErrorCode::AlreadyExists, why),
        StoreError::NotFound(why) => api_error(StatusCode::NOT_FOUND, ErrorCode::NotFound, why),
        other => Refusal::from(other).into_response(),
    }
}

fn invalid(why: impl Into<String>) -> Response {
    api_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidValue, why)
}

fn forbidden(why: &str) -> Response {
    api_error(StatusCode::FORBIDDEN, ErrorCode::Forbidden, why)
}

/// Unwraps a check, or returns its refusal from the handler.
macro_rules! check {
    ($result:expr) => {
        match $result {
            Ok(value) => value,
            Err(refused) => return refused,
        }
    };
}

const ROLES: [&str; 3] = ["owner", "admin", "agent"];

/// `GET …/team`
pub async fn team(State(state): State<Arc<AppState>>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    let (_, store) = check!(caller(&state, &headers, &key, Need::Staff).await);
    let members = check!(state.store.team(store.id).await.map_err(failed));
    let listed: Vec<_> = members
        .into_iter()
        .map(|m| protocol::TeamMember { status: Some(state.routing.status_of(m.id)), ..m })
        .collect();
    Json(listed).into_response()
}

/// What `POST …/team` takes.
#[derive(Deserialize)]
pub struct NewMember {
    email: String,
    name: String,
    password: String,
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    capacity: Option<u32>,
}

/// `POST …/team`
pub async fn add_member(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    JsonBody(new): JsonBody<NewMember>,
) -> Response {
    let (me, store) = check!(caller(&state, &headers, &key, Need::Admin).await);
    let role = new.role.unwrap_or_else(|| "agent".into());
    if !ROLES.contains(&role.as_str()) {
        return invalid("role must be owner, admin or agent");
    }
    if role == "owner" && me.role != "owner" {
        return forbidden("only owners may add owners");
    }
    let email = new.email.trim().to_owned();
    if !email_address::EmailAddress::is_valid(&email) {
        return invalid(format!("{email:?} is not an email address"));
    }
    let name = new.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 80 {
        return invalid("the name must have 1 to 80 characters");
    }
    if new.password.chars().count() < 8 {
        return invalid("the password must have at least 8 characters");
    }
    let capacity = check!(crate::fields::capacity(new.capacity.unwrap_or(5)).map_err(invalid));
    let Some(hash) = crate::auth::hash_password_bounded(&state.limits, new.password).await else {
        return crate::http::too_many("password changes at once; the relay is busy", crate::http::BUSY_WAIT);
    };
    let agent = check!(state.store.add_agent(&store.key, &email, &name, &role, &hash).await.map_err(failed));
    check!(state.store.set_agent_capacity(agent.id, capacity).await.map_err(failed));
    let member = check!(state.store.team_member(store.id, agent.id).await.map_err(failed));
    (StatusCode::CREATED, Json(member)).into_response()
}

/// `PATCH …/team/{id}`
pub async fn change_member(
    State(state): State<Arc<AppState>>,
    Path((key, id)): Path<(String, i64)>,
    headers: HeaderMap,
    JsonBody(change): JsonBody<MemberChange>,
) -> Response {
    let (me, store) = check!(caller(&state, &headers, &key, Need::Admin).await);
    let Some(target) = check!(state.store.team_member(store.id, id).await.map_err(failed)) else {
        return api_error(StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("no agent {id}"));
    };
    if let Some(role) = &change.role {
        if !ROLES.contains(&role.as_str()) {
            return invalid("role must be owner, admin or agent");
        }
    }
    let touches_owner = target.role == "owner" || change.role.as_deref() == Some("owner");
    if touches_owner && me.role != "owner" {
        return forbidden("only owners may change owners or make someone an owner");
    }
    let demotes_or_deactivates =
        change.active == Some(false) || change.role.as_deref().is_some_and(|r| r != target.role);
    if target.id == me.id && demotes_or_deactivates {
        return forbidden("you cannot change your own role or deactivate yourself");
    }
    if let Some(capacity) = change.capacity {
        check!(crate::fields::capacity(capacity).map_err(invalid));
    }
    if change.name.as_deref().is_some_and(|n| n.trim().is_empty() || n.chars().count() > 80) {
        return invalid("the name must have 1 to 80 characters");
    }
    if change.password.as_ref().is_some_and(|p| p.chars().count() < 8) {
        return invalid("the password must have at least 8 characters");
    }
    if let Some(password) = change.password.clone() {
        let Some(hash) = crate::auth::hash_password_bounded(&state.limits, password).await else {
            return crate::http::too_many("password changes at once; the relay is busy", crate::http::BUSY_WAIT);
        };
        // Every other session ends, and so do the sockets signed in with them; an agent who
        // changes their own password keeps the session they are using.
        let mine = (id == me.id).then(|| super::caller::session_token(&headers).map(|t| session_token_hash(&t)));
        let keep = mine.flatten();
        check!(state.store.set_password(store.id, id, &hash, keep.as_deref()).await.map_err(failed));
        state.hub.disconnect_agent_except(id, keep.as_deref(), close_code::POLICY_VIOLATION, "the password changed");
    }
    let member = check!(state.store.change_member(store.id, id, &change).await.map_err(failed));
    if change.role.as_deref().is_some_and(|r| r != target.role) && member.active {
        // Supervising (or not) is decided when a socket joins: the sockets reconnect, with
        // their session, under the new role.
        state.hub.disconnect_agent(id, close_code::TRY_AGAIN_LATER, "your role changed; reconnect");
    }
    if !member.active {
        // Their sessions are gone, their sockets close, and their conversations go back to the
        // team now.
        state.hub.disconnect_agent(id, close_code::POLICY_VIOLATION, "your account was deactivated");
        check!(state.routing.set_status(&state, id, Presence::Offline).await.map_err(failed));
    } else if let Some(capacity) = change.capacity {
        check!(state.routing.set_capacity(&state, id, capacity).await.map_err(IntoResponse::into_response));
    }
    Json(member).into_response()
}

/// `GET …/settings`
pub async fn settings(State(state): State<Arc<AppState>>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    let (_, store) = check!(caller(&state, &headers, &key, Need::Staff).await);
    let settings = check!(state.store.settings(store.id).await.map_err(failed));
    Json(settings).into_response()
}

/// Checks a widget colour: `#rrggbb` (returned in lower case).
pub fn parse_colour(text: &str) -> Result<String, String> {
    let hex = text.strip_prefix('#').unwrap_or("");
    if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("{text:?} is not a colour like #1f5eff"));
    }
    Ok(text.to_ascii_lowercase())
}

/// Checks a launcher corner: `right` or `left`.
pub fn parse_position(text: &str) -> Result<String, String> {
    match text {
        "right" | "left" => Ok(text.to_owned()),
        _ => Err(format!("{text:?}: the position must be right or left")),
    }
}

/// Checks and normalises settings before they are stored.
fn validated(mut s: StoreSettings) -> Result<StoreSettings, String> {
    s.name = s.name.trim().to_owned();
    if s.name.is_empty() || s.name.chars().count() > 100 {
        return Err("the name must have 1 to 100 characters".into());
    }
    s.colour = parse_colour(&s.colour)?;
    s.position = parse_position(&s.position)?;
    s.greeting = s.greeting.map(|g| g.trim().to_owned()).filter(|g| !g.is_empty());
    if s.greeting.as_ref().is_some_and(|g| g.chars().count() > 500) {
        return Err("the greeting is longer than 500 characters".into());
    }
    if s.retention_days.is_some_and(|d| !(1..=36_500).contains(&d)) {
        return Err("conversations are kept 1 to 36500 days, or for ever".into());
    }
    if !(1..=86_400).contains(&s.first_reply_secs) {
        return Err("the first-reply target must be 1 to 86400 seconds".into());
    }
    s.hours = s.hours.map(|h| h.trim().to_owned()).filter(|h| !h.is_empty() && h != "always");
    match &s.hours {
        Some(spec) => {
            crate::hours::Schedule::parse(spec, &s.timezone)?;
        }
        None => {
            jiff::tz::TimeZone::get(&s.timezone).map_err(|_| format!("{:?} is not a time zone", s.timezone))?;
        }
    }
    s.origins = s.origins.iter().map(|o| parse_origin(o.trim())).collect::<Result<Vec<_>, _>>()?;
    Ok(s)
}

/// `PUT …/settings`
pub async fn save_settings(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<StoreSettings>,
) -> Response {
    let (_, store) = check!(caller(&state, &headers, &key, Need::Admin).await);
    let settings = check!(validated(body).map_err(invalid));
    check!(state.store.save_settings(store.id, &settings).await.map_err(failed));
    Json(settings).into_response()
}

/// What `POST …/canned` and `PUT …/canned/{id}` take.
#[derive(Deserialize)]
pub struct CannedForm {
    shortcut: String,
    text: String,
}

impl CannedForm {
    /// The shortcut without its `/`, and the text, once both are acceptable.
    fn checked(self) -> Result<(String, String), String> {
        let shortcut = self.shortcut.trim().trim_start_matches('/').to_lowercase();
        let fine = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
        if shortcut.is_empty() || shortcut.chars().count() > 32 || !shortcut.chars().all(fine) {
            return Err("the shortcut must be 1 to 32 letters, digits, - or _".into());
        }
        let text = self.text.trim().to_owned();
        if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
            return Err(format!("the text must have 1 to {MAX_TEXT_CHARS} characters"));
        }
        Ok((shortcut, text))
    }
}

/// `GET …/canned`
pub async fn canned(State(state): State<Arc<AppState>>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    let (_, store) = check!(caller(&state, &headers, &key, Need::Staff).await);
    Json(check!(state.store.canned_replies(store.id).await.map_err(failed))).into_response()
}

/// `POST …/canned`
pub async fn add_canned(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    JsonBody(form): JsonBody<CannedForm>,
) -> Response {
    let (_, store) = check!(caller(&state, &headers, &key, Need::Admin).await);
    let (shortcut, text) = check!(form.checked().map_err(invalid));
    let reply = check!(state.store.add_canned_reply(store.id, &shortcut, &text).await.map_err(failed));
    (StatusCode::CREATED, Json(reply)).into_response()
}

/// `PUT …/canned/{id}`
pub async fn replace_canned(
    State(state): State<Arc<AppState>>,
    Path((key, id)): Path<(String, i64)>,
    headers: HeaderMap,
    JsonBody(form): JsonBody<CannedForm>,
) -> Response {
    let (_, store) = check!(caller(&state, &headers, &key, Need::Admin).await);
    let (shortcut, text) = check!(form.checked().map_err(invalid));
    Json(check!(state.store.update_canned_reply(store.id, id, &shortcut, &text).await.map_err(failed))).into_response()
}

/// `DELETE …/canned/{id}`
pub async fn remove_canned(
    State(state): State<Arc<AppState>>,
    Path((key, id)): Path<(String, i64)>,
    headers: HeaderMap,
) -> Response {
    let (_, store) = check!(caller(&state, &headers, &key, Need::Admin).await);
    match state.store.remove_canned_reply(store.id, id).await {
        Ok(true) => StatusCode::NO_CONTENT.into_response(),
        Ok(false) => api_error(StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("no canned reply {id}")),
        Err(e) => failed(e),
    }
}

/// The query of `GET …/conversations`.
#[derive(Deserialize)]
pub struct Listing {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
}

/// `GET …/conversations?state=closed|open&limit=N`
pub async fn conversations(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    Query(listing): Query<Listing>,
    headers: HeaderMap,
) -> Response {
    let (_, store) = check!(caller(&state, &headers, &key, Need::Staff).await);
    let limit = listing.limit.unwrap_or(50).clamp(1, 200);
    let found = match listing.state.as_deref().unwrap_or("open") {
        "open" => state.store.open_conversations(store.id, limit).await,
        "closed" => state.store.closed_conversations(store.id, limit).await,
        other => return invalid(format!("state must be open or closed, not {other:?}")),
    };
    Json(check!(found.map_err(failed))).into_response()
}

/// `GET …/conversations/{id}/context`
pub async fn context(
    State(state): State<Arc<AppState>>,
    Path((key, id)): Path<(String, i64)>,
    headers: HeaderMap,
) -> Response {
    let (me, store) = check!(caller(&state, &headers, &key, Need::Staff).await);
    let conversation = match check!(state.store.conversation(id).await.map_err(failed)) {
        Some(c) if c.store_id == store.id => c,
        _ => return api_error(StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("no conversation {id}")),
    };
    if !crate::ws::agent::may_use(&me, &conversation, crate::ws::agent::Access::Read) {
        return forbidden("this conversation is another agent's");
    }
    let db = &state.store;
    let summary = check!(db.summary(&conversation).await.map_err(failed));
    let visit = check!(db.visitor_context(&conversation.visitor_id).await.map_err(failed));
    let previous = check!(db.conversations_of_visitor(&conversation.visitor_id, id, 10).await.map_err(failed));
    let notes = check!(db.notes(id).await.map_err(failed));
    Json(json!({
        "conversation": summary,
        "visitor_id": conversation.visitor_id,
        "email": summary.follow_up_email,
        "referrer": visit.referrer,
        "language": visit.language,
        "time_zone": visit.time_zone,
        "pages": visit.pages,
        "previous": previous,
        "notes": notes,
    }))
    .into_response()
}
