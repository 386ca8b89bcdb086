//! Proactive message rules for owners and admins (the console's Bot page):
//! `GET`/`POST /api/stores/{key}/proactive`, `PUT`/`DELETE …/proactive/{id}`. The widget gets
//! the enabled ones with its settings and decides on the page (`chat_model::proactive`), so a
//! change reaches each page at its next load.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use protocol::{ProactiveForm, ProactiveRule, MAX_PROACTIVE_CHARS, MAX_PROACTIVE_RULES};

use super::body::JsonBody;
use super::caller::{Admin, Caller};
use crate::error::{Error, Result};
use crate::state::AppState;

/// Most characters of a pattern.
const MAX_PATTERN_CHARS: usize = 200;
/// The longest wait a rule may name: an hour on one page.
const MAX_AFTER_SECS: u32 = 3_600;

/// The form, trimmed, once acceptable.
fn checked(mut form: ProactiveForm) -> Result<ProactiveForm> {
    form.pattern = form.pattern.trim().to_owned();
    form.message = form.message.trim().to_owned();
    if !(form.pattern.starts_with('/') || form.pattern.starts_with('*')) {
        return Err(Error::invalid("the pattern is a page's path, like /products/* (starting with / or *)"));
    }
    if form.pattern.chars().count() > MAX_PATTERN_CHARS || form.pattern.chars().any(char::is_control) {
        return Err(Error::invalid(format!("a pattern has at most {MAX_PATTERN_CHARS} characters, on one line")));
    }
    if form.after_secs.is_some_and(|s| s > MAX_AFTER_SECS) {
        return Err(Error::invalid(format!("the wait is at most {MAX_AFTER_SECS} seconds")));
    }
    if form.scroll_percent.is_some_and(|p| p == 0 || p > 100) {
        return Err(Error::invalid("the scroll depth is 1 to 100 per cent"));
    }
    if form.message.is_empty() || form.message.chars().count() > MAX_PROACTIVE_CHARS {
        return Err(Error::invalid(format!("a message has 1 to {MAX_PROACTIVE_CHARS} characters")));
    }
    Ok(form)
}

/// `GET …/proactive`: in the order the widget tries them.
pub async fn list(State(state): State<Arc<AppState>>, caller: Caller<Admin>) -> Result<Json<Vec<ProactiveRule>>> {
    Ok(Json(state.store.proactive_rules(caller.store.id).await?))
}

/// `POST …/proactive`: tried after the others.
pub async fn add(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    JsonBody(form): JsonBody<ProactiveForm>,
) -> Result<(StatusCode, Json<ProactiveRule>)> {
    let form = checked(form)?;
    if state.store.proactive_rules(caller.store.id).await?.len() >= MAX_PROACTIVE_RULES {
        return Err(Error::invalid(format!("a store has at most {MAX_PROACTIVE_RULES} proactive rules")));
    }
    let rule = state.store.add_proactive_rule(caller.store.id, &form).await?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// `PUT …/proactive/{id}`
pub async fn change(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Path((_, id)): Path<(String, i64)>,
    JsonBody(form): JsonBody<ProactiveForm>,
) -> Result<Json<ProactiveRule>> {
    let rule = checked(form)?;
    if !state.store.change_proactive_rule(caller.store.id, id, &rule).await? {
        return Err(Error::not_found(format!("no proactive rule {id}")));
    }
    Ok(Json(ProactiveRule { id, rule }))
}

/// `DELETE …/proactive/{id}`
pub async fn remove(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<StatusCode> {
    if !state.store.remove_proactive_rule(caller.store.id, id).await? {
        return Err(Error::not_found(format!("no proactive rule {id}")));
    }
    Ok(StatusCode::NO_CONTENT)
}
