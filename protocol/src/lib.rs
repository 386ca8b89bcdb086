//! The wire protocol between shoppers' widgets, agents' clients and the relay.
//!
//! Every frame is one JSON object in one WebSocket text message, tagged by its `"type"` field.
//! Three enums cover the three directions: [`VisitorFrame`] (widget → relay), [`AgentFrame`]
//! (agent client → relay) and [`ServerFrame`] (relay → any client). This crate holds the frames
//! and the rules that every side must agree on (size limits, how a text frame is classified), and
//! nothing else: no I/O, no runtime, so it compiles for the browser and the server alike.
//! `docs/protocol.md` shows a JSON example of every frame.

use serde::Serialize;

/// The largest text frame a client may send, in bytes. Larger frames are refused with
/// [`ErrorCode::FrameTooLarge`] (up to 256 KiB; the socket stays open) or a close frame
/// with code 1009 (beyond).
pub const MAX_FRAME_BYTES: usize = 16 * 1024;

/// The longest message text, in characters. Longer texts are refused with
/// [`ErrorCode::TextTooLong`] so that no client has to render a novel.
pub const MAX_TEXT_CHARS: usize = 4000;

/// The longest page address a widget may report, in bytes.
pub const MAX_URL_BYTES: usize = 2048;

/// The longest page title kept, in characters.
pub const MAX_TITLE_CHARS: usize = 300;

/// The longest client-generated message id, in bytes.
pub const MAX_CLIENT_ID_BYTES: usize = 64;

/// A conversation's id: small integers that an agent can type (`/to 12 hello`).
pub type ConversationId = i64;

/// A message's position in its conversation: 1, 2, 3… with no gaps. Clients remember the last
/// one they hold and ask for what follows after a reconnect.
pub type Seq = u64;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

mod agent;
mod api;
mod automation;
mod error;
mod model;
mod orders;
mod reports;
mod server;
mod visitor;
mod widget_frame;

pub use agent::*;
pub use api::*;
pub use automation::*;
pub use error::*;
pub use model::*;
pub use orders::*;
pub use reports::*;
pub use server::*;
pub use visitor::*;
pub use widget_frame::*;

/// Reads one text frame as a `T`, telling apart oversized, malformed and unknown-type frames so
/// that the sender gets a precise error. `known_types` is `T::TYPES`.
pub fn decode<T: serde::de::DeserializeOwned>(text: &str, known_types: &[&str]) -> Result<T, DecodeError> {
    if text.len() > MAX_FRAME_BYTES {
        return Err(DecodeError::TooLarge(text.len()));
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| DecodeError::Malformed(e.to_string()))?;
    let kind = value
        .get("type")
        .and_then(|t| t.as_str())
        .ok_or_else(|| DecodeError::Malformed("expected an object with a string \"type\"".into()))?;
    if !known_types.contains(&kind) {
        return Err(DecodeError::UnknownType(kind.to_owned()));
    }
    serde_json::from_value(value).map_err(|e| DecodeError::Malformed(e.to_string()))
}

/// Serializes a frame. Frames hold only strings, numbers and enums, so this cannot fail.
#[allow(clippy::expect_used)] // each expect states an invariant that holds
pub fn encode<T: Serialize>(frame: &T) -> String {
    serde_json::to_string(frame).expect("frames always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_with_their_type_tag() {
        let frame = VisitorFrame::Send { client_id: "c1".into(), text: "Hi <b>there</b>".into() };
        let text = encode(&frame);
        assert!(text.contains(r#""type":"send""#), "{text}");
        assert_eq!(decode::<VisitorFrame>(&text, VisitorFrame::TYPES), Ok(frame));
    }

    #[test]
    fn decode_tells_malformed_from_unknown_from_oversized() {
        let d = |t: &str| decode::<AgentFrame>(t, AgentFrame::TYPES).unwrap_err().code();
        assert_eq!(d("{not json"), ErrorCode::Malformed);
        assert_eq!(d(r#"["send"]"#), ErrorCode::Malformed);
        assert_eq!(d(r#"{"type":"send"}"#), ErrorCode::Malformed);
        assert_eq!(d(r#"{"type":"dance"}"#), ErrorCode::UnknownType);
        let big = format!(r#"{{"type":"login","email":"{}","password":""}}"#, "a".repeat(20_000));
        assert_eq!(d(&big), ErrorCode::FrameTooLarge);
    }

    #[test]
    fn hello_fields_are_optional() {
        let hello: VisitorFrame = decode(r#"{"type":"hello"}"#, VisitorFrame::TYPES).unwrap();
        assert_eq!(hello, VisitorFrame::Hello { token: None, last_seq: 0, identity: None });
    }
}

#[cfg(test)]
mod documentation;
