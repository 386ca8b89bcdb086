//! Email beyond the live window, against a real SMTP server: an agent's replies to a shopper
//! who left and gave an email are emailed together, with a link that reopens the conversation;
//! the outbox survives restarts without sending twice and delivers once a server that was down
//! is back; refusals show on the agent's side; unsubscribing is honoured; and a shopper can
//! have the transcript sent. Time is explicit: the tests call the mailer with the instants they
//! want (the relay's own sweep is off).

mod common;

use common::smtp::{self, Mail, Mailbox};
use common::{http_get, http_request_raw, TestRelay};
use parley::{AgentClient, VisitorClient};
use protocol::{EmailKind, EmailState, ErrorCode, Role, ServerFrame, VisitorFrame};

const MINUTE: i64 = 60_000;

async fn relay_mailing_to(smtp_url: &str) -> TestRelay {
    let url = smtp_url.to_owned();
    TestRelay::start_with(move |c| {
        c.sweep_deadlines = false;
        c.smtp_url = Some(url);
    })
    .await
}

/// A shopper on a product page who found nobody there and left `email`; an agent came online
/// and has the conversation; then the shopper went away.
struct Scene {
    agent: AgentClient,
    conversation_id: i64,
    visitor_id: String,
}

async fn shopper_leaves_an_email(t: &TestRelay, email: &str) -> Scene {
    let (login, password) = t.add_agent("demo", "Oli").await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    let page = VisitorFrame::Page {
        url: format!("{}/demo/product.html?id=7", t.base),
        title: "Linen shirt".into(),
        referrer: None,
        language: Some("en-GB".into()),
        time_zone: Some("Europe/Madrid".into()),
        earlier: vec![],
    };
    shopper.socket.send(&page).await.unwrap();
    shopper.send("a", "Do you ship to Spain?").await.unwrap();
    let bot = |f: &ServerFrame| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot);
    shopper.socket.wait_for(bot).await.unwrap();
    shopper.send("b", &format!("Sure, it is {email}")).await.unwrap();
    let thanks = shopper.socket.wait_for(bot).await.unwrap();
    assert!(matches!(&thanks, ServerFrame::Message { message } if message.text.contains(email)), "{thanks:?}");
    let visitor_id = shopper.welcome.visitor_id.clone();
    let mut agent = AgentClient::login(&t.base, &login, &password).await.unwrap();
    let conversation_id = agent.conversations[0].id;
    drop(shopper);
    gone(&mut agent, conversation_id).await;
    Scene { agent, conversation_id, visitor_id }
}

/// Waits until the agent hears that the conversation's shopper left (the relay has recorded
/// it by then).
async fn gone(agent: &mut AgentClient, conversation_id: i64) {
    let left = |f: &ServerFrame| matches!(f, ServerFrame::ShopperPresence { conversation_id: c, here: false } if *c == conversation_id);
    agent.socket.wait_for(left).await.unwrap();
}

/// The agent replies, and the relay has stored it.
async fn reply(agent: &mut AgentClient, conversation_id: i64, client_id: &str, text: &str) {
    agent.send(conversation_id, client_id, text).await.unwrap();
    let stored = |f: &ServerFrame| matches!(f, ServerFrame::Accepted { client_id: c, .. } if c == client_id);
    agent.socket.wait_for(stored).await.unwrap();
}

/// Gathers the replies waiting at `at`; returns how many emails it queued.
async fn gather_once_gone(t: &TestRelay, at: i64) -> usize {
    t.relay.state().mail.gather_replies(at).await.unwrap()
}

async fn email_status(agent: &mut AgentClient, state: EmailState) -> protocol::EmailNotice {
    let frame = agent
        .socket
        .wait_for(|f| matches!(f, ServerFrame::EmailStatus { email } if email.state == state))
        .await
        .unwrap();
    let ServerFrame::EmailStatus { email } = frame else { unreachable!() };
    email
}

fn link_in(mail: &Mail, path: &str) -> String {
    let text = mail.part("text/plain");
    let start = text.find(path).unwrap_or_else(|| panic!("no {path} link in {text}"));
    let link: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
    link
}

#[tokio::test]
async fn replies_to_a_shopper_who_left_are_emailed_together_with_a_link_back() {
    let mut mailbox = Mailbox::start();
    let t = relay_mailing_to(&mailbox.url()).await;
    let mut scene = shopper_leaves_an_email(&t, "ana@example.com").await;
    let id = scene.conversation_id;
    reply(&mut scene.agent, id, "r1", "Hi Ana, yes we ship to Spain.").await;
    reply(&mut scene.agent, id, "r2", "Delivery takes 3 <working> days & costs 5 €.").await;
    let mail = t.relay.state().mail.clone();
    let now = relay::store::now_millis();
    assert_eq!(mail.gather_replies(now).await.unwrap(), 0, "replies gather for 5 minutes first");

    let later = now + 6 * MINUTE;
    assert_eq!(gather_once_gone(&t, later).await, 1);
    assert_eq!(email_status(&mut scene.agent, EmailState::Pending).await.last_seq, 6);
    assert_eq!(mail.deliver(later).await.unwrap(), 1);
    let sent = email_status(&mut scene.agent, EmailState::Sent).await;
    assert_eq!(
        (sent.kind, sent.to.as_str(), sent.first_seq, sent.last_seq),
        (EmailKind::Reply, "ana@example.com", 5, 6)
    );

    let received = mailbox.wait_for(1).await;
    let email = &received[0];
    assert_eq!(email.to, ["ana@example.com"]);
    assert_eq!(email.header("Subject").as_deref(), Some("Maison Demo replied to your message"));
    assert!(
        email.header("From").unwrap().starts_with("\"Maison Demo\" <noreply@")
            || email.header("From").unwrap().starts_with("Maison Demo <noreply@")
    );
    assert!(email.header("List-Unsubscribe").unwrap().contains("/e/u/"));
    let text = email.part("text/plain");
    assert!(text.contains("Oli, ") && text.contains("(Europe/Madrid)"), "{text}");
    assert!(text.contains("yes we ship to Spain") && text.contains("3 <working> days & costs 5 €"), "{text}");
    assert!(!text.contains("Do you ship"), "only the new replies: {text}");
    let html = email.part("text/html");
    assert!(html.contains("3 &lt;working&gt; days &amp; costs 5 €") && !html.contains("<working>"), "{html}");

    // The link leads to the page the shopper was on, carrying their visitor token; the widget
    // there resumes the same conversation.
    let reopen = link_in(email, &format!("{}/e/r/", t.base));
    let answer = http_get(&t.base, reopen.trim_start_matches(&t.base), &[]).await.unwrap();
    assert_eq!(answer.status, 303);
    let location = answer.header("location").unwrap().to_owned();
    let (page, token) = location.split_once("#parley=").expect("a token in the fragment");
    assert_eq!(page, format!("{}/demo/product.html?id=7", t.base));
    let back = VisitorClient::connect(&t.base, "demo", None, Some(token.to_owned()), 0).await.unwrap();
    assert_eq!(back.welcome.visitor_id, scene.visitor_id);
    assert_eq!(back.welcome.conversation_id, Some(id));
    let forged = http_get(&t.base, &format!("{}x", reopen.trim_start_matches(&t.base)), &[]).await.unwrap();
    assert_eq!(forged.status, 404);
    drop(back);
    gone(&mut scene.agent, id).await;

    // A later reply goes in an email of its own, with only itself.
    reply(&mut scene.agent, id, "r3", "Your parcel left today.").await;
    assert_eq!(gather_once_gone(&t, later + 6 * MINUTE).await, 1);
    assert_eq!(mail.deliver(later + 6 * MINUTE).await.unwrap(), 1);
    let second = mailbox.wait_for(2).await[1].part("text/plain");
    assert!(second.contains("Your parcel left today.") && !second.contains("ship to Spain"), "{second}");
    t.stop().await;
}

#[tokio::test]
async fn the_outbox_survives_restarts_sends_nothing_twice_and_waits_for_a_server_that_was_down() {
    let down = smtp::reserve();
    let t = relay_mailing_to(&format!("smtp://{down}")).await;
    let mut scene = shopper_leaves_an_email(&t, "ana@example.com").await;
    reply(&mut scene.agent, scene.conversation_id, "r1", "We have it in XL.").await;
    let later = relay::store::now_millis() + 6 * MINUTE;
    assert_eq!(gather_once_gone(&t, later).await, 1);
    assert_eq!(t.relay.state().mail.deliver(later).await.unwrap(), 0, "the server is down");
    let id = scene.conversation_id;
    let pending = t.relay.state().mail.emails_of(id).await.unwrap();
    assert_eq!(pending[0].state, EmailState::Pending);
    assert!(pending[0].error.is_some(), "the failed attempt is recorded");
    drop(scene);

    let (data, dir) = t.stop().await;
    let restart = |data: std::path::PathBuf, url: String| async move {
        TestRelay::start_at_with(&data, move |c| {
            c.sweep_deadlines = false;
            c.smtp_url = Some(url);
        })
        .await
    };
    let t = restart(data.clone(), format!("smtp://{down}")).await;
    assert_eq!(t.relay.state().mail.gather_replies(later).await.unwrap(), 0, "the reply is in the outbox already");
    let mut mailbox = Mailbox::start_at(down);
    assert_eq!(t.relay.state().mail.deliver(later).await.unwrap(), 0, "not due again yet");
    assert_eq!(t.relay.state().mail.deliver(later + 2 * MINUTE).await.unwrap(), 1, "the server is back");
    assert_eq!(mailbox.wait_for(1).await.len(), 1);
    t.stop().await;

    let t = restart(data, format!("smtp://{down}")).await;
    let mail = t.relay.state().mail.clone();
    let day = 24 * 60 * MINUTE;
    assert_eq!(mail.gather_replies(later + day).await.unwrap(), 0);
    assert_eq!(mail.deliver(later + day).await.unwrap(), 0);
    assert_eq!(mail.emails_of(id).await.unwrap()[0].state, EmailState::Sent);
    assert_eq!(mailbox.received().len(), 1, "nothing was sent twice");
    t.stop().await;
    drop(dir);
}

#[tokio::test]
async fn a_refused_address_shows_as_failed_to_the_agent() {
    let mailbox = Mailbox::start_refusing("bounce");
    let t = relay_mailing_to(&mailbox.url()).await;
    let mut scene = shopper_leaves_an_email(&t, "bounce@example.com").await;
    reply(&mut scene.agent, scene.conversation_id, "r1", "Here is your answer.").await;
    let later = relay::store::now_millis() + 6 * MINUTE;
    assert_eq!(gather_once_gone(&t, later).await, 1);
    assert_eq!(t.relay.state().mail.deliver(later).await.unwrap(), 0);
    let failed = email_status(&mut scene.agent, EmailState::Failed).await;
    assert!(failed.error.unwrap().contains("550"), "the server's answer is shown");
    assert!(mailbox.received().is_empty());

    // An agent who opens the conversation later sees it too.
    let id = scene.conversation_id;
    scene.agent.socket.send(&protocol::AgentFrame::Sync { conversation_id: id, after_seq: 0 }).await.unwrap();
    scene.agent.socket.wait_for(|f| matches!(f, ServerFrame::History { .. })).await.unwrap();
    assert_eq!(email_status(&mut scene.agent, EmailState::Failed).await.conversation_id, id);
    t.stop().await;
}

#[tokio::test]
async fn an_unsubscribed_address_gets_no_more_email() {
    let mut mailbox = Mailbox::start();
    let t = relay_mailing_to(&mailbox.url()).await;
    let mut scene = shopper_leaves_an_email(&t, "ana@example.com").await;
    let id = scene.conversation_id;
    reply(&mut scene.agent, id, "r1", "First answer.").await;
    let later = relay::store::now_millis() + 6 * MINUTE;
    gather_once_gone(&t, later).await;
    t.relay.state().mail.deliver(later).await.unwrap();
    let email = mailbox.wait_for(1).await.remove(0);
    let path = link_in(&email, &format!("{}/e/u/", t.base)).trim_start_matches(&t.base).to_owned();

    // Opening the link asks; it unsubscribes nobody by itself (mail scanners follow links).
    let asked = http_get(&t.base, &path, &[]).await.unwrap();
    assert_eq!(asked.status, 200);
    assert!(asked.text().contains("Stop emails from Maison Demo to ana@example.com?"), "{}", asked.text());
    let done = http_request_raw(&t.base, "POST", &path, &[], Some("List-Unsubscribe=One-Click")).await.unwrap();
    assert_eq!(done.status, 200);
    assert!(done.text().contains("will send no more emails to ana@example.com"));

    reply(&mut scene.agent, id, "r2", "Second answer.").await;
    let mail = t.relay.state().mail.clone();
    assert_eq!(mail.gather_replies(later + 6 * MINUTE).await.unwrap(), 0);
    assert_eq!(mail.deliver(later + 6 * MINUTE).await.unwrap(), 0);
    assert_eq!(mailbox.received().len(), 1);
    t.stop().await;
}

#[tokio::test]
async fn a_shopper_can_have_the_transcript_sent_to_a_checked_address_a_few_times_an_hour() {
    let mut mailbox = Mailbox::start();
    let t = relay_mailing_to(&mailbox.url()).await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    let ask = |email: &str| VisitorFrame::EmailTranscript { email: email.into() };
    shopper.socket.send(&ask("ana@example.com")).await.unwrap();
    let refused = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert!(matches!(refused, ServerFrame::Error { code: ErrorCode::NotFound, .. }), "nothing to send yet");

    shopper.send("a", "Is the linen shirt washable?").await.unwrap();
    shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot))
        .await
        .unwrap();
    shopper.socket.send(&ask("ana at example")).await.unwrap();
    let refused = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert!(matches!(refused, ServerFrame::Error { code: ErrorCode::InvalidValue, .. }), "{refused:?}");

    shopper.socket.send(&ask(" ana@example.com ")).await.unwrap();
    let queued = ServerFrame::TranscriptQueued { email: "ana@example.com".into() };
    shopper.socket.wait_for(|f| *f == queued).await.unwrap();
    assert_eq!(t.relay.state().mail.deliver(relay::store::now_millis()).await.unwrap(), 1);
    let email = mailbox.wait_for(1).await.remove(0);
    assert_eq!(email.header("Subject").as_deref(), Some("Your conversation with Maison Demo"));
    let text = email.part("text/plain");
    assert!(
        text.contains("You, ") && text.contains("Is the linen shirt washable?") && text.contains("Bot, "),
        "{text}"
    );

    for _ in 0..2 {
        shopper.socket.send(&ask("ana@example.com")).await.unwrap();
        shopper.socket.wait_for(|f| *f == queued).await.unwrap();
    }
    shopper.socket.send(&ask("ana@example.com")).await.unwrap();
    let limited = shopper.socket.wait_for(|f| matches!(f, ServerFrame::Error { .. })).await.unwrap();
    assert!(matches!(limited, ServerFrame::Error { code: ErrorCode::RateLimited, .. }), "{limited:?}");
    t.stop().await;
}
