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
use axum::http::StatusCode;
use axum::Json;
use protocol::ErrorCode;
use serde_json::{json, Value};

use super::body::JsonBody;
use super::caller::{Admin, Caller, Staff};
use crate::error::{Error, Result};
use crate::faq::article_json;
use crate::faq::import::{parse_article, ImportError};
use crate::state::AppState;
use crate::store::StoreRecord;

fn invalid(error: ImportError) -> Error {
    Error::invalid(error.to_string())
}

/// Stores one article and brings the search index up to date before answering.
async fn save(state: &AppState, store: &StoreRecord, article: crate::store::Article) -> Result<Value> {
    let json = article_json(&article);
    state.store.upsert_articles(store.id, vec![article]).await?;
    state.faq.sync(&state.store).await?;
    Ok(json)
}

/// `GET …/faq/articles`
pub async fn list(State(state): State<Arc<AppState>>, caller: Caller<Staff>) -> Result<Json<Vec<Value>>> {
    let articles = state.store.articles(caller.store.id).await?;
    Ok(Json(articles.iter().map(article_json).collect()))
}

/// `POST …/faq/articles`
pub async fn create(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    JsonBody(body): JsonBody<Value>,
) -> Result<(StatusCode, Json<Value>)> {
    let article = parse_article(1, &body).map_err(invalid)?;
    if state.store.article(caller.store.id, &article.id).await?.is_some() {
        return Err(Error::new(ErrorCode::AlreadyExists, format!("article {} exists", article.id_json)));
    }
    Ok((StatusCode::CREATED, Json(save(&state, &caller.store, article).await?)))
}

/// `PUT …/faq/articles/{id}`
pub async fn replace(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Path((_, id)): Path<(String, String)>,
    JsonBody(mut body): JsonBody<Value>,
) -> Result<Json<Value>> {
    // The path names the article; a number-like id stays a number, as an import would keep it.
    if let Some(object) = body.as_object_mut() {
        let id_value = id.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(id.clone()));
        object.insert("id".into(), id_value);
    }
    let article = parse_article(1, &body).map_err(invalid)?;
    Ok(Json(save(&state, &caller.store, article).await?))
}

/// `DELETE …/faq/articles/{id}`
pub async fn remove(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Path((_, id)): Path<(String, String)>,
) -> Result<StatusCode> {
    if !state.store.delete_article(caller.store.id, &id).await? {
        return Err(Error::not_found(format!("no article {id:?}")));
    }
    state.faq.sync(&state.store).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET …/faq/unanswered?limit=N`
pub async fn unanswered(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Query(params): Query<HashMap<String, String>>,
) -> Result<Json<Vec<Value>>> {
    let limit = params.get("limit").and_then(|l| l.parse::<u32>().ok()).unwrap_or(20).clamp(1, 200);
    let rows = state.store.top_unanswered(caller.store.id, limit).await?;
    Ok(Json(rows.into_iter().map(|(question, count)| json!({ "question": question, "count": count })).collect()))
}

/// `GET …/faq/feedback`
pub async fn feedback(State(state): State<Arc<AppState>>, caller: Caller<Admin>) -> Result<Json<Value>> {
    let (helpful, not_helpful) = state.store.feedback_counts(caller.store.id).await?;
    Ok(Json(json!({ "helpful": helpful, "not_helpful": not_helpful })))
}
