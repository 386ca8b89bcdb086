//! The reports' tables as CSV, one table per file. The `csv` crate quotes; on top of that a
//! cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or
//! a carriage return: shoppers' questions and agents' names come from strangers) is prefixed
//! with `'`, so it shows as the text it is.

use protocol::{Figures, Report};

/// The tables a report exports.
pub const TABLES: &[&str] = &["summary", "daily", "agents", "hours", "articles", "searches", "unanswered"];

/// A cell as text a spreadsheet shows and never evaluates.
fn cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

fn number(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{:.4}", v).trim_end_matches('0').trim_end_matches('.').to_owned())
}

const FIGURE_COLUMNS: [&str; 16] = [
    "started",
    "by_shoppers",
    "proactive",
    "first_response_median_secs",
    "first_response_p90_secs",
    "within_target",
    "first_answered_by_bot",
    "response_rate",
    "replied_within_15_min",
    "closed",
    "resolution_rate",
    "ratings",
    "csat_average",
    "csat_good",
    "deflected",
    "deflection_rate",
];

fn figure_cells(f: &Figures) -> Vec<String> {
    let n = |v: u32| v.to_string();
    vec![
        n(f.started),
        n(f.by_shoppers),
        n(f.proactive),
        number(f.first_response_median_secs),
        number(f.first_response_p90_secs),
        number(f.within_target),
        number(f.first_answered_by_bot),
        number(f.response_rate),
        number(f.replied_within_15_min),
        n(f.closed),
        number(f.resolution_rate),
        n(f.ratings),
        number(f.csat_average),
        number(f.csat_good),
        n(f.deflected),
        number(f.deflection_rate),
    ]
}

/// One table of `report` as CSV, or `None` for a table that does not exist.
pub fn table(report: &Report, name: &str) -> Option<String> {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let head = |cols: &[&str]| cols.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>();
    match name {
        "summary" => {
            rows.push(
                head(&["from", "to", "timezone", "target_secs"]).into_iter().chain(head(&FIGURE_COLUMNS)).collect(),
            );
            let period =
                [report.from.clone(), report.to.clone(), report.timezone.clone(), report.target_secs.to_string()];
            rows.push(period.into_iter().chain(figure_cells(&report.summary)).collect());
        }
        "daily" => {
            rows.push(head(&["date"]).into_iter().chain(head(&FIGURE_COLUMNS)).collect());
            for day in &report.daily {
                rows.push(std::iter::once(day.date.clone()).chain(figure_cells(&day.figures)).collect());
            }
        }
        "agents" => {
            rows.push(head(&[
                "agent_id",
                "name",
                "conversations",
                "first_replies",
                "first_response_median_secs",
                "resolution_rate",
                "csat_average",
                "online_hours",
                "per_online_hour",
            ]));
            for a in &report.agents {
                rows.push(vec![
                    a.agent_id.to_string(),
                    cell(&a.name),
                    a.conversations.to_string(),
                    a.first_replies.to_string(),
                    number(a.first_response_median_secs),
                    number(a.resolution_rate),
                    number(a.csat_average),
                    number(Some(a.online_secs / 3_600.0)),
                    number(a.per_online_hour),
                ]);
            }
        }
        "hours" => {
            rows.push(head(&["weekday", "hour", "conversations"]));
            const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
            for (day, hours) in DAYS.iter().zip(&report.hours) {
                for (hour, count) in hours.iter().enumerate() {
                    rows.push(vec![(*day).to_owned(), hour.to_string(), count.to_string()]);
                }
            }
        }
        "articles" => {
            rows.push(head(&["article_id", "question", "views", "helpful", "not_helpful"]));
            for a in &report.articles {
                let counts = [a.views, a.helpful, a.not_helpful].map(|n| n.to_string());
                rows.push([cell(&a.id), cell(&a.question)].into_iter().chain(counts).collect());
            }
        }
        "searches" => {
            rows.push(head(&["term", "shoppers"]));
            for t in &report.search_terms {
                rows.push(vec![cell(&t.term), t.count.to_string()]);
            }
        }
        "unanswered" => {
            rows.push(head(&["question", "count"]));
            for q in &report.unanswered {
                rows.push(vec![cell(&q.question), q.count.to_string()]);
            }
        }
        _ => return None,
    }
    let mut out = ::csv::Writer::from_writer(Vec::new());
    for row in rows {
        out.write_record(&row).ok()?;
    }
    String::from_utf8(out.into_inner().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_shown_as_text_and_commas_and_quotes_are_quoted() {
        assert_eq!(cell("=HYPERLINK(\"http://evil\")"), "'=HYPERLINK(\"http://evil\")");
        assert_eq!(cell("-1+2"), "'-1+2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("where is my order"), "where is my order");
        let report = Report {
            from: "2026-01-01".into(),
            to: "2026-01-01".into(),
            timezone: "UTC".into(),
            target_secs: 60,
            summary: Figures::default(),
            daily: Vec::new(),
            agents: Vec::new(),
            hours: vec![vec![0; 24]; 7],
            articles: Vec::new(),
            search_terms: Vec::new(),
            unanswered: vec![protocol::Unanswered { question: "=1+1, \"really\"".into(), count: 3 }],
        };
        let text = table(&report, "unanswered").unwrap();
        assert_eq!(text, "question,count\n\"'=1+1, \"\"really\"\"\",3\n");
        assert_eq!(table(&report, "hours").unwrap().lines().count(), 1 + 7 * 24);
        assert!(table(&report, "secrets").is_none());
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(Some(0.5)), "0.5");
        assert_eq!(number(Some(1.0)), "1");
        assert_eq!(number(Some(2.0 / 3.0)), "0.6667");
        assert_eq!(number(None), "");
    }
}
