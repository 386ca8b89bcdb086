//! Reports (owners and admins): a period (today, 7 or 30 days, custom dates, in the store's
//! time zone), the period's figures, a line of conversations per day (SVG), the busiest hours
//! of the week (a table shaded by count), per-agent figures, the help articles' votes and the
//! unanswered questions with a form to answer one as a new article; every table as CSV.

use leptos::prelude::*;
use leptos::task::spawn_local;
use protocol::{Figures, Report};
use serde_json::{json, Value};

use crate::api;
use crate::desk::Desk;
use crate::i18n::{text, text_with};

/// A share as "63 %", or a dash when there was nothing to measure.
fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "—".into(), |s| format!("{:.0} %", s * 100.0))
}

/// Seconds as "45 s", "3 min 20 s" or "2 h 5 min".
fn duration(secs: Option<f64>) -> String {
    let Some(secs) = secs else { return "—".into() };
    let secs = secs.round() as u64;
    match secs {
        0..=59 => format!("{secs} s"),
        60..=3_599 if secs.is_multiple_of(60) => format!("{} min", secs / 60),
        60..=3_599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3_600, secs % 3_600 / 60),
    }
}

/// The period's figures as a list of labelled values.
fn summary(f: &Figures) -> impl IntoView {
    let csat = f.csat_average.map_or_else(
        || "—".into(),
        |a| {
            text_with(
                "report-csat-value",
                &[("average", format!("{a:.1}")), ("count", f.ratings.to_string()), ("good", percent(f.csat_good))],
            )
        },
    );
    let rows = [
        (
            "report-started",
            text_with(
                "report-started-value",
                &[
                    ("all", f.started.to_string()),
                    ("shoppers", f.by_shoppers.to_string()),
                    ("proactive", f.proactive.to_string()),
                ],
            ),
        ),
        ("report-frt-median", duration(f.first_response_median_secs)),
        ("report-frt-p90", duration(f.first_response_p90_secs)),
        ("report-within-target", percent(f.within_target)),
        ("report-bot-first", percent(f.first_answered_by_bot)),
        ("report-response-rate", percent(f.response_rate)),
        ("report-within-15", percent(f.replied_within_15_min)),
        ("report-resolution", percent(f.resolution_rate)),
        ("report-csat", csat),
        (
            "report-deflection",
            text_with(
                "report-deflection-value",
                &[("count", f.deflected.to_string()), ("share", percent(f.deflection_rate))],
            ),
        ),
    ];
    view! {
        <dl class="figures">
            {rows.into_iter().map(|(label, value)| view! { <div><dt>{text(label)}</dt><dd>{value}</dd></div> }).collect_view()}
        </dl>
    }
}

/// Conversations started per day as a line; the daily CSV holds the numbers.
fn daily_chart(report: &Report) -> impl IntoView {
    let (width, height, pad) = (640.0, 160.0, 24.0);
    let counts: Vec<f64> = report.daily.iter().map(|d| f64::from(d.figures.started)).collect();
    let top = counts.iter().copied().fold(1.0, f64::max);
    let step = if counts.len() > 1 { (width - 2.0 * pad) / (counts.len() - 1) as f64 } else { 0.0 };
    let points: Vec<(f64, f64)> = counts
        .iter()
        .enumerate()
        .map(|(i, c)| (pad + i as f64 * step, height - pad - c / top * (height - 2.0 * pad)))
        .collect();
    let line = points.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect::<Vec<_>>().join(" ");
    let label = text_with(
        "report-chart-label",
        &[("from", report.from.clone()), ("to", report.to.clone()), ("top", top.to_string())],
    );
    view! {
        <svg class="chart" viewBox=format!("0 0 {width} {height}") role="img" aria-label=label>
            <line x1=pad y1=height - pad x2=width - pad y2=height - pad class="axis"/>
            <text x=pad y=14.0 class="tick">{top.to_string()}</text>
            <text x=pad y=height - 6.0 class="tick">{report.from.clone()}</text>
            <text x=width - pad y=height - 6.0 class="tick end">{report.to.clone()}</text>
            <polyline points=line class="series"/>
            {points.into_iter().map(|(x, y)| view! { <circle cx=x cy=y r="2.5" class="dot"/> }).collect_view()}
        </svg>
    }
}

/// The busiest hours of the week: a table of counts, shaded by how busy.
fn heat_map(report: &Report) -> impl IntoView {
    let top = report.hours.iter().flatten().copied().max().unwrap_or(0).max(1);
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    view! {
        <table class="heat">
            <caption>{text_with("report-hours-caption", &[("zone", report.timezone.clone())])}</caption>
            <thead><tr><td></td>{(0..24).map(|h| view! { <th scope="col">{h}</th> }).collect_view()}</tr></thead>
            <tbody>
                {report.hours.iter().zip(days).map(|(hours, day)| view! {
                    <tr>
                        <th scope="row">{text(&format!("day-{day}"))}</th>
                        {hours.iter().map(|n| {
                            let shade = format!("--heat: {:.2}", f64::from(*n) / f64::from(top));
                            view! { <td style=shade>{*n}</td> }
                        }).collect_view()}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// One unanswered question, with a form that answers it as a new help article.
#[component]
fn Unanswered(question: String, count: u32) -> impl IntoView {
    let desk = expect_context::<Desk>();
    let open = RwSignal::new(false);
    let asked = RwSignal::new(question.clone());
    let answer = RwSignal::new(String::new());
    let outcome = RwSignal::new(None::<String>);
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let url = desk.me.with_value(|m| m.store_url("faq/articles"));
        let body = json!({ "question": asked.get_untracked(), "answer": answer.get_untracked() });
        spawn_local(async move {
            match api::post::<Value>(&url, &body).await {
                Ok(_) => {
                    open.set(false);
                    outcome.set(Some(text("report-article-created")));
                }
                Err(e) => outcome.set(Some(e.message)),
            }
        });
    };
    view! {
        <li>
            <span dir="auto">{question}</span> " " <span class="muted">{text_with("report-asked", &[("count", count.to_string())])}</span>
            " " <button class="link" on:click=move |_| open.update(|o| *o = !*o)>{text("report-create-article")}</button>
            {move || outcome.get().map(|o| view! { <span role="status">" " {o}</span> })}
            <Show when=move || open.get()>
                <form class="new-article" on:submit=create>
                    <label><span>{text("report-article-question")}</span>
                        <input prop:value=move || asked.get() on:input=move |ev| asked.set(event_target_value(&ev))/></label>
                    <label><span>{text("report-article-answer")}</span>
                        <textarea rows="3" prop:value=move || answer.get() on:input=move |ev| answer.set(event_target_value(&ev))></textarea></label>
                    <button type="submit">{text("report-article-save")}</button>
                </form>
            </Show>
        </li>
    }
}

/// A link to one table's CSV for the period shown.
fn csv_link(desk: Desk, table: &'static str, query: &str) -> impl IntoView {
    let href = desk.me.with_value(|m| m.store_url(&format!("reports/{table}.csv?{query}")));
    view! { <a class="csv" href=href download="">{text("report-csv")}</a> }
}

/// Every table of a report.
fn tables(desk: Desk, report: Report, query: String) -> impl IntoView {
    let agents = report.agents.clone();
    let articles = report.articles.clone();
    let searches = report.search_terms.clone();
    let unanswered = report.unanswered.clone();
    view! {
        <section aria-labelledby="report-summary"><h2 id="report-summary">{text("report-summary")}</h2>
            {csv_link(desk, "summary", &query)}{summary(&report.summary)}</section>
        <section aria-labelledby="report-daily"><h2 id="report-daily">{text("report-daily")}</h2>
            {csv_link(desk, "daily", &query)}{daily_chart(&report)}</section>
        <section aria-labelledby="report-hours"><h2 id="report-hours">{text("report-hours")}</h2>
            {csv_link(desk, "hours", &query)}{heat_map(&report)}</section>
        <section aria-labelledby="report-agents"><h2 id="report-agents">{text("report-agents")}</h2>
            {csv_link(desk, "agents", &query)}
            <table class="data">
                <thead><tr>
                    <th scope="col">{text("report-agent")}</th><th scope="col">{text("report-conversations")}</th>
                    <th scope="col">{text("report-first-replies")}</th><th scope="col">{text("report-frt-median")}</th>
                    <th scope="col">{text("report-resolution")}</th><th scope="col">{text("report-csat")}</th>
                    <th scope="col">{text("report-online")}</th><th scope="col">{text("report-per-hour")}</th>
                </tr></thead>
                <tbody>{agents.into_iter().map(|a| view! {
                    <tr><td>{a.name}</td><td>{a.conversations}</td><td>{a.first_replies}</td>
                        <td>{duration(a.first_response_median_secs)}</td><td>{percent(a.resolution_rate)}</td>
                        <td>{a.csat_average.map_or_else(|| "—".into(), |c| format!("{c:.1}"))}</td>
                        <td>{duration(Some(a.online_secs))}</td>
                        <td>{a.per_online_hour.map_or_else(|| "—".into(), |c| format!("{c:.1}"))}</td></tr>
                }).collect_view()}</tbody>
            </table></section>
        <section aria-labelledby="report-articles"><h2 id="report-articles">{text("report-articles")}</h2>
            {csv_link(desk, "articles", &query)}
            <table class="data">
                <thead><tr><th scope="col">{text("report-article")}</th><th scope="col">{text("report-views")}</th>
                    <th scope="col">{text("report-helpful")}</th><th scope="col">{text("report-not-helpful")}</th></tr></thead>
                <tbody>{articles.into_iter().map(|a| view! {
                    <tr><td dir="auto">{a.question}</td><td>{a.views}</td><td>{a.helpful}</td><td>{a.not_helpful}</td></tr>
                }).collect_view()}</tbody>
            </table></section>
        <section aria-labelledby="report-searches"><h2 id="report-searches">{text("report-searches")}</h2>
            {csv_link(desk, "searches", &query)}
            <ol class="searches">{searches.into_iter().map(|s| view! {
                <li><span dir="auto">{s.term}</span> " " <span class="muted">{text_with("report-searched", &[("count", s.count.to_string())])}</span></li>
            }).collect_view()}</ol>
        </section>
        <section aria-labelledby="report-unanswered"><h2 id="report-unanswered">{text("report-unanswered")}</h2>
            {csv_link(desk, "unanswered", &query)}
            <ul class="unanswered">{unanswered.into_iter().map(|q| view! { <Unanswered question=q.question count=q.count/> }).collect_view()}</ul>
        </section>
    }
}

/// The reports page.
#[component]
pub fn ReportsPage() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let period = RwSignal::new("7d".to_owned());
    let (from, to) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let report = RwSignal::new(None::<(Report, String)>);
    let error = RwSignal::new(None::<String>);
    let query = move || match period.get().as_str() {
        "custom" => format!("period=custom&from={}&to={}", from.get(), to.get()),
        other => format!("period={other}"),
    };
    Effect::new(move |_| {
        let query = query();
        if period.get() == "custom" && (from.get().is_empty() || to.get().is_empty()) {
            return;
        }
        let url = desk.me.with_value(|m| m.store_url(&format!("reports?{query}")));
        spawn_local(async move {
            match api::get::<Report>(&url).await {
                Ok(loaded) => {
                    error.set(None);
                    report.set(Some((loaded, query)));
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    });
    view! {
        <main class="admin-page reports">
            <h1>{text("page-reports")}</h1>
            <div class="period">
                <label><span>{text("report-period")}</span>
                    <select on:change=move |ev| period.set(event_target_value(&ev))>
                        <option value="today">{text("report-today")}</option>
                        <option value="7d" selected>{text("report-7d")}</option>
                        <option value="30d">{text("report-30d")}</option>
                        <option value="custom">{text("report-custom")}</option>
                    </select></label>
                <Show when=move || period.get() == "custom">
                    <label><span>{text("report-from")}</span><input type="date" on:change=move |ev| from.set(event_target_value(&ev))/></label>
                    <label><span>{text("report-to")}</span><input type="date" on:change=move |ev| to.set(event_target_value(&ev))/></label>
                </Show>
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            {move || report.get().map(|(r, q)| tables(desk, r, q))}
        </main>
    }
}

#[cfg(test)]
mod tests {
    use super::{duration, percent};

    #[test]
    fn figures_read_as_people_say_them() {
        assert_eq!(duration(Some(44.6)), "45 s");
        assert_eq!(duration(Some(200.0)), "3 min 20 s");
        assert_eq!(duration(Some(180.0)), "3 min");
        assert_eq!(duration(Some(7_500.0)), "2 h 5 min");
        assert_eq!(duration(None), "—");
        assert_eq!(percent(Some(0.634)), "63 %");
        assert_eq!(percent(None), "—");
    }
}
