//! Rules for values people type, in one place, so that the socket, the HTTP API and the command
//! line accept and refuse the same things. Each returns the normalised value, or a message
//! that says what is accepted.

use protocol::MAX_TEXT_CHARS;

/// Most conversations one agent may handle at once.
pub const MAX_CAPACITY: u32 = 50;
/// Fewest characters of a password.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Most characters of an agent's display name.
pub const MAX_AGENT_NAME_CHARS: usize = 80;
/// Most characters of a store's name.
pub const MAX_STORE_NAME_CHARS: usize = 100;
/// Most characters of the widget's greeting.
pub const MAX_GREETING_CHARS: usize = 500;

/// Checks an agent's capacity: 1 to [`MAX_CAPACITY`] conversations.
pub fn capacity(value: u32) -> Result<usize, String> {
    if (1..=MAX_CAPACITY).contains(&value) {
        Ok(value as usize)
    } else {
        Err(format!("capacity must be 1 to {MAX_CAPACITY}"))
    }
}

/// Checks a login email (trimmed): an address as RFC 5322 writes one.
pub fn email(text: &str) -> Result<String, String> {
    let email = text.trim();
    if email_address::EmailAddress::is_valid(email) {
        Ok(email.to_owned())
    } else {
        Err(format!("{email:?} is not an email address"))
    }
}

/// Checks a new password: at least [`MIN_PASSWORD_CHARS`] characters.
pub fn password(text: &str) -> Result<(), String> {
    if text.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("the password must have at least {MIN_PASSWORD_CHARS} characters"));
    }
    Ok(())
}

/// Checks an agent's display name (trimmed): 1 to [`MAX_AGENT_NAME_CHARS`] characters.
pub fn agent_name(text: &str) -> Result<String, String> {
    name_within(text, MAX_AGENT_NAME_CHARS)
}

/// Checks a store's name (trimmed): 1 to [`MAX_STORE_NAME_CHARS`] characters.
pub fn store_name(text: &str) -> Result<String, String> {
    name_within(text, MAX_STORE_NAME_CHARS)
}

/// A trimmed name of 1 to `most` characters.
fn name_within(text: &str, most: usize) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() || name.chars().count() > most {
        return Err(format!("the name must have 1 to {most} characters"));
    }
    Ok(name.to_owned())
}

/// Checks the widget's greeting (trimmed; blank means none): at most
/// [`MAX_GREETING_CHARS`] characters.
pub fn greeting(text: Option<&str>) -> Result<Option<String>, String> {
    let greeting = text.map(str::trim).filter(|g| !g.is_empty());
    if greeting.is_some_and(|g| g.chars().count() > MAX_GREETING_CHARS) {
        return Err(format!("the greeting is longer than {MAX_GREETING_CHARS} characters"));
    }
    Ok(greeting.map(str::to_owned))
}

/// Checks a widget colour: `#rrggbb` (returned in lower case).
pub fn colour(text: &str) -> Result<String, String> {
    if !chat_model::look::is_colour(text) {
        return Err(format!("{text:?} is not a colour like #1f5eff"));
    }
    Ok(text.to_ascii_lowercase())
}

/// Checks a store's email sender, `Name <address>` or an address (trimmed; blank means the
/// relay's).
pub fn email_from(text: &str) -> Result<Option<String>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let mailbox: lettre::message::Mailbox =
        text.parse().map_err(|_| format!("{text:?} is not a sender like Shop <help@shop.example>"))?;
    if !mailbox.email.domain().contains('.') {
        return Err(format!("{text:?}: the sender's domain must be a full domain name"));
    }
    Ok(Some(mailbox.to_string()))
}

/// Checks a launcher corner: `right` or `left`.
pub fn position(text: &str) -> Result<String, String> {
    match text {
        "right" | "left" => Ok(text.to_owned()),
        _ => Err(format!("{text:?}: the position must be right or left")),
    }
}

/// Checks a canned reply's text (trimmed): 1 to [`MAX_TEXT_CHARS`] characters, like a message.
pub fn canned_text(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err(format!("the text must have 1 to {MAX_TEXT_CHARS} characters"));
    }
    Ok(text.to_owned())
}

/// Checks an origin a store allows: `self`, or `http(s)://host[:port]` with no path.
pub fn origin(text: &str) -> Result<String, String> {
    if text == "self" {
        return Ok(text.to_owned());
    }
    let trimmed = text.trim_end_matches('/');
    let uri: axum::http::Uri = trimmed.parse().map_err(|e| format!("{text:?} is not an origin: {e}"))?;
    let scheme_ok = matches!(uri.scheme_str(), Some("http" | "https"));
    let bare = uri.path_and_query().is_none_or(|p| p.as_str().is_empty() || p.as_str() == "/");
    if !scheme_ok || uri.host().is_none() || !bare {
        return Err(format!("{text:?} is not an origin; write it as https://shop.example or http://host:port"));
    }
    Ok(trimmed.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacity_is_one_to_fifty() {
        assert_eq!(capacity(1), Ok(1));
        assert_eq!(capacity(50), Ok(50));
        assert_eq!(capacity(0).unwrap_err(), "capacity must be 1 to 50");
        assert!(capacity(1_000_000).is_err());
    }

    #[test]
    fn emails_must_be_addresses_not_just_contain_an_at() {
        assert_eq!(email("  ana@shop.example ").unwrap(), "ana@shop.example");
        assert!(email("@").is_err());
        assert!(email("ana@").is_err());
        assert!(email("a b@shop.example").is_err());
    }

    #[test]
    fn passwords_names_and_greetings_have_bounds() {
        assert!(password("1234567").is_err());
        assert!(password("12345678").is_ok());
        assert!(password("密码密码密码密码").is_ok(), "characters, not bytes");
        assert_eq!(agent_name("  Ann ").unwrap(), "Ann");
        assert!(agent_name("   ").is_err());
        assert!(agent_name(&"x".repeat(81)).is_err());
        assert_eq!(greeting(Some("  ")).unwrap(), None);
        assert!(greeting(Some(&"x".repeat(501))).is_err());
        assert_eq!(colour("#1F5EFF").unwrap(), "#1f5eff");
        assert!(colour("blue").is_err());
        assert!(position("top").is_err());
    }

    #[test]
    fn command_line_origins_are_normalised_or_refused() {
        assert_eq!(origin("https://Shop.example/").unwrap(), "https://shop.example");
        assert_eq!(origin("http://localhost:3000").unwrap(), "http://localhost:3000");
        assert!(origin("shop.example").is_err());
        assert!(origin("https://shop.example/path").is_err());
        assert!(origin("ftp://shop.example").is_err());
    }
}
