//! Error codes every refusal carries, and why a text frame could not be decoded.

use serde::{Deserialize, Serialize};

use crate::MAX_FRAME_BYTES;

/// Why a frame or request was refused. Stable: clients branch on these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is larger than [`MAX_FRAME_BYTES`].
    FrameTooLarge,
    /// The frame is not valid JSON or lacks a required field.
    Malformed,
    /// The frame's `type` is not one this endpoint knows.
    UnknownType,
    /// Binary frames are not part of the protocol.
    BinaryNotSupported,
    /// No store has this key.
    UnknownStore,
    /// The page's origin is not among the store's allowed origins.
    OriginNotAllowed,
    /// The visitor token's signature does not verify; a new identity was issued instead.
    BadToken,
    /// `identify` carried a signature that does not verify under the store's identity secret
    /// (or none): the visitor stays anonymous.
    BadSignature,
    /// The store takes only verified identities and `identify` carried no signature.
    IdentityRequired,
    /// Wrong email or password, or an expired session token.
    BadCredentials,
    /// The email and password open several stores: sign in again naming one (the message
    /// lists their keys).
    StoreRequired,
    /// The frame needs a `hello`, `login` or `resume` first.
    NotAuthenticated,
    /// `hello`, `login` or `resume` was sent twice.
    AlreadyAuthenticated,
    /// No such conversation for this client.
    NotFound,
    /// The text is empty or only white space.
    EmptyText,
    /// The text is longer than [`MAX_TEXT_CHARS`].
    TextTooLong,
    /// The `client_id` is empty or longer than [`MAX_CLIENT_ID_BYTES`].
    BadClientId,
    /// Only the conversation's assignee may do this.
    NotYours,
    /// The agent is not online (or does not exist in this store).
    AgentUnavailable,
    /// The agent has no free capacity.
    AgentFull,
    /// A value is out of range (for example a capacity of 0).
    InvalidValue,
    /// The signed-in agent's role may not do this (store settings and the FAQ are for owners
    /// and admins).
    Forbidden,
    /// Something with that id already exists.
    AlreadyExists,
    /// Too many messages, conversations or connections; wait `retry_after_ms`.
    RateLimited,
    /// The relay is storing messages more slowly than they arrive: this one was not taken, so
    /// that none it took is late. Send it again after `retry_after_ms` (same `client_id`).
    Busy,
    /// The relay failed; the frame may be sent again.
    Internal,
}

/// Why a text frame could not be read as a frame of type `T`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// Larger than [`MAX_FRAME_BYTES`].
    TooLarge(usize),
    /// Not JSON, not an object, no `type`, or fields missing or of the wrong kind.
    Malformed(String),
    /// A `type` this side does not accept.
    UnknownType(String),
}

impl DecodeError {
    /// The error code a relay answers this with.
    pub fn code(&self) -> ErrorCode {
        match self {
            DecodeError::TooLarge(_) => ErrorCode::FrameTooLarge,
            DecodeError::Malformed(_) => ErrorCode::Malformed,
            DecodeError::UnknownType(_) => ErrorCode::UnknownType,
        }
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::TooLarge(n) => {
                write!(f, "frame is {n} bytes; the limit is {MAX_FRAME_BYTES}")
            }
            DecodeError::Malformed(why) => write!(f, "malformed frame: {why}"),
            DecodeError::UnknownType(t) => write!(f, "unknown frame type \"{t}\""),
        }
    }
}

impl std::error::Error for DecodeError {}
