//! HTTP routes: health, the loader and widget assets, the demo storefront, the widget's
//! configuration call, FAQ search, the back office (`admin`) and the two WebSocket endpoints.

mod admin;
mod assets;
mod body;
mod caller;
mod console;
mod faq;
mod origin;
mod privacy;
mod session;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, patch, put};
use axum::{Json, Router};
use protocol::ErrorCode;
use tower_http::trace::TraceLayer;

pub use assets::Assets;
pub use caller::is_admin;
pub use console::{parse_colour, parse_position};
pub use origin::{origin_allowed, parse_origin, same_origin_only};
pub(crate) use session::BUSY_WAIT;

use crate::app::AppState;
use crate::ws;

/// Builds the relay's router.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
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
        .route("/api/session", get(session::current).post(session::sign_in).delete(session::sign_out))
        .route("/api/stores/{key}/team", get(console::team).post(console::add_member))
        .route("/api/stores/{key}/team/{id}", patch(console::change_member))
        .route("/api/stores/{key}/settings", get(console::settings).put(console::save_settings))
        .route("/api/stores/{key}/canned", get(console::canned).post(console::add_canned))
        .route("/api/stores/{key}/canned/{id}", put(console::replace_canned).delete(console::remove_canned))
        .route("/api/stores/{key}/conversations", get(console::conversations))
        .route("/api/stores/{key}/conversations/{id}/context", get(console::context))
        .route("/api/stores/{key}/visitors/{id}", axum::routing::delete(privacy::delete))
        .route("/api/stores/{key}/visitors/{id}/export", get(privacy::export))
        .route("/ws/visitor", get(ws::visitor::upgrade))
        .route("/ws/agent", get(ws::agent::upgrade))
        .fallback(|| async { api_error(StatusCode::NOT_FOUND, ErrorCode::NotFound, "no such page") })
        .layer(axum::middleware::from_fn(caller::csrf_guard))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A JSON error body, `{"error":{"code":…,"message":…}}`, with the same codes as error frames.
pub fn api_error(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "error": { "code": code, "message": message.into() } });
    (status, Json(body)).into_response()
}

/// A 429 for a client over a limit, with `Retry-After` in whole seconds.
pub fn too_many(what: &str, wait: std::time::Duration) -> Response {
    let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
    let mut response = api_error(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        format!("too many {what}; try again in {secs} s"),
    );
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    response
}

impl IntoResponse for crate::ws::Refusal {
    fn into_response(self) -> Response {
        api_error(StatusCode::INTERNAL_SERVER_ERROR, self.code, self.message)
    }
}

/// The 404 every API answers for a store key it does not know (or may not show the caller).
fn unknown_store(key: &str) -> Response {
    api_error(StatusCode::NOT_FOUND, ErrorCode::UnknownStore, format!("no store has the key {key:?}"))
}

/// The store with this public key, or the answer for an unknown one.
async fn known_store(state: &AppState, key: &str) -> Result<crate::store::StoreRecord, Response> {
    match state.store.store_by_key(key).await {
        Ok(Some(store)) => Ok(store),
        Ok(None) => Err(unknown_store(key)),
        Err(e) => Err(crate::ws::Refusal::from(e).into_response()),
    }
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

/// What the widget needs before any socket exists: `GET /api/stores/{key}/widget`.
/// Answered only to pages the store allows (CORS echoes the origin).
async fn widget_settings(State(state): State<Arc<AppState>>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    let store = match known_store(&state, &key).await {
        Ok(store) => store,
        Err(refused) => return refused,
    };
    if let Err(refused) = origin_allowed(&store, &headers) {
        return refused;
    }
    let look = match state.store.settings(store.id).await {
        Ok(look) => look,
        Err(e) => return crate::ws::Refusal::from(e).into_response(),
    };
    let settings = serde_json::json!({
        "key": store.key, "name": look.name, "greeting": look.greeting,
        "colour": look.colour, "position": look.position,
    });
    with_cors(Json(settings).into_response(), &headers)
}
