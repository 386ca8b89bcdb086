//! The reports' arithmetic, pure: from one row per conversation to every figure. No clock, no
//! database, so tests build a timeline with explicit times and check each figure.

use std::collections::BTreeMap;

use protocol::Figures;

use crate::store::ReportRow;

/// A reply within this long counts as "within 15 minutes".
pub const FIFTEEN_MINUTES_MS: i64 = 15 * 60 * 1000;

/// Whether the shopper started it (wrote before any agent).
fn by_shopper(row: &ReportRow) -> bool {
    if row.proactive_rule {
        // The shopper answered the store's proactive message: the store started it.
        return false;
    }
    match (row.first_visitor_at, row.first_human_at) {
        (Some(shopper), Some(agent)) => shopper <= agent,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The time from the shopper's first message to the first human reply (ms).
fn first_response(row: &ReportRow) -> Option<i64> {
    match (row.first_visitor_at, row.first_human_at) {
        (Some(shopper), Some(agent)) if shopper <= agent => Some(agent - shopper),
        _ => None,
    }
}

/// The value below which `q` of the sorted `values` lie (nearest rank), in seconds.
pub fn quantile_secs(sorted: &[i64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (q * sorted.len() as f64).ceil().max(1.0) as usize;
    Some(sorted[rank.min(sorted.len()) - 1] as f64 / 1000.0)
}

fn share(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Every figure of a set of conversations; `target_ms` is the store's first-reply target.
pub fn figures<'a>(rows: impl IntoIterator<Item = &'a ReportRow>, target_ms: i64) -> Figures {
    let mut f = Figures::default();
    let mut times = Vec::new();
    let (mut shoppers, mut bot_first, mut replied, mut within_15, mut within_target) = (0, 0, 0, 0, 0);
    let (mut resolved, mut scores) = (0, Vec::new());
    for row in rows {
        f.started += 1;
        if by_shopper(row) {
            shoppers += 1;
            if row.first_bot_at.is_some_and(|bot| row.first_human_at.is_none_or(|human| bot < human)) {
                bot_first += 1;
            }
            if let Some(ms) = first_response(row) {
                replied += 1;
                times.push(ms);
                within_15 += usize::from(ms <= FIFTEEN_MINUTES_MS);
                within_target += usize::from(ms <= target_ms);
            }
        } else if row.first_human_at.is_some() || row.proactive_rule {
            f.proactive += 1;
        }
        if row.closed_at.is_some() {
            f.closed += 1;
            resolved += usize::from(row.resolved);
            f.deflected += u32::from(row.first_human_at.is_none() && row.bot_answered);
        }
        scores.extend(row.rating);
    }
    f.by_shoppers = shoppers as u32;
    times.sort_unstable();
    f.first_response_median_secs = quantile_secs(&times, 0.5);
    f.first_response_p90_secs = quantile_secs(&times, 0.9);
    f.within_target = share(within_target, shoppers);
    f.first_answered_by_bot = share(bot_first, shoppers);
    f.response_rate = share(replied, shoppers);
    f.replied_within_15_min = share(within_15, shoppers);
    f.resolution_rate = share(resolved, f.closed as usize);
    f.deflection_rate = share(f.deflected as usize, f.closed as usize);
    f.ratings = scores.len() as u32;
    f.csat_average =
        (!scores.is_empty()).then(|| scores.iter().map(|s| f64::from(*s)).sum::<f64>() / scores.len() as f64);
    f.csat_good = share(scores.iter().filter(|s| **s >= 4).count(), scores.len());
    f
}

/// One agent's share of the rows: the conversations they had and the first replies they gave.
pub struct AgentRows<'a> {
    /// Conversations assigned to them.
    pub assigned: Vec<&'a ReportRow>,
    /// Their first replies' times (ms), sorted.
    pub first_replies: Vec<i64>,
}

/// The rows of each agent (by id), for the per-agent table.
pub fn by_agent(rows: &[ReportRow]) -> BTreeMap<i64, AgentRows<'_>> {
    let mut agents: BTreeMap<i64, AgentRows<'_>> = BTreeMap::new();
    for row in rows {
        if let Some(agent) = row.assignee {
            agents
                .entry(agent)
                .or_insert_with(|| AgentRows { assigned: Vec::new(), first_replies: Vec::new() })
                .assigned
                .push(row);
        }
        if let (Some(agent), Some(ms)) = (row.first_human_by, first_response(row)) {
            agents
                .entry(agent)
                .or_insert_with(|| AgentRows { assigned: Vec::new(), first_replies: Vec::new() })
                .first_replies
                .push(ms);
        }
    }
    for agent in agents.values_mut() {
        agent.first_replies.sort_unstable();
    }
    agents
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1000;

    fn asked(at: i64, answered_after: Option<i64>) -> ReportRow {
        ReportRow {
            created_at: at,
            first_visitor_at: Some(at),
            first_human_at: answered_after.map(|d| at + d),
            first_human_by: answered_after.map(|_| 1),
            ..ReportRow::default()
        }
    }

    #[test]
    fn first_response_median_p90_and_target_share_come_from_the_shoppers_first_message() {
        // Ten answered after 10 s, 20 s, … 100 s, and one never answered.
        let mut rows: Vec<ReportRow> = (1..=10).map(|n| asked(n * 3_600 * S, Some(n * 10 * S))).collect();
        rows.push(asked(0, None));
        let f = figures(&rows, 60 * S);
        assert_eq!(f.started, 11);
        assert_eq!(f.by_shoppers, 11);
        assert_eq!(f.first_response_median_secs, Some(50.0));
        assert_eq!(f.first_response_p90_secs, Some(90.0));
        assert_eq!(f.within_target, Some(6.0 / 11.0), "10–60 s of eleven shoppers");
        assert_eq!(f.response_rate, Some(10.0 / 11.0));
        assert_eq!(f.replied_within_15_min, Some(10.0 / 11.0));
    }

    #[test]
    fn a_reply_after_fifteen_minutes_counts_as_a_response_but_not_a_quick_one() {
        let rows = [asked(0, Some(FIFTEEN_MINUTES_MS)), asked(0, Some(FIFTEEN_MINUTES_MS + 1))];
        let f = figures(&rows, 60 * S);
        assert_eq!((f.response_rate, f.replied_within_15_min), (Some(1.0), Some(0.5)));
    }

    #[test]
    fn a_conversation_the_team_started_is_proactive_and_not_timed() {
        let row =
            ReportRow { created_at: 0, first_visitor_at: Some(30 * S), first_human_at: Some(0), ..Default::default() };
        let f = figures(&[row], 60 * S);
        assert_eq!((f.started, f.by_shoppers, f.proactive), (1, 0, 1));
        assert_eq!(f.first_response_median_secs, None);
        assert_eq!(f.response_rate, None, "nothing to measure");
        // A shopper answering the store's proactive message: the store started it too.
        let answered = ReportRow {
            first_visitor_at: Some(5 * S),
            first_bot_at: Some(0),
            proactive_rule: true,
            ..Default::default()
        };
        let f = figures(&[answered], 60 * S);
        assert_eq!((f.started, f.by_shoppers, f.proactive), (1, 0, 1));
    }

    #[test]
    fn resolution_deflection_and_csat() {
        let closed = |resolved, human: bool, bot_answered, rating| ReportRow {
            first_visitor_at: Some(0),
            first_human_at: human.then_some(5 * S),
            closed_at: Some(60 * S),
            resolved,
            bot_answered,
            rating,
            ..Default::default()
        };
        let rows = [
            closed(true, true, false, Some(5)),
            // Reopened within 7 days: the store reads it as not resolved.
            closed(false, true, false, Some(2)),
            // The bot answered and nobody else was needed.
            closed(true, false, true, Some(4)),
            closed(true, false, false, None),
            // Still open: neither resolved nor not.
            asked(0, None),
        ];
        let f = figures(&rows, 60 * S);
        assert_eq!(f.closed, 4);
        assert_eq!(f.resolution_rate, Some(0.75));
        assert_eq!((f.deflected, f.deflection_rate), (1, Some(0.25)));
        assert_eq!(f.ratings, 3);
        assert_eq!(f.csat_average, Some(11.0 / 3.0));
        assert_eq!(f.csat_good, Some(2.0 / 3.0));
    }

    #[test]
    fn the_bot_answering_first_is_counted_against_the_first_human_reply() {
        let bot_then_human = ReportRow { first_bot_at: Some(S), ..asked(0, Some(30 * S)) };
        let human_then_bot = ReportRow { first_bot_at: Some(40 * S), ..asked(0, Some(30 * S)) };
        let bot_only = ReportRow { first_bot_at: Some(S), ..asked(0, None) };
        let f = figures(&[bot_then_human, human_then_bot, bot_only], 60 * S);
        assert_eq!(f.first_answered_by_bot, Some(2.0 / 3.0));
    }

    #[test]
    fn each_agent_gets_their_conversations_and_their_first_replies() {
        let mut first = asked(0, Some(20 * S));
        first.assignee = Some(2); // Answered by 1, then transferred to 2.
        let mut second = asked(0, Some(40 * S));
        second.assignee = Some(1);
        let rows = [first, second];
        let agents = by_agent(&rows);
        assert_eq!(agents[&1].first_replies, [20 * S, 40 * S]);
        assert_eq!(agents[&1].assigned.len(), 1);
        assert_eq!((agents[&2].assigned.len(), agents[&2].first_replies.len()), (1, 0));
    }
}
