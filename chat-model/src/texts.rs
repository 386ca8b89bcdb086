//! The shop's own words: the bot's texts are templates with `{placeholders}` ("We will be back
//! {back_at}."). The relay checks a shop's text with [`check`] when it is saved and fills it in
//! with [`render`] each time the bot speaks; the console's preview uses the same two as the owner
//! types, so the preview and the bot never disagree.

/// Most characters of one text.
pub const MAX_TEXT_CHARS: usize = 1_000;

/// The placeholders a template uses, in order; an error for a brace that opens or closes
/// nothing (`{` alone, `}` alone, `{}`) or a name that is not a word.
pub fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        if rest[at..].starts_with('}') {
            return Err("a \"}\" closes no placeholder".to_owned());
        }
        let after = &rest[at + 1..];
        let Some(end) = after.find('}') else { return Err("a \"{\" is not closed".to_owned()) };
        let name = &after[..end];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(format!("\"{{{name}}}\" is not a placeholder: they read like {{store_name}}"));
        }
        found.push(name);
        rest = &after[end + 1..];
    }
    Ok(found)
}

/// Whether `template` may be saved for a text that knows the `allowed` placeholders: not empty,
/// at most [`MAX_TEXT_CHARS`], and every placeholder one of those.
pub fn check(template: &str, allowed: &[&str]) -> Result<(), String> {
    if template.trim().is_empty() {
        return Err("the text is empty; use \"reset to default\" to go back to the default".to_owned());
    }
    if template.chars().count() > MAX_TEXT_CHARS {
        return Err(format!("a text has at most {MAX_TEXT_CHARS} characters"));
    }
    for name in placeholders(template)? {
        if !allowed.contains(&name) {
            let known: Vec<String> = allowed.iter().map(|a| format!("{{{a}}}")).collect();
            return Err(format!("unknown placeholder {{{name}}}; this text can use {}", known.join(", ")));
        }
    }
    Ok(())
}

/// Fills in a template: each placeholder becomes `value(name)`, or nothing when that has none
/// (a shopper who gave no name), after which the spaces the gap leaves are tidied ("Hi {name}!"
/// becomes "Hi!", not "Hi !"). A template that does not parse comes back as it is.
pub fn render(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    if placeholders(template).is_err() {
        return template.to_owned();
    }
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    let mut gaps = false;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let end = rest[at..].find('}').map_or(rest.len(), |e| at + e);
        match value(&rest[at + 1..end]) {
            Some(v) if !v.is_empty() => out.push_str(&v),
            _ => gaps = true,
        }
        rest = &rest[(end + 1).min(rest.len())..];
    }
    out.push_str(rest);
    if gaps {
        tidy(&out)
    } else {
        out
    }
}

/// Closes the gaps an empty placeholder leaves: doubled spaces, a space before punctuation.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let mark = matches!(c, '!' | '?' | ',' | '.' | ':' | ';' | '，' | '。' | '！' | '？');
        if (c == ' ' || mark) && out.ends_with(' ') {
            out.pop();
        }
        // "Thanks, ." reads "Thanks."
        if matches!(c, '!' | '?' | '.' | '。' | '！' | '？') && (out.ends_with(',') || out.ends_with('，')) {
            out.pop();
        }
        out.push(c);
    }
    out
}

/// The bot's language a shopper's message reads as: `zh` when at least a third of its letters
/// are Chinese, else `en` (the console prefills the store's closing question with it).
pub fn language_of(text: &str) -> &'static str {
    let letters = text.chars().filter(|c| c.is_alphabetic());
    let (all, chinese) = letters.fold((0, 0), |(all, zh), c| {
        let han = matches!(u32::from(c), 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF);
        (all + 1, zh + usize::from(han))
    });
    if chinese > 0 && chinese * 3 >= all {
        "zh"
    } else {
        "en"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(name: &str) -> Option<String> {
        match name {
            "store_name" => Some("Maison".into()),
            "queue_place" => Some("3".into()),
            _ => None,
        }
    }

    #[test]
    fn placeholders_are_filled_in() {
        let text = render("Welcome to {store_name}! You are number {queue_place}.", values);
        assert_eq!(text, "Welcome to Maison! You are number 3.");
        assert_eq!(render("没有占位符", values), "没有占位符");
    }

    #[test]
    fn an_unknown_value_leaves_no_odd_gap() {
        assert_eq!(render("Hi {shopper_name}! Thanks, {shopper_name}.", values), "Hi! Thanks.");
        assert_eq!(render("Hi {shopper_name}, welcome", values), "Hi, welcome");
    }

    #[test]
    fn only_the_allowed_placeholders_are_accepted() {
        let allowed = ["store_name", "queue_place"];
        assert!(check("You are number {queue_place} at {store_name}.", &allowed).is_ok());
        let refused = check("Back {back_at}", &allowed).unwrap_err();
        assert!(refused.contains("{back_at}") && refused.contains("{store_name}"), "{refused}");
        assert!(check("a { here", &allowed).unwrap_err().contains("not closed"));
        assert!(check("a } here", &allowed).is_err());
        assert!(check("{Store Name}", &allowed).unwrap_err().contains("not a placeholder"));
        assert!(check("   ", &allowed).is_err());
        assert!(check(&"x".repeat(MAX_TEXT_CHARS + 1), &allowed).is_err());
    }

    #[test]
    fn chinese_messages_are_told_apart() {
        assert_eq!(language_of("请问有XL码吗？"), "zh");
        assert_eq!(language_of("Is XL in stock?"), "en");
        assert_eq!(language_of(""), "en");
    }

    #[test]
    fn a_broken_template_is_shown_as_written() {
        assert_eq!(render("50% off {", values), "50% off {");
    }
}
