//! The relay's one error type: what a client is told when something it asked for is refused
//! or fails, on a socket (an `error` frame) and over HTTP (a JSON body with a status).
//!
//! Every refusal carries a stable [`ErrorCode`] clients may branch on, a message for people and,
//! for limits, how long to wait. [`status`] is the one table from code to HTTP status and
//! [`Error::frame`] the one conversion to a frame, so a code means the same on every path and a
//! `not_found` never answers 500.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use protocol::{ErrorCode, ServerFrame};

use crate::store::StoreError;

/// A refusal or failure, as the client hears of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// What went wrong, for programs.
    pub code: ErrorCode,
    /// What went wrong, for people.
    pub message: String,
    /// How long to wait before trying again (limits and `busy` only).
    pub retry_after: Option<Duration>,
}

/// What the relay's handlers and services return.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A refusal with this code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), retry_after: None }
    }

    /// `not_found`, for something the caller may not see or that does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::NotFound, message)
    }

    /// `invalid_value`, for a value out of range or of the wrong form.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidValue, message)
    }

    /// `forbidden`, for what the caller's role may not do.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Forbidden, message)
    }

    /// `not_authenticated`: sign in (or say hello) first.
    pub fn not_authenticated(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::NotAuthenticated, message)
    }

    /// `unknown_store`, for a store key nobody has (or the caller may not know of).
    pub fn unknown_store(key: &str) -> Self {
        Error::new(ErrorCode::UnknownStore, format!("no store has the key {key:?}"))
    }

    /// `rate_limited`, saying what there was too much of and how long to wait.
    pub fn rate_limited(what: &str, wait: Duration) -> Self {
        Error {
            code: ErrorCode::RateLimited,
            message: format!("too many {what}; try again in {} s", whole_seconds(wait)),
            retry_after: Some(wait),
        }
    }

    /// `busy`: the writer is behind by `behind`; the message was not taken. The client waits
    /// about as long (at least a fifth of a second, at most two seconds) and sends it again.
    pub fn busy(behind: Duration) -> Self {
        let wait = behind.clamp(Duration::from_millis(200), Duration::from_secs(2));
        Error {
            code: ErrorCode::Busy,
            message: format!("the relay is busy; send it again in {} ms", wait.as_millis()),
            retry_after: Some(wait),
        }
    }

    /// `bad_credentials`, the same for a wrong email as for a wrong password.
    pub fn bad_credentials() -> Self {
        Error::new(ErrorCode::BadCredentials, "wrong email or password")
    }

    /// `store_required`: the email and password open several stores, listed by key.
    pub fn store_required(keys: &[String]) -> Self {
        Error::new(
            ErrorCode::StoreRequired,
            format!("this email and password open several stores ({}); sign in naming one", keys.join(", ")),
        )
    }

    /// `internal`: the relay failed; the request may be sent again.
    pub fn internal() -> Self {
        Error::new(ErrorCode::Internal, "the relay could not complete this; try again")
    }

    /// The `error` frame that tells a socket of it; `client_id` names the refused message.
    pub fn frame(&self, client_id: Option<String>) -> ServerFrame {
        let retry_after_ms = self.retry_after.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        ServerFrame::Error { code: self.code, message: self.message.clone(), client_id, retry_after_ms }
    }

    /// The HTTP status it answers (see [`status`]).
    pub fn status(&self) -> StatusCode {
        status(self.code)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", serde_json::to_value(self.code).unwrap_or_default(), self.message)
    }
}

impl std::error::Error for Error {}

/// Whole seconds to wait, at least one (what `Retry-After` and messages say).
fn whole_seconds(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

/// The HTTP status of each error code: the one table.
pub fn status(code: ErrorCode) -> StatusCode {
    use ErrorCode::*;
    match code {
        FrameTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Malformed | UnknownType | BinaryNotSupported | EmptyText | TextTooLong | BadClientId | InvalidValue => {
            StatusCode::BAD_REQUEST
        }
        UnknownStore | NotFound => StatusCode::NOT_FOUND,
        OriginNotAllowed | NotYours | Forbidden => StatusCode::FORBIDDEN,
        BadToken | BadCredentials | NotAuthenticated | BadSignature | IdentityRequired => StatusCode::UNAUTHORIZED,
        StoreRequired | AlreadyAuthenticated | AgentUnavailable | AgentFull | AlreadyExists => StatusCode::CONFLICT,
        RateLimited => StatusCode::TOO_MANY_REQUESTS,
        Busy => StatusCode::SERVICE_UNAVAILABLE,
        Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The JSON error body every API answers with, `{"error":{"code":…,"message":…}}`, with the
/// same codes as error frames.
pub fn body(code: ErrorCode, message: &str) -> serde_json::Value {
    serde_json::json!({ "error": { "code": code, "message": message } })
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut response = (self.status(), Json(body(self.code, &self.message))).into_response();
        if let Some(wait) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(whole_seconds(wait)));
        }
        response
    }
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            // For example a message to a conversation that was closed meanwhile.
            StoreError::NotFound(what) => Error::not_found(what),
            StoreError::AlreadyExists(what) => Error::new(ErrorCode::AlreadyExists, what),
            StoreError::Busy(behind) => Error::busy(behind),
            other => {
                tracing::error!(error = %other, "store operation failed");
                Error::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code there is, as the protocol spells them.
    fn every_code() -> Vec<ErrorCode> {
        let names = [
            "frame_too_large",
            "malformed",
            "unknown_type",
            "binary_not_supported",
            "unknown_store",
            "origin_not_allowed",
            "bad_token",
            "bad_credentials",
            "store_required",
            "not_authenticated",
            "already_authenticated",
            "not_found",
            "empty_text",
            "text_too_long",
            "bad_client_id",
            "not_yours",
            "agent_unavailable",
            "agent_full",
            "invalid_value",
            "forbidden",
            "already_exists",
            "rate_limited",
            "busy",
            "internal",
        ];
        names.iter().map(|n| serde_json::from_value(serde_json::json!(n)).expect(n)).collect()
    }

    #[test]
    fn every_code_has_one_status_and_one_frame() {
        for code in every_code() {
            let status = status(code);
            assert!(status.is_client_error() || status.is_server_error(), "{code:?}");
            assert_eq!(status == StatusCode::INTERNAL_SERVER_ERROR, code == ErrorCode::Internal, "{code:?}");
            let error = Error::new(code, "why");
            let ServerFrame::Error { code: framed, message, .. } = error.frame(None) else { panic!("not an error") };
            assert_eq!((framed, message.as_str()), (code, "why"));
            let response = error.into_response();
            assert_eq!(response.status(), status);
        }
    }

    #[test]
    fn store_errors_keep_their_meaning() {
        assert_eq!(Error::from(StoreError::NotFound("gone".into())).status(), StatusCode::NOT_FOUND);
        assert_eq!(Error::from(StoreError::AlreadyExists("taken".into())).status(), StatusCode::CONFLICT);
        let failed = Error::from(StoreError::NotWritten("disk".into()));
        assert_eq!((failed.code, failed.status()), (ErrorCode::Internal, StatusCode::INTERNAL_SERVER_ERROR));
        assert!(!failed.message.contains("disk"), "internal details stay in the log");
    }

    #[test]
    fn limits_say_how_long_to_wait() {
        let limited = Error::rate_limited("messages", Duration::from_millis(1500));
        assert_eq!(limited.message, "too many messages; try again in 2 s");
        let ServerFrame::Error { retry_after_ms, .. } = limited.frame(Some("c1".into())) else { panic!() };
        assert_eq!(retry_after_ms, Some(1500));
        let response = limited.into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
    }
}
