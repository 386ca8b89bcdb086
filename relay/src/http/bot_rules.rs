//! The bot's keyword rules for owners and admins (the console's Bot rules page):
//! `GET`/`POST /api/stores/{key}/bot/rules`, `PUT`/`DELETE …/bot/rules/{id}`,
//! `PUT …/bot/rules/order` and `POST …/bot/test`, which says what the rules make of a message
//! without anyone writing it. A change applies to the next shopper message.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use protocol::{
    BotRuleForm, BotRuleView, RuleMatch, RuleOrder, RuleTest, RuleTestResult, MAX_RULES_PER_STORE,
    MAX_RULE_PATTERN_CHARS, MAX_RULE_REPLY_CHARS, MAX_TEXT_CHARS,
};

use super::body::JsonBody;
use super::caller::{Admin, Caller};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::BotRule;

fn view(rule: BotRule) -> BotRuleView {
    let kind = match rule.kind.as_str() {
        "exact" => RuleMatch::Exact,
        "fuzzy" => RuleMatch::Fuzzy,
        _ => RuleMatch::Contains,
    };
    BotRuleView { id: rule.id, kind, pattern: rule.pattern, reply: rule.reply }
}

/// A form's pattern and reply, trimmed and within their limits.
fn checked(form: &BotRuleForm) -> Result<(String, String)> {
    let pattern = form.pattern.trim();
    let reply = form.reply.trim();
    if crate::bot::rules::normalize(pattern).is_empty() {
        return Err(Error::invalid("the pattern needs a letter or a digit"));
    }
    if pattern.chars().count() > MAX_RULE_PATTERN_CHARS {
        return Err(Error::invalid(format!("a pattern has at most {MAX_RULE_PATTERN_CHARS} characters")));
    }
    if reply.is_empty() || reply.chars().count() > MAX_RULE_REPLY_CHARS {
        return Err(Error::invalid(format!("a reply has 1 to {MAX_RULE_REPLY_CHARS} characters")));
    }
    Ok((pattern.to_owned(), reply.to_owned()))
}

/// `GET …/bot/rules`: in the order they are tried.
pub async fn list(State(state): State<Arc<AppState>>, caller: Caller<Admin>) -> Result<Json<Vec<BotRuleView>>> {
    let rules = state.store.bot_rules(caller.store.id).await?;
    Ok(Json(rules.into_iter().map(view).collect()))
}

/// `POST …/bot/rules`: tried after the others.
pub async fn add(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    JsonBody(form): JsonBody<BotRuleForm>,
) -> Result<(StatusCode, Json<BotRuleView>)> {
    let store_id = caller.store.id;
    let (pattern, reply) = checked(&form)?;
    if state.store.bot_rules(store_id).await?.len() >= MAX_RULES_PER_STORE {
        return Err(Error::invalid(format!("a store has at most {MAX_RULES_PER_STORE} rules")));
    }
    let rule = state.store.append_bot_rule(store_id, form.kind.as_str(), &pattern, &reply).await?;
    state.bot.rules_changed(store_id);
    Ok((StatusCode::CREATED, Json(view(rule))))
}

/// `PUT …/bot/rules/{id}`
pub async fn change(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Path((_, id)): Path<(String, i64)>,
    JsonBody(form): JsonBody<BotRuleForm>,
) -> Result<Json<BotRuleView>> {
    let (pattern, reply) = checked(&form)?;
    let store_id = caller.store.id;
    let Some(rule) = state.store.update_bot_rule(store_id, id, form.kind.as_str(), &pattern, &reply).await? else {
        return Err(Error::not_found(format!("no rule {id}")));
    };
    state.bot.rules_changed(store_id);
    Ok(Json(view(rule)))
}

/// `DELETE …/bot/rules/{id}`
pub async fn remove(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Path((_, id)): Path<(String, i64)>,
) -> Result<StatusCode> {
    if !state.store.delete_bot_rule(caller.store.id, id).await? {
        return Err(Error::not_found(format!("no rule {id}")));
    }
    state.bot.rules_changed(caller.store.id);
    Ok(StatusCode::NO_CONTENT)
}

/// `PUT …/bot/rules/order`: every rule's id, first tried first.
pub async fn reorder(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    JsonBody(order): JsonBody<RuleOrder>,
) -> Result<Json<Vec<BotRuleView>>> {
    let store_id = caller.store.id;
    if order.ids.len() > MAX_RULES_PER_STORE || !state.store.reorder_bot_rules(store_id, order.ids).await? {
        return Err(Error::invalid("the order must name each of the store's rules once"));
    }
    state.bot.rules_changed(store_id);
    list(State(state), caller).await
}

/// `POST …/bot/test`: what the rules make of a message.
pub async fn test(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    JsonBody(probe): JsonBody<RuleTest>,
) -> Result<Json<RuleTestResult>> {
    if probe.text.trim().is_empty() || probe.text.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::invalid(format!("a message has 1 to {MAX_TEXT_CHARS} characters")));
    }
    let (wants_a_person, rule) = state.bot.test_rules(caller.store.id, &probe.text).await?;
    Ok(Json(RuleTestResult { wants_a_person, rule: rule.map(view) }))
}
