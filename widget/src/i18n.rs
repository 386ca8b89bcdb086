//! UI strings: one `.ftl` file per language in `widget/locales/`, chosen from the browser's
//! preferred languages, with English as the fallback for anything missing.
//!
//! The files use Fluent's syntax, so translators keep their tools, but only its simple part: one
//! `id = text` per line, with `{ $name }` placeables. That part is read here in a few lines
//! rather than by the fluent crates, whose runtime parser and plural rules cost the widget about
//! 43 KB (brotli) of its 150 KB budget. A test refuses anything this reader does not understand
//! (selectors, terms, multi-line messages), so needing them means moving back to the fluent
//! crates on purpose, never a silent mistranslation.

use std::sync::Arc;

const ENGLISH: &str = include_str!("../locales/en.ftl");
const CHINESE: &str = include_str!("../locales/zh-CN.ftl");

/// One language's messages, in file order.
type Messages = Vec<(&'static str, &'static str)>;

/// The translations the widget renders with; shared through Leptos context.
#[derive(Clone)]
pub struct I18n {
    locale: &'static str,
    preferred: Arc<Messages>,
    fallback: Arc<Messages>,
}

/// The `id = text` lines of an `.ftl` file (comments and blank lines skipped).
fn messages(source: &'static str) -> Messages {
    source
        .lines()
        .filter(|line| !line.trim_start().starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split_once(" = ").map(|(id, text)| (id.trim(), text.trim())))
        .collect()
}

/// Picks the first supported language among the browser's preferences.
fn choose(preferences: &[String]) -> (&'static str, &'static str) {
    for tag in preferences {
        let lower = tag.to_ascii_lowercase();
        if lower.starts_with("zh") && !lower.contains("tw") && !lower.contains("hk") && !lower.contains("hant") {
            return ("zh-CN", CHINESE);
        }
        if lower.starts_with("en") {
            return ("en", ENGLISH);
        }
    }
    ("en", ENGLISH)
}

impl I18n {
    /// Loads the language the browser prefers.
    pub fn from_browser() -> I18n {
        let preferences: Vec<String> = web_sys::window()
            .map(|w| w.navigator().languages().iter().filter_map(|v| v.as_string()).collect())
            .unwrap_or_default();
        let (locale, source) = choose(&preferences);
        I18n { locale, preferred: Arc::new(messages(source)), fallback: Arc::new(messages(ENGLISH)) }
    }

    /// The BCP 47 tag of the language in use (for date formatting).
    pub fn locale(&self) -> String {
        self.locale.to_owned()
    }

    fn lookup(&self, id: &str) -> Option<&'static str> {
        [&self.preferred, &self.fallback].into_iter().find_map(|m| m.iter().find(|(k, _)| *k == id).map(|(_, v)| *v))
    }

    /// The text of message `id`; the id itself if no language has it, so a gap shows, not a crash.
    pub fn t(&self, id: &str) -> String {
        self.lookup(id).unwrap_or(id).to_owned()
    }

    /// The text of message `id` with its `{ $name }` placeables filled in.
    pub fn t_with(&self, id: &str, args: &[(&str, String)]) -> String {
        let mut text = self.t(id);
        for (name, value) in args {
            text = text.replace(&format!("{{ ${name} }}"), value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_languages_pick_a_bundle_with_english_fallback() {
        assert_eq!(choose(&["zh-CN".into(), "en".into()]).0, "zh-CN");
        assert_eq!(choose(&["fr-FR".into(), "en-GB".into()]).0, "en");
        assert_eq!(choose(&["de".into()]).0, "en");
        assert_eq!(choose(&[]).0, "en");
    }

    #[test]
    fn every_english_id_is_translated_to_chinese() {
        let ids = |src: &'static str| -> Vec<&str> { messages(src).into_iter().map(|(id, _)| id).collect() };
        assert_eq!(ids(ENGLISH), ids(CHINESE));
    }

    /// Every line is a comment, blank, or `id = text` whose only placeables are `{ $name }`.
    #[test]
    fn the_locale_files_use_only_what_this_reader_understands() {
        for source in [ENGLISH, CHINESE] {
            for line in source.lines().filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty()) {
                let (id, text) = line.split_once(" = ").unwrap_or_else(|| panic!("not `id = text`: {line:?}"));
                assert!(id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'), "id {id:?}");
                let mut rest = text;
                while let Some(open) = rest.find('{') {
                    let close = rest[open..].find('}').map(|c| open + c).unwrap_or_else(|| panic!("{line:?}"));
                    let inner = rest[open + 1..close].trim();
                    let name = inner.strip_prefix('$').unwrap_or_else(|| panic!("only {{ $name }}: {line:?}"));
                    assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'), "{line:?}");
                    assert_eq!(&rest[open..=close], format!("{{ ${name} }}"), "spacing in {line:?}");
                    rest = &rest[close + 1..];
                }
            }
        }
    }

    #[test]
    fn placeables_are_filled_and_gaps_show_the_id() {
        let i18n =
            I18n { locale: "zh-CN", preferred: Arc::new(messages(CHINESE)), fallback: Arc::new(messages(ENGLISH)) };
        assert_eq!(i18n.t_with("typing", &[("name", "Li".into())]), "Li 正在输入…");
        assert_eq!(i18n.t_with("attendance-waiting", &[("position", 3.to_string())]), "您正在排队，前面第 3 位");
        assert_eq!(i18n.t("no-such-id"), "no-such-id");
    }
}
