//! Handing one email to the SMTP server named by `--smtp-url` (lettre, on tokio, rustls).
//!
//! `smtps://` speaks TLS from the start; `smtp://` upgrades with STARTTLS when the server
//! offers it (`?tls=required` insists; a plain `smtp://` to a server without STARTTLS stays
//! plain, which is for a relay on the same host). Each email has a `Message-ID` made from its
//! outbox id, so a receiver can drop the rare repeat after a crash between the server's "OK"
//! and the outbox marking it sent.

use std::time::Duration;

use lettre::message::{header, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::store::OutboxEmail;

/// How long one SMTP conversation may take.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// Why an email did not go.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// It can never go as it is (a refused address, a 5xx answer): no retry.
    #[error("{0}")]
    Permanent(String),
    /// It may go later (the server is down, slow, or said 4xx).
    #[error("{0}")]
    Transient(String),
}

/// The relay's SMTP client.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    /// The sender when a store has none of its own.
    default_from: Mailbox,
    /// The domain of `Message-ID`s.
    domain: String,
}

impl std::fmt::Debug for Smtp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Smtp(..)")
    }
}

/// `smtp://` without a `tls` choice becomes opportunistic STARTTLS.
fn with_tls_choice(url: &str) -> Result<String, String> {
    let mut parsed = url::Url::parse(url).map_err(|e| format!("--smtp-url is not a URL: {e}"))?;
    match parsed.scheme() {
        "smtps" => {}
        "smtp" if !parsed.query_pairs().any(|(k, _)| k == "tls") => {
            parsed.query_pairs_mut().append_pair("tls", "opportunistic");
        }
        "smtp" => {}
        other => return Err(format!("--smtp-url must be smtp:// or smtps://, not {other}://")),
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("--smtp-url names no host".into());
    }
    Ok(parsed.into())
}

impl Smtp {
    /// A client for `url`, sending as `default_from` when a store set no address.
    pub fn new(url: &str, default_from: &str) -> Result<Smtp, String> {
        let url = with_tls_choice(url)?;
        let default_from: Mailbox =
            default_from.parse().map_err(|e| format!("--mail-from {default_from:?} is not an address: {e}"))?;
        // Building the transport starts its connection pool, which needs the runtime.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| format!("--smtp-url: {e}"))?
            .timeout(Some(TIMEOUT))
            .build();
        let domain = default_from.email.domain().to_owned();
        Ok(Smtp { transport, default_from, domain })
    }

    /// Sends one email from the outbox.
    pub async fn send(&self, outgoing: &OutboxEmail) -> Result<(), SendError> {
        let message = self.build(outgoing)?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }

    fn build(&self, outgoing: &OutboxEmail) -> Result<Message, SendError> {
        let email = &outgoing.email;
        let bad = |what: &str, e: &dyn std::fmt::Display| SendError::Permanent(format!("{what}: {e}"));
        let from = match outgoing.from.as_deref().map(str::parse::<Mailbox>) {
            Some(Ok(mut own)) => {
                if own.name.is_none() {
                    own.name = Some(outgoing.store_name.clone());
                }
                own
            }
            _ => Mailbox::new(Some(outgoing.store_name.clone()), self.default_from.email.clone()),
        };
        let to: Mailbox = email.to.parse().map_err(|e| bad("the recipient", &e))?;
        let alternative = MultiPart::alternative()
            .singlepart(SinglePart::plain(email.text.clone()))
            .singlepart(SinglePart::html(email.html.clone()));
        Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(format!("<parley-{}-{}@{}>", outgoing.email.store_id, outgoing.id, self.domain)))
            .header(ListUnsubscribe(format!("<{}>", email.unsubscribe_url)))
            .header(ListUnsubscribePost)
            .multipart(alternative)
            .map_err(|e| bad("the email", &e))
    }
}

/// `List-Unsubscribe: <url>` (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl header::Header for ListUnsubscribe {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }

    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): mail clients unsubscribe
/// with a POST to the link, no page to read.
#[derive(Clone)]
struct ListUnsubscribePost;

impl header::Header for ListUnsubscribePost {
    fn name() -> header::HeaderName {
        header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }

    fn display(&self) -> header::HeaderValue {
        header::HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_get_starttls_unless_they_choose() {
        assert_eq!(
            with_tls_choice("smtp://u:p@mail.example:587").unwrap(),
            "smtp://u:p@mail.example:587?tls=opportunistic"
        );
        assert_eq!(
            with_tls_choice("smtp://mail.example:587?tls=required").unwrap(),
            "smtp://mail.example:587?tls=required"
        );
        assert_eq!(with_tls_choice("smtps://mail.example").unwrap(), "smtps://mail.example");
        assert!(with_tls_choice("http://mail.example").unwrap_err().contains("smtp:// or smtps://"));
        assert!(with_tls_choice("not a url").is_err());
        assert!(Smtp::new("smtp://mail.example:25", "not an address").is_err());
    }
}
