//! The shop's own words (the console's Settings): every automatic text in each language the
//! bot speaks, with its default and placeholders (`GET /api/stores/{key}/bot/texts`, for the
//! whole team: the console prefills the closing question from it), a store's version of one
//! (`PUT …/bot/texts/{name}/{lang}`, owners and admins, checked: an unknown placeholder is
//! refused), and back to the default (`DELETE` the same). A change applies to the next message.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use protocol::{BotText, BotTextForm};

use super::body::JsonBody;
use super::caller::{Admin, Caller, Staff};
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::texts::words::StoreWords;
use crate::texts::{Key, Lang};

fn view(words: &StoreWords, key: Key, lang: Lang) -> BotText {
    BotText {
        name: key.name().to_owned(),
        lang: lang.code().to_owned(),
        default: words.fallback(key, lang).to_owned(),
        text: words.own(key, lang).map(str::to_owned),
        placeholders: key.placeholders().into_iter().map(str::to_owned).collect(),
    }
}

/// The text and language a path names.
fn named(name: &str, lang: &str) -> Result<(Key, Lang)> {
    let key = Key::from_name(name).ok_or_else(|| Error::not_found(format!("no text {name:?}")))?;
    let lang = Lang::from_code(lang).ok_or_else(|| Error::not_found(format!("no language {lang:?}: en or zh")))?;
    Ok((key, lang))
}

/// `GET …/bot/texts`: every text in every language.
pub async fn list(State(state): State<Arc<AppState>>, caller: Caller<Staff>) -> Result<Json<Vec<BotText>>> {
    let words = state.bot.words.of(caller.store.id).await?;
    let all = Key::all().flat_map(|key| Lang::ALL.map(|lang| view(&words, key, lang))).collect();
    Ok(Json(all))
}

/// `PUT …/bot/texts/{name}/{lang}`: the store's version, trimmed and checked.
pub async fn set(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Path((_, name, lang)): Path<(String, String, String)>,
    JsonBody(form): JsonBody<BotTextForm>,
) -> Result<Json<BotText>> {
    let (key, lang) = named(&name, &lang)?;
    let text = form.text.trim();
    chat_model::texts::check(text, &key.placeholders()).map_err(Error::invalid)?;
    state.store.set_store_text(caller.store.id, key.name(), lang.code(), Some(text)).await?;
    state.bot.words.changed(caller.store.id);
    let words = state.bot.words.of(caller.store.id).await?;
    Ok(Json(view(&words, key, lang)))
}

/// `DELETE …/bot/texts/{name}/{lang}`: back to the default.
pub async fn reset(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Path((_, name, lang)): Path<(String, String, String)>,
) -> Result<Json<BotText>> {
    let (key, lang) = named(&name, &lang)?;
    state.store.set_store_text(caller.store.id, key.name(), lang.code(), None).await?;
    state.bot.words.changed(caller.store.id);
    let words = state.bot.words.of(caller.store.id).await?;
    Ok(Json(view(&words, key, lang)))
}
