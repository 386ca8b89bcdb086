//! HTTP routes: health, the loader and widget assets, the demo storefront, the widget's
//! configuration call, FAQ search, the back office (`admin`) and the two WebSocket endpoints.

mod admin;
mod assets;
mod body;
mod bot_rules;
mod bot_texts;
mod caller;
mod console;
mod email_links;
mod faq;
mod identity;
mod integrations;
pub mod metrics;
mod orders;
mod privacy;
mod proactive;
mod reports;
mod session;
mod tags;
mod visitors_now;
mod webhooks;

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, patch, post, put};
use axum::{Extension, Json, Router};
use tower_http::trace::TraceLayer;

pub use assets::Assets;

use crate::error::{Error, Result};
use crate::origin::origin_allowed;
use crate::state::AppState;

/// Builds the relay's router: these routes, the embedded `assets`, and `sockets` (the
/// WebSocket endpoints, which live in `ws`).
pub fn router(state: Arc<AppState>, assets: Assets, sockets: Router<Arc<AppState>>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/favicon.ico", get(favicon))
        .route("/favicon.svg", get(favicon))
        .route("/", get(|| async { Redirect::temporary("/demo/") }))
        .route("/widget.js", get(assets::loader))
        .route("/assets/{*path}", get(assets::widget_file))
        .route("/demo", get(|| async { Redirect::permanent("/demo/") }))
        .route("/demo/", get(assets::storefront_index))
        .route("/demo/{*path}", get(assets::storefront_file))
        .route("/api/stores/{key}/widget", get(widget_settings))
        .route("/api/stores/{key}/faq/search", get(faq::search))
        .route("/api/stores/{key}/faq/articles", get(admin::list).post(admin::create))
        .route("/api/stores/{key}/faq/articles/{id}", get(faq::article).put(admin::replace).delete(admin::remove))
        .route("/api/stores/{key}/faq/unanswered", get(admin::unanswered))
        .route("/api/stores/{key}/faq/feedback", get(admin::feedback))
        .route("/console", get(|| async { Redirect::permanent("/console/") }))
        .route("/console/", get(assets::console_index))
        .route("/console/{*path}", get(assets::console_file))
        .route("/e/r/{token}", get(email_links::reopen))
        .route("/e/u/{token}", get(email_links::ask_unsubscribe).post(email_links::unsubscribe))
        .route("/api/session", get(session::current).post(session::sign_in).delete(session::sign_out))
        .route("/api/stores/{key}/team", get(console::team).post(console::add_member))
        .route("/api/stores/{key}/team/{id}", patch(console::change_member))
        .route("/api/stores/{key}/settings", get(console::settings).put(console::save_settings))
        .route("/api/stores/{key}/canned", get(console::canned).post(console::add_canned))
        .route("/api/stores/{key}/canned/{id}", put(console::replace_canned).delete(console::remove_canned))
        .route("/api/stores/{key}/conversations", get(console::conversations))
        .route("/api/stores/{key}/conversations/{id}/context", get(console::context))
        .route("/api/stores/{key}/conversations/{id}/orders", get(orders::orders))
        .route("/api/stores/{key}/tags", get(tags::store_tags))
        .route("/api/stores/{key}/conversations/{id}/tags", post(tags::add))
        .route("/api/stores/{key}/conversations/{id}/tags/{tag}", axum::routing::delete(tags::remove))
        .route("/api/stores/{key}/identity-secret", post(identity::secret))
        .route("/api/stores/{key}/integrations", get(integrations::get).put(integrations::put))
        .route("/api/stores/{key}/bot/rules", get(bot_rules::list).post(bot_rules::add))
        .route("/api/stores/{key}/bot/rules/order", put(bot_rules::reorder))
        .route("/api/stores/{key}/bot/rules/{id}", put(bot_rules::change).delete(bot_rules::remove))
        .route("/api/stores/{key}/bot/test", post(bot_rules::test))
        .route("/api/stores/{key}/bot/texts", get(bot_texts::list))
        .route("/api/stores/{key}/proactive", get(proactive::list).post(proactive::add))
        .route("/api/stores/{key}/visitors/live", get(visitors_now::live))
        .route("/api/stores/{key}/visitors/{id}/chat", post(visitors_now::start))
        .route("/api/stores/{key}/proactive/{id}", put(proactive::change).delete(proactive::remove))
        .route("/api/stores/{key}/bot/texts/{name}/{lang}", put(bot_texts::set).delete(bot_texts::reset))
        .route("/api/stores/{key}/webhooks", get(webhooks::list).post(webhooks::add))
        .route("/api/stores/{key}/webhooks/{id}", put(webhooks::change).delete(webhooks::remove))
        .route("/api/stores/{key}/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route("/api/stores/{key}/reports", get(reports::report))
        .route("/api/stores/{key}/reports/{table}", get(reports::table))
        .route("/api/stores/{key}/visitors/{id}", axum::routing::delete(privacy::delete))
        .route("/api/stores/{key}/visitors/{id}/export", get(privacy::export))
        .merge(sockets)
        .fallback(|| async { Error::not_found("no such page") })
        .layer(Extension(Arc::new(assets)))
        .layer(axum::middleware::from_fn(caller::csrf_guard))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::map_response(metrics::count_status))
        .with_state(state)
}

/// The relay's icon (a chat bubble), for the console's tab and any page's `/favicon.ico`.
async fn favicon() -> Response {
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("image/svg+xml")),
        (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400")),
    ];
    (headers, include_str!("favicon.svg")).into_response()
}

/// The store with this public key, or `unknown_store`.
async fn known_store(state: &AppState, key: &str) -> Result<crate::store::StoreRecord> {
    state.store.store_by_key(key).await?.ok_or_else(|| Error::unknown_store(key))
}

/// Lets the calling page read the answer (its origin was checked): CORS echoes the origin.
fn with_cors(mut response: Response, headers: &HeaderMap) -> Response {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
    }
    response
}

/// The widget's language, for the texts in the shop's own words.
#[derive(serde::Deserialize)]
struct WidgetQuery {
    lang: Option<String>,
}

/// What the widget needs before any socket exists: `GET /api/stores/{key}/widget?lang=…`
/// (the browser's language picks the greeting). Answered only to pages the store allows (CORS
/// echoes the origin).
async fn widget_settings(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    Query(query): Query<WidgetQuery>,
    headers: HeaderMap,
) -> Result<Response> {
    let store = known_store(&state, &key).await?;
    origin_allowed(&store, &headers)?;
    let look = state.store.settings(store.id).await?;
    let lang = crate::texts::Lang::of_browser(query.lang.as_deref().unwrap_or("en"));
    let greeting = state.bot.words.of(store.id).await?.greeting(lang);
    // The widget decides on the page which proactive message, if any, to show.
    let mut proactive = state.store.proactive_rules(store.id).await?;
    proactive.retain(|r| r.rule.enabled);
    // Whether someone is there to answer now: the widget promises a reply only then, and
    // otherwise says when the team is back.
    let away = crate::bot::away::nobody_there(&state.bot, store.id).await?;
    let back_at = away.as_ref().and_then(|b| b.next.as_ref()).map(|z| z.timestamp().as_millisecond());
    // How fast the store really replies (cached in the relay, never computed per page view).
    let claim = state.reports.reply_times.claim(store.id, crate::store::now_millis()).await?;
    let settings = serde_json::json!({
        "key": store.key, "name": look.name, "greeting": greeting,
        "colour": look.colour, "text_colour": chat_model::look::text_on(&look.colour),
        "position": look.position, "available": away.is_none(), "back_at": back_at,
        "reply_time": claim.reply_time, "very_responsive": claim.very_responsive, "csat": look.csat,
        "email": state.mail.enabled(), "proactive": proactive,
        "live": look.live_visitors, "agent_chat_opens": look.agent_chat_opens,
    });
    Ok(with_cors(Json(settings).into_response(), &headers))
}
