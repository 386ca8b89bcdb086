//! What a node makes of what it hears: senders of events it cannot read, and silence while
//! it is cut off from NATS itself.

use super::*;

#[test]
fn an_event_of_an_unknown_kind_is_still_its_senders_sign_of_life() {
    let known = read_heard(br#"{"node":"a1","event":"alive"}"#);
    assert!(matches!(known, Some((node, Some(Event::Alive))) if node == "a1"));
    let newer = read_heard(br#"{"node":"b2","event":{"something_new":{"x":1}}}"#);
    assert!(matches!(&newer, Some((node, None)) if node == "b2"), "{newer:?}");
    assert!(read_heard(b"not json").is_none());
    assert!(read_heard(br#"{"event":"alive"}"#).is_none(), "no sender, nobody to count as alive");
}

#[test]
fn a_node_cut_off_from_nats_counts_nobody_silent_and_gives_each_a_fresh_start() {
    let quiet = Duration::from_secs(6);
    let start = Instant::now();
    let later = |secs| start + Duration::from_secs(secs);
    let mut heard_from: HashMap<String, Instant> =
        [("a".to_owned(), start), ("b".to_owned(), later(4))].into_iter().collect();
    // Connected: at 7 s, a (heard at 0) is silent and forgotten; b (at 4) is not.
    assert_eq!(silent_among(&mut heard_from, true, later(7), quiet), ["a"]);
    assert_eq!(heard_from.len(), 1);
    // Cut off from 8 s to 20 s: b is never counted silent, however long the outage.
    assert!(silent_among(&mut heard_from, false, later(12), quiet).is_empty());
    assert!(silent_among(&mut heard_from, false, later(20), quiet).is_empty());
    // Back at 21 s: b has a lease's life from the last check of the outage (20 s)...
    assert!(silent_among(&mut heard_from, true, later(21), quiet).is_empty());
    // ...and only if it still says nothing is it silent at 26 s.
    assert_eq!(silent_among(&mut heard_from, true, later(26), quiet), ["b"]);
}
