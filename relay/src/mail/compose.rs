//! What an email says, as text and as HTML, in the shopper's language (English or Simplified
//! Chinese). Everything in it that a shopper, an agent or the shop typed is text: the HTML
//! part is built from escaped text only, with the store's colour checked to be `#rrggbb`.

use protocol::{EmailKind, Message, Role};

use crate::texts::Lang;

/// The facts an email is made of.
pub struct Letter<'a> {
    /// Why it is sent.
    pub kind: EmailKind,
    /// The shop's name.
    pub store_name: &'a str,
    /// The shop's colour.
    pub colour: &'a str,
    /// The shopper's language.
    pub lang: Lang,
    /// The shopper's time zone, for the times shown.
    pub time_zone: Option<&'a str>,
    /// The messages to show, oldest first.
    pub messages: &'a [Message],
    /// Where the conversation reopens in the widget.
    pub reopen_url: Option<&'a str>,
    /// Where the address unsubscribes.
    pub unsubscribe_url: &'a str,
}

/// A composed email: subject, text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub text: String,
    /// The HTML body.
    pub html: String,
}

/// Escapes text for HTML element content and quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

struct Words {
    subject: String,
    intro: String,
    reopen: &'static str,
    why: String,
    unsubscribe: &'static str,
    you: &'static str,
}

fn words(letter: &Letter<'_>) -> Words {
    let store = letter.store_name;
    match (letter.lang, letter.kind) {
        (Lang::En, EmailKind::Reply) => Words {
            subject: format!("{store} replied to your message"),
            intro: format!("{store} replied to you in the chat:"),
            reopen: "Continue the conversation",
            why: format!("You get this email because you left your address in the chat with {store}."),
            unsubscribe: "Unsubscribe",
            you: "You",
        },
        (Lang::En, EmailKind::Transcript) => Words {
            subject: format!("Your conversation with {store}"),
            intro: format!("Here is your conversation with {store}, as you asked:"),
            reopen: "Continue the conversation",
            why: format!("You get this email because you asked for it in the chat with {store}."),
            unsubscribe: "Unsubscribe",
            you: "You",
        },
        (Lang::Zh, EmailKind::Reply) => Words {
            subject: format!("{store} 回复了您的消息"),
            intro: format!("{store} 在聊天中回复了您："),
            reopen: "继续对话",
            why: format!("您收到这封邮件，是因为您在与 {store} 的聊天中留下了邮箱。"),
            unsubscribe: "退订",
            you: "您",
        },
        (Lang::Zh, EmailKind::Transcript) => Words {
            subject: format!("您与 {store} 的对话"),
            intro: format!("这是您要求的与 {store} 的对话记录："),
            reopen: "继续对话",
            why: format!("您收到这封邮件，是因为您在与 {store} 的聊天中要求发送。"),
            unsubscribe: "退订",
            you: "您",
        },
    }
}

fn author<'m>(message: &'m Message, words: &Words, store_name: &'m str) -> &'m str {
    match message.author.role {
        Role::Visitor => words.you,
        Role::Agent => message.author.name.as_deref().unwrap_or(store_name),
        Role::Bot | Role::System => "Bot",
    }
}

fn time_of(at: i64, zone: Option<&str>) -> String {
    let tz = zone.and_then(|z| jiff::tz::TimeZone::get(z).ok()).unwrap_or(jiff::tz::TimeZone::UTC);
    match jiff::Timestamp::from_millisecond(at) {
        Ok(t) => {
            let zoned = t.to_zoned(tz);
            let name = zoned.time_zone().iana_name().unwrap_or("UTC").to_owned();
            format!("{} ({name})", zoned.strftime("%Y-%m-%d %H:%M"))
        }
        Err(_) => String::new(),
    }
}

/// Writes the email.
pub fn compose(letter: &Letter<'_>) -> Composed {
    let words = words(letter);
    let colour = crate::fields::colour(letter.colour).unwrap_or_else(|_| "#1f5eff".to_owned());
    let mut text = format!("{}\n\n", words.intro);
    let mut rows = String::new();
    for message in letter.messages {
        let who = author(message, &words, letter.store_name);
        let when = time_of(message.at, letter.time_zone);
        text.push_str(&format!("{who}, {when}:\n{}\n\n", message.text));
        rows.push_str(&format!(
            "<tr><td style=\"padding:8px 0;border-bottom:1px solid #eee\"><div style=\"color:#555;font-size:13px\">\
             <strong>{}</strong> · {}</div><div style=\"white-space:pre-wrap;margin-top:4px\">{}</div></td></tr>",
            escape(who),
            escape(&when),
            escape(&message.text)
        ));
    }
    let mut button = String::new();
    if let Some(url) = letter.reopen_url {
        text.push_str(&format!("{}: {url}\n\n", words.reopen));
        button = format!(
            "<p style=\"margin:24px 0\"><a href=\"{}\" style=\"background:{colour};color:#fff;padding:10px 18px;\
             border-radius:6px;text-decoration:none;display:inline-block\">{}</a></p>",
            escape(url),
            escape(words.reopen)
        );
    }
    text.push_str(&format!("--\n{}\n{}: {}\n", words.why, words.unsubscribe, letter.unsubscribe_url));
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{subject}</title></head>\
         <body style=\"margin:0;font-family:sans-serif;color:#222\">\
         <div style=\"background:{colour};color:#fff;padding:16px 24px;font-size:18px\">{store}</div>\
         <div style=\"padding:16px 24px;max-width:600px\"><p>{intro}</p><table style=\"width:100%;border-collapse:collapse\">\
         {rows}</table>{button}<p style=\"color:#777;font-size:12px;margin-top:32px\">{why} \
         <a href=\"{unsubscribe_url}\" style=\"color:#777\">{unsubscribe}</a></p></div></body></html>",
        subject = escape(&words.subject),
        store = escape(letter.store_name),
        intro = escape(&words.intro),
        why = escape(&words.why),
        unsubscribe_url = escape(letter.unsubscribe_url),
        unsubscribe = escape(words.unsubscribe),
    );
    Composed { subject: words.subject, text, html }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::Author;

    fn message(role: Role, name: Option<&str>, text: &str) -> Message {
        Message {
            id: 1,
            conversation_id: 1,
            seq: 1,
            author: Author { role, name: name.map(str::to_owned) },
            text: text.into(),
            client_id: None,
            at: 1_764_000_000_000,
            faq_article: None,
            faq_choices: Vec::new(),
        }
    }

    #[test]
    fn what_people_typed_is_text_in_the_html_part() {
        let messages = [message(Role::Agent, Some("Grace <b>"), "<script>alert(1)</script> & \"you\"")];
        let letter = Letter {
            kind: EmailKind::Reply,
            store_name: "Shop <img src=x>",
            colour: "red;background:url(x)",
            lang: Lang::En,
            time_zone: Some("Europe/Paris"),
            messages: &messages,
            reopen_url: Some("https://relay.example/e/r/t?a=1&b=\"2\""),
            unsubscribe_url: "https://relay.example/e/u/t",
        };
        let email = compose(&letter);
        assert!(!email.html.contains("<script>") && !email.html.contains("<img") && !email.html.contains("<b>"));
        assert!(email.html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;you&quot;"));
        assert!(email.html.contains("a=1&amp;b=&quot;2&quot;"));
        assert!(email.html.contains("background:#1f5eff"), "a bad colour falls back to the default");
        assert!(email.text.contains("Grace <b>, 2025-11-24"), "{}", email.text);
        assert!(email.text.contains("(Europe/Paris)"));
        assert_eq!(email.subject, "Shop <img src=x> replied to your message");
    }

    #[test]
    fn chinese_shoppers_get_chinese_words() {
        let messages = [message(Role::Visitor, None, "你好")];
        let letter = Letter {
            kind: EmailKind::Transcript,
            store_name: "Maison",
            colour: "#112233",
            lang: Lang::Zh,
            time_zone: None,
            messages: &messages,
            reopen_url: None,
            unsubscribe_url: "https://relay.example/e/u/t",
        };
        let email = compose(&letter);
        assert_eq!(email.subject, "您与 Maison 的对话");
        assert!(email.text.starts_with("这是您要求的与 Maison 的对话记录："));
        assert!(email.text.contains("您, ") && email.text.contains("(UTC)"));
        assert!(email.text.contains("退订: https://relay.example/e/u/t"));
    }
}
