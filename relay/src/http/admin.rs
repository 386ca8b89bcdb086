//! The store's back office over HTTP, for owners and admins: the FAQ's articles, the questions
//! nobody could answer, and what shoppers said of the bot's answers.
//!
//! Requests carry an agent session: the console's cookie or `Authorization: Bearer TOKEN`
//! (see [`super::caller`] for who may call what).
//!
//! - `GET /api/stores/{key}/faq/articles`: every article (any agent of the store)
//! - `POST /api/stores/{key}/faq/articles`: add one (201; 409 when the id is taken)
//! - `PUT /api/stores/{key}/faq/articles/{id}`: add or replace one
//! - `DELETE /api/stores/{key}/faq/articles/{id}`: remove one (204; 404)
//! - `GET /api/stores/{key}/faq/unanswered?limit=N`: the most frequent unanswered questions
//! - `GET /api/stores/{key}/faq/feedback`: how often the bot's answers helped

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::ErrorCode;
use serde_json::{json, Value};

use super::api_error;
use super::body::JsonBody;
use super::caller::{caller, Need};
use crate::app::AppState;
use crate::faq::article_json;
use crate::faq::import::{parse_article, ImportError};
use crate::store::StoreRecord;
use crate::ws::Refusal;

fn invalid(error: ImportError) -> Response {
    api_error(StatusCode::BAD_REQUEST, ErrorCode::InvalidValue, error.to_string())
}

fn failed(error: crate::store::StoreError) -> Response {
    Refusal::from(error).into_response()
}

/// Stores one article and brings the search index up to date before answering.
async fn save(state: &AppState, store: &StoreRecord, article: crate::store::Article) -> Result<Value, Response> {
    let json = article_json(&article);
    state.store.upsert_articles(store.id, vec![article]).await.map_err(failed)?;
    state.faq.sync(&state.store).await.map_err(failed)?;
    Ok(json)
}

/// `GET …/faq/articles`
pub async fn list(State(state): State<Arc<AppState>>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    let (_, store) = match caller(&state, &headers, &key, Need::Staff).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    match state.store.articles(store.id).await {
        Ok(articles) => Json(articles.iter().map(article_json).collect::<Vec<_>>()).into_response(),
        Err(e) => failed(e),
    }
}

/// `POST …/faq/articles`
pub async fn create(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<Value>,
) -> Response {
    let (_, store) = match caller(&state, &headers, &key, Need::Admin).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    let article = match parse_article(1, &body) {
        Ok(article) => article,
        Err(e) => return invalid(e),
    };
    match state.store.article(store.id, &article.id).await {
        Ok(Some(_)) => {
            return api_error(
                StatusCode::CONFLICT,
                ErrorCode::AlreadyExists,
                format!("article {} exists", article.id_json),
            )
        }
        Ok(None) => {}
        Err(e) => return failed(e),
    }
    match save(&state, &store, article).await {
        Ok(json) => (StatusCode::CREATED, Json(json)).into_response(),
        Err(refused) => refused,
    }
}

/// `PUT …/faq/articles/{id}`
pub async fn replace(
    State(state): State<Arc<AppState>>,
    Path((key, id)): Path<(String, String)>,
    headers: HeaderMap,
    JsonBody(mut body): JsonBody<Value>,
) -> Response {
    let (_, store) = match caller(&state, &headers, &key, Need::Admin).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    // The path names the article; a number-like id stays a number, as an import would keep it.
    if let Some(object) = body.as_object_mut() {
        let id_value = id.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(id.clone()));
        object.insert("id".into(), id_value);
    }
    let article = match parse_article(1, &body) {
        Ok(article) => article,
        Err(e) => return invalid(e),
    };
    match save(&state, &store, article).await {
        Ok(json) => Json(json).into_response(),
        Err(refused) => refused,
    }
}

/// `DELETE …/faq/articles/{id}`
pub async fn remove(
    State(state): State<Arc<AppState>>,
    Path((key, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (_, store) = match caller(&state, &headers, &key, Need::Admin).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    match state.store.delete_article(store.id, &id).await {
        Ok(true) => match state.faq.sync(&state.store).await {
            Ok(_) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => failed(e),
        },
        Ok(false) => api_error(StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("no article {id:?}")),
        Err(e) => failed(e),
    }
}

/// `GET …/faq/unanswered?limit=N`
pub async fn unanswered(
    State(state): State<Arc<AppState>>,
    Path(key): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (_, store) = match caller(&state, &headers, &key, Need::Admin).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    let limit = params.get("limit").and_then(|l| l.parse::<u32>().ok()).unwrap_or(20).clamp(1, 200);
    match state.store.top_unanswered(store.id, limit).await {
        Ok(rows) => Json(
            rows.into_iter()
                .map(|(question, count)| json!({ "question": question, "count": count }))
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(e) => failed(e),
    }
}

/// `GET …/faq/feedback`
pub async fn feedback(State(state): State<Arc<AppState>>, Path(key): Path<String>, headers: HeaderMap) -> Response {
    let (_, store) = match caller(&state, &headers, &key, Need::Admin).await {
        Ok(c) => c,
        Err(refused) => return refused,
    };
    match state.store.feedback_counts(store.id).await {
        Ok((helpful, not_helpful)) => Json(json!({ "helpful": helpful, "not_helpful": not_helpful })).into_response(),
        Err(e) => failed(e),
    }
}
