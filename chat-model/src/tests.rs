use protocol::{Author, Message, Role, ServerFrame};

use super::{Chat, Delivery, Effects, MAX_WAITS};

fn stored(seq: u64, role: Role, client_id: &str, text: &str) -> Message {
    Message {
        id: 100 + seq as i64,
        conversation_id: 1,
        seq,
        author: Author { role, name: None },
        text: text.to_owned(),
        client_id: Some(client_id.to_owned()),
        at: 1_000 * seq as i64,
        faq_article: None,
        faq_choices: Vec::new(),
    }
}

fn texts(chat: &Chat) -> Vec<&str> {
    chat.lines.iter().map(|l| l.text.as_str()).collect()
}

#[test]
fn a_sent_message_shows_at_once_and_is_replaced_by_the_stored_copy_not_doubled() {
    let mut chat = Chat::new(Role::Visitor);
    chat.add_pending("c1", "Is it in stock?", None, 5.0);
    assert_eq!(chat.lines[0].delivery, Delivery::Sending);
    let accepted =
        ServerFrame::Accepted { client_id: "c1".into(), conversation_id: 1, message_id: 101, seq: 1, at: 1_000 };
    assert!(chat.apply(&accepted).changed);
    assert_eq!((chat.lines[0].seq, chat.lines[0].delivery), (Some(1), Delivery::Sent));
    // The echo of the same message arrives: still one line.
    chat.apply(&ServerFrame::Message { message: stored(1, Role::Visitor, "c1", "Is it in stock?") });
    assert_eq!(texts(&chat), ["Is it in stock?"]);
}

#[test]
fn the_echo_before_accepted_also_settles_the_pending_line() {
    let mut chat = Chat::new(Role::Agent);
    chat.add_pending("a1", "Yes.", Some("Ann".into()), 5.0);
    chat.apply(&ServerFrame::Message { message: stored(3, Role::Agent, "a1", "Yes.") });
    assert_eq!(chat.lines.len(), 1);
    assert_eq!((chat.lines[0].seq, chat.lines[0].delivery), (Some(3), Delivery::Sent));
}

#[test]
fn out_of_order_messages_are_shown_in_seq_order_with_pending_ones_last() {
    let mut chat = Chat::new(Role::Visitor);
    chat.add_pending("c9", "still sending", None, 99.0);
    chat.merge(vec![stored(3, Role::Agent, "x3", "three"), stored(1, Role::Visitor, "c1", "one")]);
    chat.merge(vec![stored(2, Role::Bot, "x2", "two")]);
    assert_eq!(texts(&chat), ["one", "two", "three", "still sending"]);
    assert_eq!(chat.last_seq(), 3);
}

#[test]
fn a_page_seen_twice_adds_nothing() {
    let mut chat = Chat::new(Role::Visitor);
    let page = vec![stored(1, Role::Visitor, "c1", "one"), stored(2, Role::Agent, "a2", "two")];
    chat.merge(page.clone());
    chat.merge(page);
    assert_eq!(texts(&chat), ["one", "two"]);
}

#[test]
fn history_with_more_asks_for_the_next_page_after_its_last_seq() {
    let mut chat = Chat::new(Role::Agent);
    let page = |more| ServerFrame::History {
        conversation_id: 1,
        messages: vec![stored(1, Role::Visitor, "c1", "one"), stored(2, Role::Visitor, "c2", "two")],
        more,
    };
    assert_eq!(chat.apply(&page(true)), Effects { changed: true, sync_after: Some(2), resend: None });
    assert_eq!(chat.apply(&page(false)).sync_after, None);
    let empty = ServerFrame::History { conversation_id: 1, messages: vec![], more: false };
    assert_eq!(chat.apply(&empty), Effects::default());
}

#[test]
fn after_a_reconnect_pending_messages_are_resent_with_their_client_ids() {
    let mut chat = Chat::new(Role::Visitor);
    chat.merge(vec![stored(1, Role::Visitor, "c1", "stored")]);
    chat.add_pending("c2", "lost in the drop", None, 10.0);
    chat.add_pending("c3", "also", None, 11.0);
    chat.give_up_on("c2");
    assert_eq!(chat.lines[1].delivery, Delivery::Failed);
    let resent = chat.resend();
    assert_eq!(resent, vec![("c2".into(), "lost in the drop".into()), ("c3".into(), "also".into())]);
    assert!(chat.lines[1..].iter().all(|l| l.delivery == Delivery::Sending));
    // The relay had stored c2 before the drop: the resend is accepted with its old seq.
    let accepted =
        ServerFrame::Accepted { client_id: "c2".into(), conversation_id: 1, message_id: 102, seq: 2, at: 2_000 };
    chat.apply(&accepted);
    assert_eq!(texts(&chat), ["stored", "lost in the drop", "also"]);
    assert_eq!(chat.lines[1].seq, Some(2));
}

#[test]
fn reads_by_the_other_side_mark_own_lines_seen_and_survive_a_refresh() {
    let mut chat = Chat::new(Role::Visitor);
    chat.merge(vec![stored(1, Role::Visitor, "c1", "one"), stored(2, Role::Agent, "a2", "two")]);
    chat.apply(&ServerFrame::Read { conversation_id: 1, seq: 2, by: Role::Agent });
    assert_eq!(chat.lines[0].delivery, Delivery::Seen);
    assert_eq!(chat.lines[1].delivery, Delivery::Sent, "only own lines are marked");
    // Our own read report does not mark anything.
    assert!(!chat.apply(&ServerFrame::Read { conversation_id: 1, seq: 2, by: Role::Visitor }).changed);
    chat.merge(vec![stored(1, Role::Visitor, "c1", "one")]);
    assert_eq!(chat.lines[0].delivery, Delivery::Seen);
}

#[test]
fn a_refused_message_is_failed_and_can_be_retried() {
    let mut chat = Chat::new(Role::Visitor);
    chat.add_pending("c1", "too long", None, 1.0);
    let refused = ServerFrame::Error {
        code: protocol::ErrorCode::TextTooLong,
        message: "shorter".into(),
        client_id: Some("c1".into()),
        retry_after_ms: None,
    };
    chat.apply(&refused);
    assert_eq!(chat.lines[0].delivery, Delivery::Failed);
    assert_eq!(chat.retry("c1").as_deref(), Some("too long"));
    assert_eq!(chat.lines[0].delivery, Delivery::Sending);
    assert!(!chat.give_up_on("nope"));
}

#[test]
fn a_busy_relay_has_the_message_sent_again_after_its_wait() {
    let mut chat = Chat::new(Role::Visitor);
    chat.add_pending("c1", "hello", None, 1.0);
    let busy = ServerFrame::Error {
        code: protocol::ErrorCode::Busy,
        message: "busy".into(),
        client_id: Some("c1".into()),
        retry_after_ms: Some(250),
    };
    for _ in 0..MAX_WAITS {
        let effects = chat.apply(&busy);
        let resend = effects.resend.expect("sent again");
        assert_eq!((resend.client_id.as_str(), resend.text.as_str(), resend.after_ms), ("c1", "hello", 250));
        assert_eq!(chat.lines[0].delivery, Delivery::Sending, "still on its way, not failed");
    }
    // A relay that stays busy: the message is shown failed, for the user to retry.
    assert_eq!(chat.apply(&busy).resend, None);
    assert_eq!(chat.lines[0].delivery, Delivery::Failed);
    // Another's line or a stored one is never resent.
    chat.accepted("c1", 1, 2.0, 7);
    assert_eq!(chat.apply(&busy).resend, None);
}

#[test]
fn offered_articles_stay_open_until_the_shopper_writes_again() {
    let mut chat = Chat::new(Role::Visitor);
    let mut offer = stored(2, Role::Bot, "b", "Which one do you mean?");
    let choice = |id: &str| protocol::FaqChoice { article: id.into(), question: format!("{id}?") };
    offer.faq_choices = vec![choice("returns"), choice("refunds")];
    chat.apply(&ServerFrame::History {
        conversation_id: 1,
        messages: vec![stored(1, Role::Visitor, "c1", "Can I return it?"), offer],
        more: false,
    });
    let line = chat.lines.iter().find(|l| l.seq == Some(2)).unwrap();
    assert_eq!(line.faq_choices.iter().map(|c| c.article.as_str()).collect::<Vec<_>>(), ["returns", "refunds"]);
    assert!(!chat.written_after(Some(2)), "nothing written after the offer yet");
    chat.add_pending("c2", "returns?", None, 9.0);
    assert!(chat.written_after(Some(2)), "a message still sending counts: the shopper chose");
}
