//! The reports API's shapes (`GET /api/stores/{key}/reports`), shared by the relay and the
//! console. Shares are fractions from 0 to 1; times are seconds; a figure with nothing to
//! measure (no conversation, no reply) is absent rather than 0.

use serde::{Deserialize, Serialize};

/// Every figure of one period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The first day of the period, `YYYY-MM-DD` in the store's time zone.
    pub from: String,
    /// Its last day (included).
    pub to: String,
    /// The store's time zone, in which days and hours are counted.
    pub timezone: String,
    /// The store's first-reply target in seconds.
    pub target_secs: u32,
    /// The period's totals.
    pub summary: Figures,
    /// The same figures day by day.
    pub daily: Vec<Day>,
    /// Per agent.
    pub agents: Vec<AgentFigures>,
    /// Conversations started per weekday (0 = Monday) and hour (0–23), in the store's time.
    pub hours: Vec<Vec<u32>>,
    /// Help articles with their views and helpful and not-helpful votes in the period, most
    /// viewed first.
    pub articles: Vec<ArticleVotes>,
    /// The most searched help terms, by how many shoppers searched each.
    #[serde(default)]
    pub search_terms: Vec<TermCount>,
    /// What shoppers asked that no article answered, most asked first.
    pub unanswered: Vec<Unanswered>,
}

/// The figures of a period, a day or an agent.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Conversations started.
    pub started: u32,
    /// Of them, started by the shopper's message.
    pub by_shoppers: u32,
    /// Of them, started by the team: an agent wrote before the shopper, or the shopper answered
    /// a proactive message.
    pub proactive: u32,
    /// Median time from the shopper's first message to the first human reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_median_secs: Option<f64>,
    /// Its 90th percentile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_p90_secs: Option<f64>,
    /// Share of shopper-started conversations a person answered within the first-reply target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_target: Option<f64>,
    /// Share of shopper-started conversations the bot answered before any person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_answered_by_bot: Option<f64>,
    /// Share of shopper-started conversations with a human reply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_rate: Option<f64>,
    /// Share of shopper-started conversations with a human reply within 15 minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replied_within_15_min: Option<f64>,
    /// Conversations closed (of those started in the period).
    pub closed: u32,
    /// Share of the closed ones resolved (never reopened within 7 days of a close).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_rate: Option<f64>,
    /// Ratings given.
    pub ratings: u32,
    /// Their average (1–5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat_average: Option<f64>,
    /// Share of ratings of 4 or 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat_good: Option<f64>,
    /// Closed without a human, with an FAQ answer not voted unhelpful or an order answer.
    pub deflected: u32,
    /// Their share of the closed conversations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deflection_rate: Option<f64>,
}

/// One day's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Day {
    /// `YYYY-MM-DD` in the store's time zone.
    pub date: String,
    /// The figures of the conversations started that day (nested, not flattened: serde's
    /// flatten would compile a buffering decoder into the console).
    pub figures: Figures,
}

/// One agent's figures: the conversations they had at the end (or have now), and the first
/// replies they gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgentFigures {
    /// The agent.
    pub agent_id: i64,
    /// Their name.
    pub name: String,
    /// Conversations assigned to them.
    pub conversations: u32,
    /// First human replies they gave.
    pub first_replies: u32,
    /// Median of those first replies' times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response_median_secs: Option<f64>,
    /// Share of their closed conversations that were resolved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_rate: Option<f64>,
    /// Their conversations' average rating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csat_average: Option<f64>,
    /// How long they were online (taking conversations) in the period, in seconds.
    #[serde(default)]
    pub online_secs: f64,
    /// Conversations assigned to them per hour online.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub per_online_hour: Option<f64>,
}

/// A help article's votes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleVotes {
    /// The article's id.
    pub id: String,
    /// Its question.
    pub question: String,
    /// Shoppers who opened it.
    #[serde(default)]
    pub views: u32,
    /// "Yes, it helped" votes.
    pub helpful: u32,
    /// "No" votes.
    pub not_helpful: u32,
}

/// A help search term and how many shoppers searched it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermCount {
    /// What was searched (normalised).
    pub term: String,
    /// How many shoppers searched it (each once a day).
    pub count: u32,
}

/// A question no article answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unanswered {
    /// What was asked (normalised).
    pub question: String,
    /// How many shoppers asked it.
    pub count: u32,
}

/// How fast the store typically replies, as the widget's header says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReplyTime {
    /// "Typically replies in under a minute".
    UnderAMinute,
    /// "Typically replies in about N minutes".
    Minutes {
        /// N.
        minutes: u32,
    },
    /// "Typically replies in a few hours".
    Hours,
}

/// What the widget may claim of the store's replies, from its last 14 days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyClaim {
    /// The typical reply time during open hours; absent with too little data (fewer than 20
    /// conversations), so the widget claims nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_time: Option<ReplyTime>,
    /// Response rate at least 90 % and median first reply under 15 minutes.
    #[serde(default)]
    pub very_responsive: bool,
}
