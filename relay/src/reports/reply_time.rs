//! The widget's header line: how fast the store typically replies, from the median human first
//! response of the last 14 days during open hours, and the "very responsive" badge (response
//! rate at least 90 % and median under 15 minutes). Computed in the relay at most every 10
//! minutes per store and cached: a page view never runs the query.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use protocol::{ReplyClaim, ReplyTime};

use super::figures::{self, FIFTEEN_MINUTES_MS};
use crate::error::{Error, Result};
use crate::hours::Schedule;
use crate::store::{ReportRow, Store};
use protocol::ErrorCode;

/// The window the claim looks back over.
pub const WINDOW_MS: i64 = 14 * 24 * 60 * 60 * 1000;
/// Fewer shopper conversations than this in the window: no claim.
pub const MIN_CONVERSATIONS: usize = 20;
/// How long a store's claim is used before it is computed again.
pub const FRESH_FOR: Duration = Duration::from_secs(600);

/// Each store's claim, when it was computed and under which business hours.
type Cached = Arc<tokio::sync::Mutex<Option<(Instant, crate::store::Hours, ReplyClaim)>>>;

/// The claims, per store.
pub struct ReplyTimes {
    store: Store,
    claims: Mutex<HashMap<i64, Cached>>,
}

impl ReplyTimes {
    /// Claims over `store`'s conversations.
    pub fn new(store: Store) -> ReplyTimes {
        ReplyTimes { store, claims: Mutex::new(HashMap::new()) }
    }

    /// The store's claim: cached, or computed once however many pages ask at once (and again
    /// at once when the store's hours changed, since only open hours count).
    pub async fn claim(&self, store_id: i64, now_ms: i64) -> Result<ReplyClaim> {
        let cached = self.claims.lock().unwrap_or_else(|p| p.into_inner()).entry(store_id).or_default().clone();
        let hours = self.store.hours(store_id).await?;
        let mut held = cached.lock().await;
        if let Some((_, _, claim)) = held.as_ref().filter(|(at, under, _)| at.elapsed() < FRESH_FOR && *under == hours)
        {
            return Ok(*claim);
        }
        let rows = self.store.report_rows(store_id, now_ms - WINDOW_MS, now_ms).await?;
        let schedule = hours.0.as_deref().and_then(|h| Schedule::parse(h, &hours.1).ok());
        let claim = tokio::task::spawn_blocking(move || claim_of(&rows, schedule.as_ref()))
            .await
            .map_err(|e| Error::new(ErrorCode::Internal, e.to_string()))?;
        *held = Some((Instant::now(), hours, claim));
        Ok(claim)
    }

    /// Forgets every cached claim (tests that change the data underneath).
    pub fn forget(&self) {
        self.claims.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// The claim the rows support; only conversations a shopper started during open hours count
/// for the reply time.
pub fn claim_of(rows: &[ReportRow], schedule: Option<&Schedule>) -> ReplyClaim {
    let open = |ms: i64| schedule.is_none_or(|s| jiff::Timestamp::from_millisecond(ms).is_ok_and(|at| s.is_open(at)));
    let asked: Vec<&ReportRow> = rows
        .iter()
        .filter(|r| r.first_visitor_at.is_some_and(|at| open(at) && r.first_human_at.is_none_or(|h| at <= h)))
        .collect();
    if asked.len() < MIN_CONVERSATIONS {
        return ReplyClaim::default();
    }
    let f = figures::figures(asked.iter().copied(), 60_000);
    let Some(median) = f.first_response_median_secs else { return ReplyClaim::default() };
    let reply_time = if median < 60.0 {
        ReplyTime::UnderAMinute
    } else if median < 60.0 * 60.0 {
        ReplyTime::Minutes { minutes: (median / 60.0).round().max(1.0) as u32 }
    } else {
        ReplyTime::Hours
    };
    let very_responsive = f.response_rate.is_some_and(|r| r >= 0.9) && median * 1000.0 < FIFTEEN_MINUTES_MS as f64;
    ReplyClaim { reply_time: Some(reply_time), very_responsive }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(at: i64, after_secs: Option<i64>) -> ReportRow {
        ReportRow {
            created_at: at,
            first_visitor_at: Some(at),
            first_human_at: after_secs.map(|s| at + s * 1000),
            ..ReportRow::default()
        }
    }

    #[test]
    fn too_little_data_claims_nothing() {
        let rows: Vec<ReportRow> = (0..19).map(|n| answered(n, Some(10))).collect();
        assert_eq!(claim_of(&rows, None), ReplyClaim::default());
    }

    #[test]
    fn the_median_picks_the_line_and_the_badge_needs_nine_in_ten_answered() {
        let fast: Vec<ReportRow> = (0..20).map(|n| answered(n, Some(30))).collect();
        assert_eq!(
            claim_of(&fast, None),
            ReplyClaim { reply_time: Some(ReplyTime::UnderAMinute), very_responsive: true }
        );
        let minutes: Vec<ReportRow> = (0..20).map(|n| answered(n, Some(4 * 60 + 10))).collect();
        assert_eq!(claim_of(&minutes, None).reply_time, Some(ReplyTime::Minutes { minutes: 4 }));
        let slow: Vec<ReportRow> = (0..20).map(|n| answered(n, Some(3 * 3600))).collect();
        assert_eq!(claim_of(&slow, None), ReplyClaim { reply_time: Some(ReplyTime::Hours), very_responsive: false });
        // Fast, but three in twenty never answered: no badge.
        let mut patchy = fast.clone();
        for row in patchy.iter_mut().take(3) {
            row.first_human_at = None;
        }
        assert_eq!(
            claim_of(&patchy, None),
            ReplyClaim { reply_time: Some(ReplyTime::UnderAMinute), very_responsive: false }
        );
    }

    #[test]
    fn only_questions_asked_during_open_hours_count() {
        // Open Monday 09:00–17:00 UTC; 1970-01-05 was a Monday.
        let schedule = Schedule::parse("mon 09:00-17:00", "UTC").unwrap();
        let monday_10h = (4 * 24 + 10) * 3_600_000;
        let monday_20h = (4 * 24 + 20) * 3_600_000;
        let mut rows: Vec<ReportRow> = (0..20).map(|n| answered(monday_10h + n, Some(20))).collect();
        // Questions at night wait hours for the morning: they do not make the line "hours".
        rows.extend((0..30).map(|n| answered(monday_20h + n, Some(13 * 3600))));
        assert_eq!(claim_of(&rows, Some(&schedule)).reply_time, Some(ReplyTime::UnderAMinute));
        assert_eq!(claim_of(&rows, None).reply_time, Some(ReplyTime::Hours));
    }
}
