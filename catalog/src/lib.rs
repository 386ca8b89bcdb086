//! UI strings for the browser apps (the widget and the console): one `.ftl` file per language,
//! chosen from the browser's preferred languages, with English as the fallback for anything
//! missing.
//!
//! The files use Fluent's syntax, so translators keep their tools, but only its simple part: one
//! `id = text` per line, with `{ $name }` placeables. That part is read here in a few lines
//! rather than by the fluent crates, whose runtime parser and plural rules cost the widget about
//! 43 KB (brotli) of its 150 KB budget. [`check_syntax`] refuses anything this reader does not
//! understand (selectors, terms, multi-line messages), and each app's tests run it on its files,
//! so needing them means moving back to the fluent crates on purpose, never a silent
//! mistranslation.

use std::sync::Arc;

/// One language's messages, in file order.
pub type Messages = Vec<(&'static str, &'static str)>;

/// The `id = text` lines of an `.ftl` file (comments and blank lines skipped).
pub fn messages(source: &'static str) -> Messages {
    source
        .lines()
        .filter(|line| !line.trim_start().starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split_once(" = ").map(|(id, text)| (id.trim(), text.trim())))
        .collect()
}

/// A language the apps are translated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// English, the fallback.
    English,
    /// Simplified Chinese.
    Chinese,
    /// Arabic (right to left).
    Arabic,
}

impl Language {
    /// Its BCP 47 tag, for `lang` attributes and date formatting.
    pub fn tag(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::Chinese => "zh-CN",
            Language::Arabic => "ar",
        }
    }

    /// Its writing direction, `ltr` or `rtl`, for `dir` attributes: an app sets its own and
    /// never inherits the page's.
    pub fn dir(self) -> &'static str {
        match self {
            Language::Arabic => "rtl",
            _ => "ltr",
        }
    }
}

/// The first supported language among the browser's preferences (`navigator.languages`),
/// else English. Traditional Chinese is not supported and is passed over.
pub fn preferred_language(preferences: &[String]) -> Language {
    for tag in preferences {
        let lower = tag.to_ascii_lowercase();
        let primary = lower.split(['-', '_']).next().unwrap_or_default();
        let traditional = ["tw", "hk", "mo", "hant"].iter().any(|t| lower.split(['-', '_']).any(|part| part == *t));
        match primary {
            "en" => return Language::English,
            "zh" if !traditional => return Language::Chinese,
            "ar" => return Language::Arabic,
            _ => {}
        }
    }
    Language::English
}

/// An app's translations: English and each other language's file.
#[derive(Clone, Copy)]
pub struct Sources {
    /// English, complete: the fallback for anything missing.
    pub english: &'static str,
    /// Simplified Chinese.
    pub chinese: &'static str,
    /// Arabic.
    pub arabic: &'static str,
}

/// The translations an app renders with; cheap to clone, shared through Leptos context.
#[derive(Clone)]
pub struct Catalog {
    language: Language,
    preferred: Arc<Messages>,
    fallback: Arc<Messages>,
}

impl Catalog {
    /// The catalog for the browser's preferences (see [`preferred_language`]).
    pub fn pick(preferences: &[String], sources: Sources) -> Catalog {
        Catalog::of(preferred_language(preferences), sources)
    }

    /// The catalog of one language, falling back to English message by message.
    pub fn of(language: Language, sources: Sources) -> Catalog {
        let source = match language {
            Language::English => sources.english,
            Language::Chinese => sources.chinese,
            Language::Arabic => sources.arabic,
        };
        Catalog::new(language, source, sources.english)
    }

    /// A catalog of `source` in `language`, falling back to `fallback` message by message.
    pub fn new(language: Language, source: &'static str, fallback: &'static str) -> Catalog {
        Catalog { language, preferred: Arc::new(messages(source)), fallback: Arc::new(messages(fallback)) }
    }

    /// The BCP 47 tag of the language in use (for `lang` and date formatting).
    pub fn locale(&self) -> String {
        self.language.tag().to_owned()
    }

    /// The language in use.
    pub fn language(&self) -> Language {
        self.language
    }

    /// Its writing direction: `ltr` or `rtl`.
    pub fn dir(&self) -> &'static str {
        self.language.dir()
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

/// Checks that every line is a comment, blank, or `id = text` whose only placeables are
/// `{ $name }`; the error names the first line that is not.
pub fn check_syntax(source: &str) -> Result<(), String> {
    for line in source.lines().filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty()) {
        let (id, text) = line.split_once(" = ").ok_or_else(|| format!("not `id = text`: \"{line}\""))?;
        if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!("bad id \"{id}\""));
        }
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let close = rest[open..].find('}').map(|c| open + c).ok_or_else(|| format!("unclosed {{ in \"{line}\""))?;
            let inner = rest[open + 1..close].trim();
            let name = inner.strip_prefix('$').ok_or_else(|| format!("only {{ $name }} placeables: \"{line}\""))?;
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                || rest[open..=close] != format!("{{ ${name} }}")
            {
                return Err(format!("write placeables as {{ $name }}: \"{line}\""));
            }
            rest = &rest[close + 1..];
        }
    }
    Ok(())
}

/// Checks a translation against the English file it translates: both in the syntax this reader
/// understands, with exactly the same ids in the same order. Each app's tests run it.
pub fn check_translation(english: &'static str, translation: &'static str) -> Result<(), String> {
    check_syntax(english)?;
    check_syntax(translation)?;
    let (want, have) = (ids(english), ids(translation));
    if want != have {
        let quoted = |ids: Vec<&&str>| ids.iter().map(|id| format!("\"{id}\"")).collect::<Vec<_>>().join(", ");
        let missing = quoted(want.iter().filter(|id| !have.contains(id)).collect());
        let extra = quoted(have.iter().filter(|id| !want.contains(id)).collect());
        return Err(format!("ids differ: missing [{missing}], extra [{extra}] (or in another order)"));
    }
    Ok(())
}

/// The ids of a file, in order: translations must have exactly the English ids.
pub fn ids(source: &'static str) -> Vec<&'static str> {
    messages(source).into_iter().map(|(id, _)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const EN: &str = "# comment\ngreet = Hello { $name }\nbye = Bye\n";
    const ZH: &str = "greet = 你好 { $name }\n";

    const SOURCES: Sources = Sources { english: EN, chinese: ZH, arabic: "greet = مرحبا { $name }\n" };

    #[test]
    fn browser_languages_pick_a_catalog_with_english_fallback() {
        let pick = |tags: &[&str]| preferred_language(&tags.iter().map(|t| t.to_string()).collect::<Vec<_>>());
        assert_eq!(pick(&["zh-CN", "en"]), Language::Chinese);
        assert_eq!(pick(&["zh-Hans-SG"]), Language::Chinese);
        assert_eq!(pick(&["zh-TW"]), Language::English);
        assert_eq!(pick(&["zh-Hant", "ar-EG"]), Language::Arabic);
        assert_eq!(pick(&["fr-FR", "en-GB", "zh"]), Language::English);
        assert_eq!(pick(&["ar"]), Language::Arabic);
        assert_eq!(pick(&[]), Language::English);
        assert_eq!(Language::Arabic.dir(), "rtl");
        assert_eq!(Language::Chinese.dir(), "ltr");
    }

    #[test]
    fn placeables_are_filled_missing_ids_fall_back_and_gaps_show_the_id() {
        let zh = Catalog::pick(&["zh-CN".into()], SOURCES);
        assert_eq!(zh.t_with("greet", &[("name", "Li".into())]), "你好 Li");
        assert_eq!(zh.t("bye"), "Bye");
        assert_eq!(zh.t("no-such-id"), "no-such-id");
        assert_eq!(zh.locale(), "zh-CN");
        let ar = Catalog::pick(&["ar-SA".into()], SOURCES);
        assert_eq!(ar.t_with("greet", &[("name", "Li".into())]), "مرحبا Li");
        assert_eq!((ar.locale().as_str(), ar.dir()), ("ar", "rtl"));
    }

    #[test]
    fn a_translation_must_have_every_english_id() {
        assert!(check_translation(EN, "greet = 你好 { $name }\nbye = 再见\n").is_ok());
        let missing = check_translation(EN, ZH).unwrap_err();
        assert!(missing.contains("\"bye\""), "{missing}");
    }

    #[test]
    fn syntax_beyond_the_simple_part_is_refused() {
        assert!(check_syntax(EN).is_ok());
        assert!(check_syntax("a = { $n ->\n [one] x\n}").is_err());
        assert!(check_syntax("a = {$n}").is_err());
        assert!(check_syntax("a\n  continued").is_err());
    }
}
