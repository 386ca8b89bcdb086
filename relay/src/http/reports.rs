//! The console's reports, for owners and admins: `GET …/reports?period=…` (JSON, see
//! `protocol::Report`) and `GET …/reports/{table}.csv` with the same query, one CSV per table.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::Report;

use super::caller::{Admin, Caller};
use crate::error::{Error, Result};
use crate::reports::{csv, Period};
use crate::state::AppState;

/// Computes the caller's store's report for the period the query names (`period` = today, 7d
/// (the default), 30d or custom with `from` and `to`).
async fn report_for(state: &AppState, caller: &Caller<Admin>, query: &HashMap<String, String>) -> Result<Report> {
    let settings = state.store.settings(caller.store.id).await?;
    let zone = jiff::tz::TimeZone::get(&settings.timezone).unwrap_or(jiff::tz::TimeZone::UTC);
    let period = Period::parse(
        query.get("period").map_or("7d", String::as_str),
        query.get("from").map(String::as_str),
        query.get("to").map(String::as_str),
        zone,
        jiff::Timestamp::now(),
    )
    .map_err(Error::invalid)?;
    state.reports.report(caller.store.id, period, settings.first_reply_secs).await
}

/// `GET /api/stores/{key}/reports`
pub async fn report(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Report>> {
    Ok(Json(report_for(&state, &caller, &query).await?))
}

/// `GET /api/stores/{key}/reports/{table}.csv`
pub async fn table(
    State(state): State<Arc<AppState>>,
    caller: Caller<Admin>,
    Path((_, file)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response> {
    let name = file
        .strip_suffix(".csv")
        .filter(|n| csv::TABLES.contains(n))
        .ok_or_else(|| Error::not_found(format!("no such table; the tables are {}", csv::TABLES.join(", "))))?;
    let report = report_for(&state, &caller, &query).await?;
    let text = csv::table(&report, name).ok_or_else(|| Error::not_found("no such table"))?;
    let filename = format!("parley-{}-{name}-{}-{}.csv", caller.store.key, report.from, report.to);
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"));
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8")),
        (header::CONTENT_DISPOSITION, disposition),
    ];
    Ok((headers, text).into_response())
}
