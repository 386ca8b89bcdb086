//! Reports for owners and admins: every figure of a period in the store's time zone, per day,
//! per agent and per hour of the week, with the articles' votes and the unanswered questions
//! (`GET /api/stores/{key}/reports`, CSV per table); and the reply-time line the widget shows.
//!
//! A report reads one row per conversation of the period (their stored times, never their
//! messages: `conversations_by_start` indexes them) and does the arithmetic in `figures.rs` on
//! the blocking pool. One report per store runs at a time and two in the whole relay, so an
//! admin holding the refresh key slows neither other stores nor the chat.

pub mod csv;
pub mod figures;
pub mod period;
pub mod reply_time;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use protocol::{AgentFigures, Day, Report};
use tokio::sync::Semaphore;

use crate::error::{Error, Result};
use crate::store::{ReportRow, Store};
pub use period::Period;
use protocol::ErrorCode;

/// Reports computed at once in the whole relay.
const AT_ONCE: usize = 2;

/// The reports service.
pub struct Reports {
    store: Store,
    running: Mutex<HashSet<i64>>,
    slots: Semaphore,
    /// The widget's reply-time lines, cached per store.
    pub reply_times: Arc<reply_time::ReplyTimes>,
}

/// Frees the store's turn when its report ends, however it ends.
struct Turn<'a>(&'a Mutex<HashSet<i64>>, i64);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(&self.1);
    }
}

impl Reports {
    /// Reports over `store`.
    pub fn new(store: Store) -> Reports {
        Reports {
            reply_times: Arc::new(reply_time::ReplyTimes::new(store.clone())),
            store,
            running: Mutex::new(HashSet::new()),
            slots: Semaphore::new(AT_ONCE),
        }
    }

    /// The store's report for `period`; refused with `rate_limited` while another report of
    /// the same store is being computed.
    pub async fn report(&self, store_id: i64, period: Period, target_secs: u32) -> Result<Report> {
        if !self.running.lock().unwrap_or_else(|p| p.into_inner()).insert(store_id) {
            return Err(Error::rate_limited("reports", std::time::Duration::from_secs(1)));
        }
        let _turn = Turn(&self.running, store_id);
        let _slot = self.slots.acquire().await.map_err(|_| Error::new(ErrorCode::Internal, "shutting down"))?;
        let (from, to) = period.bounds().map_err(Error::invalid)?;
        let rows = self.store.report_rows(store_id, from, to).await?;
        let team = self.store.team(store_id).await?;
        let articles = self.store.article_stats(store_id, from, to).await?;
        let search_terms = self.store.top_search_terms(store_id, from, to).await?;
        let unanswered = self.store.unanswered_between(store_id, from, to).await?;
        let online = self.store.online_time(store_id, from, to, crate::store::now_millis()).await?;
        let names: Vec<(i64, String)> = team.into_iter().map(|m| (m.id, m.name)).collect();
        let computed = tokio::task::spawn_blocking(move || compute(&rows, &period, target_secs, &names, &online))
            .await
            .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))??;
        Ok(Report { articles, unanswered, search_terms, ..computed })
    }
}

/// Every computed table of a report (the articles and questions are filled in by the caller).
/// `online` is each agent's time online in the period (ms).
pub fn compute(
    rows: &[ReportRow],
    period: &Period,
    target_secs: u32,
    names: &[(i64, String)],
    online: &[(i64, i64)],
) -> Result<Report> {
    let target_ms = i64::from(target_secs) * 1000;
    let days = period.days().map_err(Error::invalid)?;
    let mut by_day: Vec<Vec<&ReportRow>> = vec![Vec::new(); days.len()];
    let mut hours = vec![vec![0u32; 24]; 7];
    for row in rows {
        if let Some(i) = days.iter().position(|(_, start, end)| (*start..*end).contains(&row.created_at)) {
            by_day[i].push(row);
        }
        if let Some((weekday, hour)) = period.weekday_hour(row.first_visitor_at.unwrap_or(row.created_at)) {
            hours[weekday][hour] += 1;
        }
    }
    let daily = days
        .iter()
        .zip(by_day)
        .map(|((date, _, _), rows)| Day { date: date.to_string(), figures: figures::figures(rows, target_ms) })
        .collect();
    let mut shares = figures::by_agent(rows);
    for (agent, _) in online {
        shares.entry(*agent).or_insert_with(|| figures::AgentRows { assigned: Vec::new(), first_replies: Vec::new() });
    }
    let agents = shares
        .into_iter()
        .map(|(agent_id, share)| {
            let of_theirs = figures::figures(share.assigned.iter().copied(), target_ms);
            let online_ms = online.iter().find(|(id, _)| *id == agent_id).map_or(0, |(_, ms)| *ms);
            let hours = online_ms as f64 / 3_600_000.0;
            AgentFigures {
                online_secs: online_ms as f64 / 1000.0,
                per_online_hour: (online_ms > 0).then(|| share.assigned.len() as f64 / hours),
                agent_id,
                name: names
                    .iter()
                    .find(|(id, _)| *id == agent_id)
                    .map_or_else(|| format!("#{agent_id}"), |(_, n)| n.clone()),
                conversations: share.assigned.len() as u32,
                first_replies: share.first_replies.len() as u32,
                first_response_median_secs: figures::quantile_secs(&share.first_replies, 0.5),
                resolution_rate: of_theirs.resolution_rate,
                csat_average: of_theirs.csat_average,
            }
        })
        .collect();
    Ok(Report {
        from: period.from.to_string(),
        to: period.to.to_string(),
        timezone: period.zone.iana_name().unwrap_or("UTC").to_owned(),
        target_secs,
        summary: figures::figures(rows, target_ms),
        daily,
        agents,
        hours,
        articles: Vec::new(),
        search_terms: Vec::new(),
        unanswered: Vec::new(),
    })
}
