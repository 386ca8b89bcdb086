//! "Visitors now" for the whole team: the shoppers on the store's site at this moment
//! (`GET /api/stores/{key}/visitors/live`), and a chat an agent starts with one of them
//! (`POST …/visitors/{id}/chat`): the conversation opens with the agent's message, is theirs,
//! and shows at once in the shopper's widget (the panel opens when the store allows it,
//! otherwise a bubble above the launcher shows the message).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use protocol::{ErrorCode, LiveVisitor, Role, StartChat, MAX_TEXT_CHARS};

use super::body::JsonBody;
use super::caller::{Caller, Staff};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::store::NewMessage;

/// A shopper who came before this visit began (more than this before it) is returning.
const RETURNING_AFTER_MS: i64 = 30 * 60 * 1000;

/// The countries of the time zones most shoppers are in (a zone names a place, not a
/// country; these are the unambiguous ones).
#[rustfmt::skip]
const ZONES: [(&str, &str); 48] = [
    ("Europe/Paris", "FR"), ("Europe/London", "GB"), ("Europe/Berlin", "DE"), ("Europe/Madrid", "ES"),
    ("Europe/Rome", "IT"), ("Europe/Amsterdam", "NL"), ("Europe/Brussels", "BE"), ("Europe/Zurich", "CH"),
    ("Europe/Vienna", "AT"), ("Europe/Stockholm", "SE"), ("Europe/Oslo", "NO"), ("Europe/Copenhagen", "DK"),
    ("Europe/Helsinki", "FI"), ("Europe/Warsaw", "PL"), ("Europe/Prague", "CZ"), ("Europe/Lisbon", "PT"),
    ("Europe/Dublin", "IE"), ("Europe/Athens", "GR"), ("Europe/Istanbul", "TR"), ("Europe/Moscow", "RU"),
    ("Europe/Kyiv", "UA"), ("Europe/Kiev", "UA"), ("America/New_York", "US"), ("America/Chicago", "US"),
    ("America/Denver", "US"), ("America/Los_Angeles", "US"), ("America/Phoenix", "US"), ("Pacific/Honolulu", "US"),
    ("America/Toronto", "CA"), ("America/Vancouver", "CA"), ("America/Mexico_City", "MX"), ("America/Sao_Paulo", "BR"),
    ("America/Argentina/Buenos_Aires", "AR"), ("Asia/Shanghai", "CN"), ("Asia/Hong_Kong", "HK"), ("Asia/Taipei", "TW"),
    ("Asia/Tokyo", "JP"), ("Asia/Seoul", "KR"), ("Asia/Singapore", "SG"), ("Asia/Kolkata", "IN"),
    ("Asia/Dubai", "AE"), ("Asia/Riyadh", "SA"), ("Australia/Sydney", "AU"), ("Australia/Melbourne", "AU"),
    ("Pacific/Auckland", "NZ"), ("Africa/Johannesburg", "ZA"), ("Africa/Cairo", "EG"), ("Africa/Lagos", "NG"),
];

/// The country a shopper's browser says: the one of its time zone when that names one, else the
/// region of its language (`fr-FR` is `FR`).
fn country_of(time_zone: Option<&str>, language: Option<&str>) -> Option<String> {
    if let Some((_, code)) = ZONES.iter().find(|(zone, _)| Some(*zone) == time_zone) {
        return Some((*code).to_owned());
    }
    let region =
        language?.split(['-', '_']).skip(1).find(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_alphabetic()));
    region.map(str::to_ascii_uppercase)
}

/// `GET …/visitors/live`: the latest arrivals first, at most 50. A plain agent sees the open
/// conversation of a shopper only when it is theirs or waits in the queue.
pub async fn live(State(state): State<Arc<AppState>>, caller: Caller<Staff>) -> Result<Json<Vec<LiveVisitor>>> {
    let store_id = caller.store.id;
    let mut listed = Vec::new();
    for (visitor_id, arrived) in state.visitors_here(store_id).await {
        let Some((first_seen, conversations)) = state.store.visitor_history(&visitor_id).await? else { continue };
        let context = state.store.visitor_context(&visitor_id).await?;
        let since = context.pages.last().map_or(arrived, |first| first.at.min(arrived));
        let open = state.store.open_conversation_of(&visitor_id).await?;
        let visible = |id: i64| {
            caller.agent.role != protocol::AgentRole::Agent
                || state.routing.handler(id).is_none_or(|agent| agent == caller.agent.id)
        };
        listed.push(LiveVisitor {
            name: state.store.shopper_name(&visitor_id).await?,
            page: context.pages.first().cloned(),
            since,
            country: country_of(context.time_zone.as_deref(), context.language.as_deref()),
            language: context.language,
            time_zone: context.time_zone,
            returning: conversations > 0 || first_seen < since - RETURNING_AFTER_MS,
            conversation_id: open.map(|c| c.id).filter(|id| visible(*id)),
            visitor_id,
        });
    }
    Ok(Json(listed))
}

/// `POST …/visitors/{id}/chat`: 201 `{"conversation_id"}`. Refused while the shopper is in a
/// conversation (`already_exists`) or no longer on the site (`not_found`).
pub async fn start(
    State(state): State<Arc<AppState>>,
    caller: Caller<Staff>,
    Path((_, visitor_id)): Path<(String, String)>,
    JsonBody(form): JsonBody<StartChat>,
) -> Result<(StatusCode, Json<serde_json::Value>)> {
    let text = form.text.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::invalid(format!("a message has 1 to {MAX_TEXT_CHARS} characters")));
    }
    let store_id = caller.store.id;
    let here = state.live.is_here(store_id, &visitor_id)
        || state.visitors_here(store_id).await.iter().any(|(visitor, _)| *visitor == visitor_id);
    if !here || !state.store.visitor_exists(store_id, &visitor_id).await? {
        return Err(Error::not_found("that shopper is not on the site now"));
    }
    if state.store.open_conversation_of(&visitor_id).await?.is_some() {
        return Err(Error::new(ErrorCode::AlreadyExists, "that shopper is in a conversation already"));
    }
    let conversation = state.chat.open_for(store_id, &visitor_id, || Ok(())).await?;
    state.routing.claim(caller.agent.id, conversation.id).await?;
    let author_id = caller.agent.id.to_string();
    let message = NewMessage {
        role: Role::Agent,
        author_id: &author_id,
        author_name: Some(&caller.agent.name),
        text,
        client_id: None,
        faq_article: None,
        faq_choices: &[],
    };
    state.chat.post(&conversation, &message).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "conversation_id": conversation.id }))))
}

#[cfg(test)]
mod tests {
    use super::country_of;

    #[test]
    fn the_country_comes_from_the_time_zone_then_the_language() {
        assert_eq!(country_of(Some("Asia/Shanghai"), Some("en-US")).as_deref(), Some("CN"));
        assert_eq!(country_of(Some("Etc/UTC"), Some("fr-CA")).as_deref(), Some("CA"));
        assert_eq!(country_of(None, Some("zh-Hans-CN")).as_deref(), Some("CN"));
        assert_eq!(country_of(Some("Etc/UTC"), Some("de")), None);
    }
}
