//! The links in emails: `GET /e/r/{token}` reopens the conversation in the widget on the
//! shop's page, `GET`/`POST /e/u/{token}` unsubscribes the address (the `GET` asks first, so
//! a mail scanner that follows links unsubscribes nobody; mail clients' one-click `POST`
//! (RFC 8058) does it at once).
//!
//! The reopen link leads to the latest page the shopper was on that the store allows (else
//! the store's first origin), with `#parley=<visitor token>`: the loader there keeps the token,
//! drops it from the address bar and opens the chat as that shopper.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::mail::{escape, Link};
use crate::state::AppState;
use crate::store::StoreRecord;

/// A small page in the relay's own words (no shop content but escaped names).
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width\"><title>{title}</title></head><body style=\"font-family:sans-serif;\
         max-width:32rem;margin:3rem auto;padding:0 1rem\"><h1>{title}</h1>{body}</body></html>",
        title = escape(title)
    );
    let mut response = (status, Html(html)).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

fn invalid() -> Response {
    page(StatusCode::NOT_FOUND, "This link does not work", "<p>It is not valid, or it has expired.</p>")
}

fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    matches!(parsed.scheme(), "http" | "https").then(|| parsed.origin().ascii_serialization())
}

/// Where the shopper goes back to: their latest page on an origin the store allows, else the
/// store's first origin (the relay's own storefront for `self`).
async fn landing(state: &AppState, store: &StoreRecord, visitor_id: &str) -> crate::error::Result<Option<String>> {
    let own = origin_of(state.mail.public_url());
    let allowed =
        |origin: &str| store.origins.iter().any(|o| o == origin || (o == "self" && own.as_deref() == Some(origin)));
    for url in state.store.recent_pages(visitor_id).await? {
        match origin_of(&url) {
            Some(origin) if allowed(&origin) => return Ok(Some(url)),
            _ => {}
        }
    }
    Ok(store.origins.iter().find(|o| *o != "self").map(|o| format!("{o}/")).or_else(|| {
        let own_pages = store.key == crate::app::DEMO_STORE_KEY && store.origins.iter().any(|o| o == "self");
        own_pages.then(|| format!("{}/demo/", state.mail.public_url()))
    }))
}

/// `GET /e/r/{token}`
pub async fn reopen(State(state): State<Arc<AppState>>, Path(token): Path<String>) -> Response {
    let Some(Link::Reopen { store_id, conversation_id, visitor_id }) =
        state.mail.links().verify(&token, crate::store::now_millis())
    else {
        return invalid();
    };
    let gone = || page(StatusCode::GONE, "This conversation is no longer here", "<p>It may have been deleted.</p>");
    let found = async {
        let store = state.store.store_by_id(store_id).await.map_err(crate::error::Error::from)?;
        let conversation = state.store.conversation(conversation_id).await?;
        let Some(store) = store.filter(|_| conversation.is_some_and(|c| c.visitor_id == visitor_id)) else {
            return Ok(None);
        };
        landing(&state, &store, &visitor_id).await
    };
    match found.await {
        Ok(Some(url)) => {
            let base = url.split('#').next().unwrap_or_default();
            let token = state.tokens.sign(store_id, &visitor_id);
            Redirect::to(&format!("{base}#parley={token}")).into_response()
        }
        Ok(None) => gone(),
        Err(error) => error.into_response(),
    }
}

/// `GET /e/u/{token}`: asks before unsubscribing.
pub async fn ask_unsubscribe(State(state): State<Arc<AppState>>, Path(token): Path<String>) -> Response {
    let Some((store, email)) = unsubscribe_link(&state, &token).await else { return invalid() };
    page(
        StatusCode::OK,
        "Unsubscribe",
        &format!(
            "<p>Stop emails from {} to {}?</p><form method=\"post\"><button type=\"submit\">Unsubscribe</button></form>",
            escape(&store.name),
            escape(&email)
        ),
    )
}

/// `POST /e/u/{token}`: unsubscribes (the page's button, or a mail client's one click).
pub async fn unsubscribe(State(state): State<Arc<AppState>>, Path(token): Path<String>) -> Response {
    let Some((store, email)) = unsubscribe_link(&state, &token).await else { return invalid() };
    match state.store.unsubscribe(store.id, &email, crate::store::now_millis()).await {
        Ok(()) => page(
            StatusCode::OK,
            "You are unsubscribed",
            &format!("<p>{} will send no more emails to {}.</p>", escape(&store.name), escape(&email)),
        ),
        Err(error) => crate::error::Error::from(error).into_response(),
    }
}

async fn unsubscribe_link(state: &AppState, token: &str) -> Option<(StoreRecord, String)> {
    let Link::Unsubscribe { store_id, email } = state.mail.links().verify(token, crate::store::now_millis())? else {
        return None;
    };
    Some((state.store.store_by_id(store_id).await.ok()??, email))
}
