//! Nobody there: with no agent online, or outside business hours, the bot answers at once,
//! says when the team is back, takes an email address (checking it), and agents find the
//! conversation, email included, as soon as they come online. Business-hour arithmetic across
//! time zones and daylight-saving changes is unit-tested in `relay/src/hours.rs`.

mod common;

use common::TestRelay;
use parley::{AgentClient, VisitorClient};
use protocol::{Role, ServerFrame};

/// The text of the next message from the bot.
async fn bot_says(shopper: &mut VisitorClient) -> String {
    let frame = shopper
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role == Role::Bot))
        .await
        .expect("the bot answers");
    let ServerFrame::Message { message } = frame else { unreachable!() };
    assert_eq!(message.author.name.as_deref(), Some("Bot"), "automatic messages are marked as such");
    message.text
}

#[tokio::test]
async fn with_nobody_online_the_bot_answers_at_once_and_takes_a_checked_email() {
    let t = TestRelay::start().await;
    let (email, password) = t.add_agent("demo", "Oli").await;
    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("a", "Do you have this in XL?").await.unwrap();
    let away = bot_says(&mut shopper).await;
    assert!(away.contains("Nobody from our team is available") && away.contains("email address"), "{away}");

    shopper.send("b", "my email is oli at gmail").await.unwrap();
    let hint = bot_says(&mut shopper).await;
    assert!(hint.contains("does not look like an email"), "{hint}");
    shopper.send("c", "Sure: ana.lopez@example.com, thanks!").await.unwrap();
    let confirmed = bot_says(&mut shopper).await;
    assert!(confirmed.contains("ana.lopez@example.com"), "{confirmed}");

    // An agent coming online gets the conversation at once, with the email to follow up.
    let agent = AgentClient::login(&t.base, &email, &password).await.unwrap();
    let waiting = &agent.conversations[0];
    assert_eq!(waiting.follow_up_email.as_deref(), Some("ana.lopez@example.com"));
    let joined = ServerFrame::Attendance { agent_name: Some("Oli".into()), queue_position: None };
    shopper.socket.wait_for(|f| *f == joined).await.unwrap();

    // With an agent online, a new shopper gets no away message: the next message they see is
    // the agent's.
    let mut next = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    next.send("a", "Hello").await.unwrap();
    let mut agent = agent;
    let frame = agent
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.text == "Hello"))
        .await
        .unwrap();
    let ServerFrame::Message { message } = frame else { unreachable!() };
    agent.send(message.conversation_id, "r", "Hi, I'm here!").await.unwrap();
    let first_reply = next
        .socket
        .wait_for(|f| matches!(f, ServerFrame::Message { message } if message.author.role != Role::Visitor))
        .await
        .unwrap();
    assert!(matches!(first_reply, ServerFrame::Message { message } if message.author.role == Role::Agent));
    t.stop().await;
}

#[tokio::test]
async fn outside_business_hours_the_bot_answers_even_with_agents_online_and_says_when_they_are_back() {
    let t = TestRelay::start().await;
    // A schedule that is closed now: a one-minute window on a weekday that is not today.
    let now = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC);
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let other_day = days[(now.weekday().to_monday_zero_offset() as usize + 3) % 7];
    let spec = format!("{other_day} 09:00-09:01");
    assert!(!relay::hours::Schedule::parse(&spec, "Asia/Shanghai").unwrap().is_open(now.timestamp()));
    t.relay.state().store.set_hours("demo", Some(&spec), "Asia/Shanghai").await.unwrap();
    let (email, password) = t.add_agent("demo", "Pia").await;
    let _online = AgentClient::login(&t.base, &email, &password).await.unwrap();

    let mut shopper = VisitorClient::connect(&t.base, "demo", None, None, 0).await.unwrap();
    shopper.send("a", "Are you open?").await.unwrap();
    let away = bot_says(&mut shopper).await;
    assert!(away.contains("at 09:00 (Asia/Shanghai)"), "{away}");
    t.stop().await;
}
