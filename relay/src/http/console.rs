//! The console's HTTP API: the team, the store's settings, canned replies, closed
//! conversations and the shopper context panel. Live chat itself goes over the agent socket.
//!
//! Every handler takes a [`Caller`], which checks the session, the store and the role:
//!
//! - `GET /api/stores/{key}/team`: the agents with their status (any agent: transfers need it)
//! - `POST /api/stores/{key}/team`: add an agent (owners and admins; only owners add owners)
//! - `PATCH /api/stores/{key}/team/{id}`: name, role, capacity, active, password (owners and
//!   admins; a new password ends the agent's sessions)
//! - `GET /api/stores/{key}/settings` (any agent), `PUT` (owners and admins)
//! - `GET /api/stores/{key}/canned` (any agent), `POST`, `PUT …/{id}`, `DELETE …/{id}` (admins)
//! - `GET /api/stores/{key}/conversations?state=closed|open` or `?q=TEXT`: summaries, newest
//!   first (a plain agent's: the queue's and their own)
//! - `GET /api/stores/{key}/conversations/{id}/context`: the shopper's visit, email, earlier
//!   conversations and the private notes

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use protocol::{AgentRole, CannedReply, ConversationSummary, TeamMember};
use serde::Deserialize;
use serde_json::{json, Value};

use super::body::JsonBody;
use super::caller::{Admin, Caller, Staff};
use crate::auth::session_token_hash;
use crate::chat::{may_use, Access};
use crate::error::{Error, Result};
use crate::fanout::{close_code, Audience};
use crate::fields;
use crate::limits::BUSY_WAIT;
use crate::routing::desk::Presence;
use crate::state::AppState;
use crate::store::{MemberChange, Scope, StoreSettings};

/// A role named in a request.
fn role(text: &str) -> Result<AgentRole> {
    text.parse().map_err(|_| Error::invalid("role must be owner, admin or agent"))
}

/// Hashes a new password on the bounded pool, or says the relay is busy.
async fn hashed(state: &AppState, password: String) -> Result<String> {
    crate::auth::hash_password_bounded(&state.limits, password)
        .await
        .ok_or_else(|| Error::rate_limited("password changes at once; the relay is busy", BUSY_WAIT))
}

/// `GET …/team`
pub async fn team(State(state): State<Arc<AppState>>, caller: Caller<Staff>) -> Result<Json<Vec<TeamMember>>> {
    let members = state.store.team(caller.store.id).await?;
    let listed = members.into_iter().map(|m| TeamMember { status: Some(state.routing.status_of(m.id)), ..m });
    Ok(Json(listed.collect()))
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
    Caller { agent: me, store, .. }: Caller<Admin>,
    JsonBody(new): JsonBody<NewMember>,
) -> Result<(StatusCode, Json<TeamMember>)> {
    let role = new.role.as_deref().map_or(Ok(AgentRole::Agent), role)?;
    if role == AgentRole::Owner && me.role != AgentRole::Owner {
        return Err(Error::forbidden("only owners may add owners"));
    }
    let email = fields::email(&new.email).map_err(Error::invalid)?;
    let name = fields::agent_name(&new.name).map_err(Error::invalid)?;
    fields::password(&new.password).map_err(Error::invalid)?;
    let capacity = fields::capacity(new.capacity.unwrap_or(5)).map_err(Error::invalid)?;
    let hash = hashed(&state, new.password).await?;
    let agent = state.store.add_agent(&store.key, &email, &name, role, &hash).await?;
    state.store.set_agent_capacity(agent.id, capacity).await?;
    let member = state.store.team_member(store.id, agent.id).await?;
    let member = member.ok_or_else(|| Error::not_found(format!("no agent {}", agent.id)))?;
    Ok((StatusCode::CREATED, Json(member)))
}

/// `PATCH …/team/{id}`
pub async fn change_member(
    State(state): State<Arc<AppState>>,
    Caller { agent: me, store, .. }: Caller<Admin>,
    Path((_, id)): Path<(String, i64)>,
    headers: HeaderMap,
    JsonBody(change): JsonBody<MemberChange>,
) -> Result<Json<TeamMember>> {
    let target =
        state.store.team_member(store.id, id).await?.ok_or_else(|| Error::not_found(format!("no agent {id}")))?;
    let new_role = change.role.as_deref().map(role).transpose()?;
    let touches_owner = target.role == AgentRole::Owner || new_role == Some(AgentRole::Owner);
    if touches_owner && me.role != AgentRole::Owner {
        return Err(Error::forbidden("only owners may change owners or make someone an owner"));
    }
    let role_changes = new_role.is_some_and(|r| r != target.role);
    if target.id == me.id && (change.active == Some(false) || role_changes) {
        return Err(Error::forbidden("you cannot change your own role or deactivate yourself"));
    }
    if let Some(capacity) = change.capacity {
        fields::capacity(capacity).map_err(Error::invalid)?;
    }
    if let Some(name) = &change.name {
        fields::agent_name(name).map_err(Error::invalid)?;
    }
    if let Some(password) = &change.password {
        fields::password(password).map_err(Error::invalid)?;
    }
    if let Some(password) = change.password.clone() {
        let hash = hashed(&state, password).await?;
        // Every other session ends, and so do the sockets signed in with them; an agent who
        // changes their own password keeps the session they are using.
        let mine = (id == me.id).then(|| super::caller::session_token(&headers).map(|t| session_token_hash(&t)));
        let keep = mine.flatten();
        state.store.set_password(store.id, id, &hash, keep.as_deref()).await?;
        let others = Audience::AgentExceptSession { agent_id: id, keep };
        state.fanout.close(&others, close_code::POLICY_VIOLATION, "the password changed");
    }
    let member = state.store.change_member(store.id, id, &change).await?;
    if role_changes && member.active {
        // Supervising (or not) is decided when a socket joins: the sockets reconnect, with
        // their session, under the new role.
        state.fanout.close(&Audience::Agent(id), close_code::TRY_AGAIN_LATER, "your role changed; reconnect");
    }
    if !member.active {
        // Their sessions are gone, their sockets close, and their conversations go back to the
        // team now.
        state.fanout.close(&Audience::Agent(id), close_code::POLICY_VIOLATION, "your account was deactivated");
        state.routing.set_status(id, Presence::Offline).await?;
    } else if let Some(capacity) = change.capacity {
        state.routing.set_capacity(id, capacity).await?;
    }
    Ok(Json(member))
}

/// `GET …/settings`
pub async fn settings(State(state): State<Arc<AppState>>, caller: Caller<Staff>) -> Result<Json<StoreSettings>> {
    Ok(Json(state.store.settings(caller.store.id).await?))
}

/// Checks and normalises settings before they are stored.
fn validated(mut s: StoreSettings) -> Result<StoreSettings, String> {
    s.name = fields::store_name(&s.name)?;
    s.colour = fields::colour(&s.colour)?;
    s.position = fields::position(&s.position)?;
    s.greeting = fields::greeting(s.greeting.as_deref())?;
    if s.retention_days.is_some_and(|d| !(1..=36_500).contains(&d)) {
        return Err("conversations are kept 1 to 36500 days, or for ever".into());
    }
    if !(1..=86_400).contains(&s.first_reply_secs) {
        return Err("the first-reply target must be 1 to 86400 seconds".into());
    }
    if !(10..=86_400).contains(&s.closing_wait_secs) {
        return Err("the closing question waits 10 to 86400 seconds".into());
    }
    if s.bot_repeat_secs.is_some_and(|r| r > 7 * 86_400) {
        return Err("the bot's repeat window is 0 to 604800 seconds (a week)".into());
    }
    if s.idle_close_secs != 0 && !(3_600..=90 * 86_400).contains(&s.idle_close_secs) {
        return Err("idle conversations close after 1 hour to 90 days, or never (0)".into());
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
    s.origins = s.origins.iter().map(|o| fields::origin(o.trim())).collect::<Result<Vec<_>, _>>()?;
    s.email_from = s.email_from.as_deref().map(fields::email_from).transpose()?.flatten();
    Ok(s)
}

/// `PUT …/settings`
pub async fn save_settings(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    JsonBody(body): JsonBody<StoreSettings>,
) -> Result<Json<StoreSettings>> {
    let settings = validated(body).map_err(Error::invalid)?;
    state.store.save_settings(caller.store.id, &settings).await?;
    // The name and greeting fill the bot's texts.
    state.bot.words.changed(caller.store.id);
    Ok(Json(settings))
}

/// What `POST …/canned` and `PUT …/canned/{id}` take.
#[derive(Deserialize)]
pub struct CannedForm {
    shortcut: String,
    text: String,
}

impl CannedForm {
    /// The shortcut without its `/`, and the text, once both are acceptable.
    fn checked(self) -> Result<(String, String)> {
        let shortcut = self.shortcut.trim().trim_start_matches('/').to_lowercase();
        let fine = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
        if shortcut.is_empty() || shortcut.chars().count() > 32 || !shortcut.chars().all(fine) {
            return Err(Error::invalid("the shortcut must be 1 to 32 letters, digits, - or _"));
        }
        Ok((shortcut, fields::canned_text(&self.text).map_err(Error::invalid)?))
    }
}

/// `GET …/canned`
pub async fn canned(State(state): State<Arc<AppState>>, caller: Caller<Staff>) -> Result<Json<Vec<CannedReply>>> {
    Ok(Json(state.store.canned_replies(caller.store.id).await?))
}

/// `POST …/canned`
pub async fn add_canned(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    JsonBody(form): JsonBody<CannedForm>,
) -> Result<(StatusCode, Json<CannedReply>)> {
    let (shortcut, text) = form.checked()?;
    let reply = state.store.add_canned_reply(caller.store.id, &shortcut, &text).await?;
    Ok((StatusCode::CREATED, Json(reply)))
}

/// `PUT …/canned/{id}`
pub async fn replace_canned(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Path((_, id)): Path<(String, i64)>,
    JsonBody(form): JsonBody<CannedForm>,
) -> Result<Json<CannedReply>> {
    let (shortcut, text) = form.checked()?;
    Ok(Json(state.store.update_canned_reply(caller.store.id, id, &shortcut, &text).await?))
}

/// `DELETE …/canned/{id}`
pub async fn remove_canned(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<StatusCode> {
    if !state.store.remove_canned_reply(caller.store.id, id).await? {
        return Err(Error::not_found(format!("no canned reply {id}")));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The query of `GET …/conversations`.
#[derive(Deserialize)]
pub struct Listing {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    limit: Option<u32>,
    /// Words the shopper wrote, or part of the email they left.
    #[serde(default)]
    q: Option<String>,
    /// Only conversations of shoppers with this tag, open and closed.
    #[serde(default)]
    tag: Option<String>,
}

/// `GET …/conversations?state=closed|open&limit=N`, `?q=TEXT` or `?tag=TAG`: a plain agent gets only the
/// queue's conversations and their own; a search counts against the caller's address like the
/// FAQ's.
pub async fn conversations(
    State(state): State<Arc<AppState>>,
    caller: Caller<Staff>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Query(listing): Query<Listing>,
) -> Result<Json<Vec<ConversationSummary>>> {
    let limit = listing.limit.unwrap_or(50).clamp(1, 200);
    let me = &caller.agent;
    let scope = if me.role.supervises() { Scope::Store } else { Scope::QueueAnd(me.id) };
    if let Some(q) = listing.q.as_deref() {
        state.limits.search(peer.ip()).map_err(|wait| Error::rate_limited("searches", wait))?;
        return Ok(Json(state.store.search_conversations(caller.store.id, q, scope, limit).await?));
    }
    if let Some(tag) = listing.tag.as_deref() {
        let tagged = state.store.conversations_tagged(caller.store.id, tag.trim(), 1_000).await?;
        let mut found = state.store.open_conversations(caller.store.id, scope, 200).await?;
        found.extend(state.store.closed_conversations(caller.store.id, scope, 200).await?);
        found.retain(|c| tagged.contains(&c.id));
        found.truncate(limit as usize);
        return Ok(Json(found));
    }
    let found = match listing.state.as_deref().unwrap_or("open") {
        "open" => state.store.open_conversations(caller.store.id, scope, limit).await?,
        "closed" => state.store.closed_conversations(caller.store.id, scope, limit).await?,
        other => return Err(Error::invalid(format!("state must be open or closed, not {other:?}"))),
    };
    Ok(Json(found))
}

/// `GET …/conversations/{id}/context`
pub async fn context(
    State(state): State<Arc<AppState>>,
    Caller { agent: me, store, .. }: Caller<Staff>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<Json<Value>> {
    let conversation = match state.store.conversation(id).await? {
        Some(c) if c.store_id == store.id => c,
        _ => return Err(Error::not_found(format!("no conversation {id}"))),
    };
    if !may_use(&me, &conversation, Access::Read) {
        return Err(Error::forbidden("this conversation is another agent's"));
    }
    let db = &state.store;
    let summary = db.summary(&conversation).await?;
    let visit = db.visitor_context(&conversation.visitor_id).await?;
    let previous = db.conversations_of_visitor(&conversation.visitor_id, id, 10).await?;
    let notes = db.notes(id).await?;
    // Who the shop says the shopper is: a verified customer, or what an unsigned identify claimed.
    let customer = match db.customer(&conversation.visitor_id).await? {
        Some(c) => Some(json!({"id": c.id, "email": c.email, "name": c.name, "verified": true})),
        None => match db.claimed_contact(&conversation.visitor_id).await? {
            (None, None) => None,
            (email, name) => Some(json!({"id": null, "email": email, "name": name, "verified": false})),
        },
    };
    let attributes = db.attributes(&conversation.visitor_id).await?;
    let tags = db.tags_of(&conversation.visitor_id).await?;
    Ok(Json(json!({
        "customer": customer,
        "attributes": attributes,
        "tags": tags,
        "conversation": summary,
        "visitor_id": conversation.visitor_id,
        "email": summary.follow_up_email,
        "referrer": visit.referrer,
        "language": visit.language,
        "time_zone": visit.time_zone,
        "pages": visit.pages,
        "previous": previous,
        "notes": notes,
    })))
}
