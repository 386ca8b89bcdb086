//! One conversation as a client shows it, shared by the shopper's widget and the agents'
//! console so that both merge, order and track delivery the same way.
//!
//! The relay numbers each conversation's messages (`seq`) and every sender names its own
//! messages (`client_id`). A client shows its own message at once as "sending", replaces it
//! with the stored copy when `accepted` or the message itself arrives, skips a copy it already
//! holds (a resend, a page it has seen), and sends whatever is still pending again after a
//! reconnect, with the same client id, which the relay never stores twice. [`Chat::apply`] does
//! all of this for one frame and says what the client must do next ([`Effects`]); the apps'
//! connection services stay thin wrappers that own the socket and the signals.
//!
//! No browser, no runtime: `cargo test` runs the model on the host.

pub mod look;
pub mod proactive;
pub mod texts;

use protocol::{ErrorCode, FaqChoice, Message, Role, ServerFrame};

/// Where one of this client's own messages stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Waiting for the relay.
    Sending,
    /// Stored by the relay (on disk).
    Sent,
    /// The other side has read it.
    Seen,
    /// Refused, or not acknowledged in time.
    Failed,
}

impl Delivery {
    /// A stable lowercase name, for CSS classes and list keys (the browser builds print nothing
    /// for `Debug`: they are compiled with `-Zfmt-debug=none` to save weight).
    pub fn name(self) -> &'static str {
        match self {
            Delivery::Sending => "sending",
            Delivery::Sent => "sent",
            Delivery::Seen => "seen",
            Delivery::Failed => "failed",
        }
    }
}

/// One message as a client shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// Stable key: the client id for this client's own messages, else `m` and the relay's id.
    pub key: String,
    /// Its position in the conversation, once stored.
    pub seq: Option<u64>,
    /// Who wrote it.
    pub role: Role,
    /// The author's display name (agents, the bot).
    pub author_name: Option<String>,
    /// Plain text, never HTML.
    pub text: String,
    /// When the relay stored it (ms since the epoch); the local send time while pending.
    pub at: f64,
    /// Delivery state (meaningful for this client's own messages).
    pub delivery: Delivery,
    /// The relay's id, once stored.
    pub id: Option<i64>,
    /// For a bot answer from the FAQ: its article.
    pub faq_article: Option<String>,
    /// For a bot reply offering FAQ articles: the articles, to be shown as buttons.
    pub faq_choices: Vec<FaqChoice>,
    /// How many times the relay said to wait and send it again.
    pub waits: u32,
}

/// What a client must do after a frame was applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Effects {
    /// Lines were added or changed: redraw, and (if shown) tell the relay they were seen.
    pub changed: bool,
    /// The relay has more history: ask for it with `sync` after this seq.
    pub sync_after: Option<u64>,
    /// The relay was busy (or the sender too fast) and said how long to wait: send this line
    /// again, with the same client id, after that many milliseconds.
    pub resend: Option<Resend>,
}

/// A message to send again after a wait (see [`Effects::resend`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resend {
    /// Its client id, the same as before (the relay never stores it twice).
    pub client_id: String,
    /// Its text.
    pub text: String,
    /// How long to wait first.
    pub after_ms: u64,
}

/// How many times in a row one message is sent again after a wait before it is shown failed
/// (the user can still retry it).
pub const MAX_WAITS: u32 = 5;

/// One conversation's lines, and whose lines count as this client's own.
#[derive(Debug, Clone, PartialEq)]
pub struct Chat {
    /// Stored lines by seq, then pending ones in the order they were written.
    pub lines: Vec<Line>,
    /// The role this client writes as (the shopper's widget: visitor; the console: agent).
    own: Role,
}

impl Chat {
    /// An empty conversation for a client writing as `own`.
    pub fn new(own: Role) -> Chat {
        Chat { lines: Vec::new(), own }
    }

    /// The line a stored message becomes.
    pub fn line(&self, m: Message) -> Line {
        let own_key = m.client_id.clone().filter(|_| m.author.role == self.own);
        Line {
            key: own_key.unwrap_or_else(|| format!("m{}", m.id)),
            seq: Some(m.seq),
            role: m.author.role,
            author_name: m.author.name,
            text: m.text,
            at: m.at as f64,
            delivery: Delivery::Sent,
            id: Some(m.id),
            faq_article: m.faq_article,
            faq_choices: m.faq_choices,
            waits: 0,
        }
    }

    /// Applies a frame from the relay. Frames that are not about lines change nothing.
    pub fn apply(&mut self, frame: &ServerFrame) -> Effects {
        match frame {
            ServerFrame::History { messages, more, .. } => {
                let changed = self.merge(messages.clone());
                let last = messages.last().map(|m| m.seq);
                Effects { changed, sync_after: last.filter(|_| *more), ..Effects::default() }
            }
            ServerFrame::Message { message } => {
                Effects { changed: self.merge(vec![message.clone()]), ..Effects::default() }
            }
            ServerFrame::Accepted { client_id, seq, at, message_id, .. } => {
                Effects { changed: self.accepted(client_id, *seq, *at as f64, *message_id), ..Effects::default() }
            }
            ServerFrame::Read { seq, by, .. } if *by != self.own => {
                Effects { changed: self.read_up_to(*seq), ..Effects::default() }
            }
            ServerFrame::Error { client_id: Some(client_id), code, retry_after_ms, .. } => {
                let wait = retry_after_ms.filter(|_| matches!(code, ErrorCode::Busy | ErrorCode::RateLimited));
                if let Some(resend) = wait.and_then(|after_ms| self.wait_and_resend(client_id, after_ms)) {
                    return Effects { resend: Some(resend), ..Effects::default() };
                }
                Effects { changed: self.set_delivery(client_id, Delivery::Failed), ..Effects::default() }
            }
            _ => Effects::default(),
        }
    }

    /// Adds stored messages: a pending copy of one of this client's own (same client id) or a
    /// line already held (same seq) is replaced, never doubled; a line the other side has
    /// read stays marked so. Returns whether anything was added.
    pub fn merge(&mut self, messages: Vec<Message>) -> bool {
        if messages.is_empty() {
            return false;
        }
        for message in messages {
            let fresh = self.line(message);
            let held = self.lines.iter_mut().find(|l| l.key == fresh.key || (l.seq.is_some() && l.seq == fresh.seq));
            match held {
                Some(existing) => {
                    let seen = existing.delivery == Delivery::Seen;
                    *existing = fresh;
                    if seen {
                        existing.delivery = Delivery::Seen;
                    }
                }
                None => self.lines.push(fresh),
            }
        }
        self.sort();
        true
    }

    /// Whether this client wrote after the line stored at `seq` (a line still sending counts):
    /// the widget stops offering a bot reply's articles once the shopper has written again.
    pub fn written_after(&self, seq: Option<u64>) -> bool {
        self.lines.iter().any(|l| l.role == self.own && l.seq.is_none_or(|s| Some(s) > seq))
    }

    /// Shows one of this client's messages at once, as sending.
    pub fn add_pending(&mut self, client_id: &str, text: &str, author_name: Option<String>, at: f64) {
        self.lines.push(Line {
            key: client_id.to_owned(),
            seq: None,
            role: self.own,
            author_name,
            text: text.to_owned(),
            at,
            delivery: Delivery::Sending,
            id: None,
            faq_article: None,
            faq_choices: Vec::new(),
            waits: 0,
        });
    }

    /// The relay stored one of this client's messages at `seq`.
    pub fn accepted(&mut self, client_id: &str, seq: u64, at: f64, id: i64) -> bool {
        let Some(line) = self.lines.iter_mut().find(|l| l.key == client_id) else { return false };
        line.seq = Some(seq);
        line.at = at;
        line.id = Some(id);
        if line.delivery != Delivery::Seen {
            line.delivery = Delivery::Sent;
        }
        self.sort();
        true
    }

    /// The other side read everything up to `seq`: this client's lines up to it are seen.
    pub fn read_up_to(&mut self, seq: u64) -> bool {
        let own = self.own;
        let mut changed = false;
        for line in self.lines.iter_mut().filter(|l| l.role == own && l.seq.is_some_and(|s| s <= seq)) {
            changed |= line.delivery != Delivery::Seen;
            line.delivery = Delivery::Seen;
        }
        changed
    }

    /// A refused message of this client's that may be sent again after `after_ms`: it stays
    /// sending, unless it has waited [`MAX_WAITS`] times already.
    fn wait_and_resend(&mut self, key: &str, after_ms: u64) -> Option<Resend> {
        let own = self.own;
        let line = self.lines.iter_mut().find(|l| l.key == key && l.role == own && l.seq.is_none())?;
        if line.waits >= MAX_WAITS {
            return None;
        }
        line.waits += 1;
        line.delivery = Delivery::Sending;
        Some(Resend { client_id: line.key.clone(), text: line.text.clone(), after_ms })
    }

    /// Sets the delivery state of the line with this key; returns whether there is one.
    pub fn set_delivery(&mut self, key: &str, delivery: Delivery) -> bool {
        match self.lines.iter_mut().find(|l| l.key == key) {
            Some(line) => {
                line.delivery = delivery;
                true
            }
            None => false,
        }
    }

    /// A line still sending when its time ran out is failed; returns whether it was.
    pub fn give_up_on(&mut self, key: &str) -> bool {
        let sending = self.lines.iter().any(|l| l.key == key && l.delivery == Delivery::Sending);
        sending && self.set_delivery(key, Delivery::Failed)
    }

    /// This client's messages the relay has not stored, as (client id, text), marked sending
    /// again: after a reconnect they are sent again, with the same client ids.
    pub fn resend(&mut self) -> Vec<(String, String)> {
        let own = self.own;
        let pending: Vec<(String, String)> = self
            .lines
            .iter_mut()
            .filter(|l| l.seq.is_none() && l.role == own)
            .map(|l| {
                l.delivery = Delivery::Sending;
                (l.key.clone(), l.text.clone())
            })
            .collect();
        pending
    }

    /// The text of a line, to send it again (a failed one the user retries), marked sending.
    pub fn retry(&mut self, key: &str) -> Option<String> {
        let line = self.lines.iter_mut().find(|l| l.key == key)?;
        line.delivery = Delivery::Sending;
        line.waits = 0;
        Some(line.text.clone())
    }

    /// The highest seq held (0 for none): what to ask for after a reconnect.
    pub fn last_seq(&self) -> u64 {
        self.lines.iter().filter_map(|l| l.seq).max().unwrap_or(0)
    }

    /// Stored lines by seq; pending ones after them, in the order they were written.
    fn sort(&mut self) {
        self.lines.sort_by(|a, b| match (a.seq, b.seq) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => a.at.total_cmp(&b.at),
        });
    }
}

#[cfg(test)]
mod tests;
