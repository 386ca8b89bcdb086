//! The reports API: figures from a timeline written with explicit times, who may read them,
//! and CSV that a spreadsheet shows as text.

mod common;

use common::console::{code, signed_in};
use common::TestRelay;
use protocol::{Report, Role};
use relay::store::PastConversation;

const MIN: i64 = 60_000;

/// 2026-11-10 (a Tuesday) at `hour`:`minute` UTC, in ms.
fn at(hour: i64, minute: i64) -> i64 {
    let day: jiff::Timestamp = "2026-11-10T00:00:00Z".parse().unwrap();
    day.as_millisecond() + hour * 60 * MIN + minute * MIN
}

/// A shopper asks at `asked`; `answer` is who answers (role, author id) how long after.
fn conversation(n: u32, asked: i64, answer: Option<(Role, i64, i64)>) -> PastConversation {
    let mut messages = vec![(Role::Visitor, format!("v{n}"), "Where is my parcel?".to_owned(), asked)];
    if let Some((role, author, after)) = answer {
        messages.push((role, author.to_string(), "Here it is.".to_owned(), asked + after));
    }
    PastConversation { visitor_id: format!("v{n}"), created_at: asked, messages, ..Default::default() }
}

/// Five conversations on 10 November and one the day after, with Kim and Lou answering.
async fn a_day_of_chats(t: &TestRelay) -> (i64, i64) {
    let store = t.relay.state().store.clone();
    let demo = store.store_by_key("demo").await.unwrap().unwrap();
    t.add_agent("demo", "Kim").await;
    t.add_agent("demo", "Lou").await;
    let team = store.team(demo.id).await.unwrap();
    let id = |name: &str| team.iter().find(|m| m.name == name).unwrap().id;
    let (kim, lou) = (id("Kim"), id("Lou"));
    let past = vec![
        PastConversation {
            assignee: Some(kim),
            closed: Some((at(10, 30), true)),
            rating: Some(5),
            ..conversation(1, at(10, 0), Some((Role::Agent, kim, 30_000)))
        },
        PastConversation {
            assignee: Some(kim),
            closed: Some((at(11, 30), false)),
            rating: Some(2),
            ..conversation(2, at(11, 0), Some((Role::Agent, kim, 90_000)))
        },
        PastConversation { assignee: Some(lou), ..conversation(3, at(12, 0), Some((Role::Agent, lou, 20 * MIN))) },
        PastConversation {
            closed: Some((at(13, 30), true)),
            order_answered: true,
            ..conversation(4, at(13, 0), Some((Role::Bot, 0, 2_000)))
        },
        conversation(5, at(14, 0), None),
        conversation(6, at(24, 30), Some((Role::Agent, kim, 1_000))),
    ];
    store.import_past(demo.id, past).await.unwrap();
    (kim, lou)
}

const DAY: &str = "/api/stores/demo/reports?period=custom&from=2026-11-10&to=2026-11-10";

#[tokio::test]
async fn a_days_figures_come_from_the_stored_times() {
    let t = TestRelay::start_with(|c| c.sweep_deadlines = false).await;
    let (kim, lou) = a_day_of_chats(&t).await;
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    let response = admin.call("GET", DAY, None).await.unwrap();
    assert_eq!(response.status, 200, "{}", response.text());
    let report: Report = serde_json::from_slice(&response.body).unwrap();
    let s = &report.summary;
    assert_eq!((s.started, s.by_shoppers, s.proactive), (5, 5, 0), "the next day's chat is outside");
    assert_eq!(s.first_response_median_secs, Some(90.0));
    assert_eq!(s.first_response_p90_secs, Some(1200.0));
    assert_eq!(s.within_target, Some(0.2), "one of five answered by a person within 60 s");
    assert_eq!(s.first_answered_by_bot, Some(0.2));
    assert_eq!((s.response_rate, s.replied_within_15_min), (Some(0.6), Some(0.4)));
    assert_eq!(s.closed, 3);
    assert_eq!(s.resolution_rate, Some(2.0 / 3.0));
    assert_eq!((s.deflected, s.deflection_rate), (1, Some(1.0 / 3.0)), "the bot's order answer");
    assert_eq!((s.ratings, s.csat_average, s.csat_good), (2, Some(3.5), Some(0.5)));
    assert_eq!(report.daily.len(), 1);
    assert_eq!(report.daily[0].figures, report.summary);
    let kims = report.agents.iter().find(|a| a.agent_id == kim).unwrap();
    assert_eq!((kims.name.as_str(), kims.conversations, kims.first_replies), ("Kim", 2, 2));
    assert_eq!((kims.resolution_rate, kims.csat_average), (Some(0.5), Some(3.5)));
    let lous = report.agents.iter().find(|a| a.agent_id == lou).unwrap();
    assert_eq!(lous.first_response_median_secs, Some(1200.0));
    // Tuesday, 10:00 to 14:00.
    assert_eq!(report.hours[1][10..15], [1, 1, 1, 1, 1]);
    assert_eq!(report.hours.iter().flatten().sum::<u32>(), 5);
    t.stop().await;
}

#[tokio::test]
async fn reports_are_for_owners_and_admins_of_their_own_store() {
    let t = TestRelay::start_with(|c| c.sweep_deadlines = false).await;
    t.add_store("other", &["https://other.example"]).await;
    let nobody = common::console::Console::new(&t.base);
    assert_eq!(nobody.call("GET", DAY, None).await.unwrap().status, 401);
    let agent = signed_in(&t, "demo", "Kim", "agent").await;
    let refused = agent.call("GET", DAY, None).await.unwrap();
    assert_eq!((refused.status, code(&refused)), (403, "forbidden".to_owned()));
    assert_eq!(agent.call("GET", "/api/stores/demo/reports/daily.csv", None).await.unwrap().status, 403);
    let owner = signed_in(&t, "demo", "Ola", "owner").await;
    assert_eq!(owner.call("GET", "/api/stores/demo/reports?period=30d", None).await.unwrap().status, 200);
    let elsewhere = owner.call("GET", "/api/stores/other/reports", None).await.unwrap();
    assert!(matches!(elsewhere.status, 403 | 404), "another store's report: {}", elsewhere.status);
    let bad =
        owner.call("GET", "/api/stores/demo/reports?period=custom&from=2026-13-01&to=2026-13-02", None).await.unwrap();
    assert_eq!((bad.status, code(&bad)), (400, "invalid_value".to_owned()));
    t.stop().await;
}

#[tokio::test]
async fn every_table_exports_as_csv_and_a_shoppers_formula_stays_text() {
    let t = TestRelay::start_with(|c| c.sweep_deadlines = false).await;
    a_day_of_chats(&t).await;
    let store = &t.relay.state().store;
    let demo = store.store_by_key("demo").await.unwrap().unwrap();
    store.record_unanswered(demo.id, "=HYPERLINK(\"http://evil.example\",\"refund\")", "someone").await.unwrap();
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    for table in ["summary", "daily", "agents", "hours", "articles", "searches", "unanswered"] {
        let response =
            admin.call("GET", &format!("/api/stores/demo/reports/{table}.csv?period=7d"), None).await.unwrap();
        assert_eq!(response.status, 200, "{table}");
        assert_eq!(response.header("content-type"), Some("text/csv; charset=utf-8"));
        assert!(response.header("content-disposition").unwrap().starts_with("attachment; filename=\"parley-demo-"));
    }
    let daily = admin.call("GET", &DAY.replace("/reports?", "/reports/daily.csv?"), None).await.unwrap().text();
    let mut lines = daily.lines();
    assert!(lines.next().unwrap().starts_with("date,started,by_shoppers,proactive,first_response_median_secs"));
    assert!(lines.next().unwrap().starts_with("2026-11-10,5,5,0,90,1200,0.2,"), "{daily}");
    let unanswered =
        admin.call("GET", "/api/stores/demo/reports/unanswered.csv?period=today", None).await.unwrap().text();
    assert!(unanswered.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"refund\"\")\",1"), "{unanswered}");
    assert!(!unanswered.lines().any(|l| l.starts_with('=') || l.starts_with("\"=")));
    assert_eq!(admin.call("GET", "/api/stores/demo/reports/secrets.csv", None).await.unwrap().status, 404);
    t.stop().await;
}

#[tokio::test]
async fn time_online_comes_from_presence_and_gives_conversations_per_online_hour() {
    let t = TestRelay::start_with(|c| c.sweep_deadlines = false).await;
    let (kim, _) = a_day_of_chats(&t).await;
    let store = t.relay.state().store.clone();
    let demo = store.store_by_key("demo").await.unwrap().unwrap();
    // Kim was online from 09:00 to 13:00 that day: two conversations in four hours.
    store.agent_online(kim, demo.id, true, at(9, 0)).await.unwrap();
    store.agent_online(kim, demo.id, false, at(13, 0)).await.unwrap();
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    let report: Report = serde_json::from_slice(&admin.call("GET", DAY, None).await.unwrap().body).unwrap();
    let kims = report.agents.iter().find(|a| a.agent_id == kim).unwrap();
    assert_eq!((kims.online_secs, kims.per_online_hour), (4.0 * 3600.0, Some(0.5)));

    // Signing in opens an interval, going away closes it.
    let (email, password) = t.add_agent("demo", "Lea").await;
    let mut lea = parley::AgentClient::login(&t.base, &email, &password).await.unwrap();
    let lea_id = lea.agent.id;
    // The relay announces her presence once it has recorded it.
    lea.socket
        .wait_for(|f| matches!(f, protocol::ServerFrame::Presence { status: protocol::AgentStatus::Online, .. }))
        .await
        .unwrap();
    let now = relay::store::now_millis();
    let hour_later = store.online_time(demo.id, 0, i64::MAX, now + 3_600_000).await.unwrap();
    let online = hour_later.iter().find(|(id, _)| *id == lea_id).map(|(_, ms)| *ms).unwrap_or(0);
    assert!(online >= 3_600_000, "still online an hour later: {online} ms");
    lea.socket.send(&protocol::AgentFrame::SetStatus { status: protocol::AgentStatus::Away }).await.unwrap();
    lea.socket
        .wait_for(|f| matches!(f, protocol::ServerFrame::Presence { status: protocol::AgentStatus::Away, .. }))
        .await
        .unwrap();
    let later = store.online_time(demo.id, 0, i64::MAX, now + 3_600_000).await.unwrap();
    let online = later.iter().find(|(id, _)| *id == lea_id).map(|(_, ms)| *ms).unwrap_or(0);
    assert!(online < 60_000, "away stops the clock: {online} ms");
    t.stop().await;
}

#[tokio::test]
async fn help_searches_and_article_views_count_each_shopper_once_a_day() {
    let t = TestRelay::start_with(|c| c.sweep_deadlines = false).await;
    let origin = [("Origin", t.base.as_str())];
    for _ in 0..2 {
        let found = common::http_get(&t.base, "/api/stores/demo/faq/search?q=Return%20policy", &origin).await.unwrap();
        assert_eq!(found.status, 200);
    }
    let hits: Vec<serde_json::Value> = serde_json::from_slice(
        &common::http_get(&t.base, "/api/stores/demo/faq/search?q=delivery", &origin).await.unwrap().body,
    )
    .unwrap();
    let id = hits[0]["id"].to_string().trim_matches('"').to_owned();
    assert_eq!(
        common::http_get(&t.base, &format!("/api/stores/demo/faq/articles/{id}"), &origin).await.unwrap().status,
        200
    );
    let admin = signed_in(&t, "demo", "Ada", "admin").await;
    let report: Report =
        serde_json::from_slice(&admin.call("GET", "/api/stores/demo/reports?period=today", None).await.unwrap().body)
            .unwrap();
    let terms: Vec<(&str, u32)> = report.search_terms.iter().map(|t| (t.term.as_str(), t.count)).collect();
    assert!(terms.contains(&("return policy", 1)), "searched twice by one shopper: {terms:?}");
    assert!(terms.contains(&("delivery", 1)), "{terms:?}");
    let viewed = report.articles.iter().find(|a| a.id == id).expect("the article opened");
    assert_eq!(viewed.views, 1);
    let csv = admin.call("GET", "/api/stores/demo/reports/searches.csv?period=today", None).await.unwrap().text();
    assert!(csv.starts_with("term,shoppers\n") && csv.contains("return policy,1"), "{csv}");
    t.stop().await;
}
