//! UI strings through Fluent: one `.ftl` file per language in `widget/locales/`, chosen from the
//! browser's preferred languages, with English as the fallback for anything missing.

use std::sync::Arc;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

const ENGLISH: &str = include_str!("../locales/en.ftl");
const CHINESE: &str = include_str!("../locales/zh-CN.ftl");

/// The translations the widget renders with; shared through Leptos context.
#[derive(Clone)]
pub struct I18n {
    preferred: Arc<FluentBundle<FluentResource>>,
    fallback: Arc<FluentBundle<FluentResource>>,
}

fn bundle(tag: &str, source: &str) -> FluentBundle<FluentResource> {
    let lang: LanguageIdentifier = tag.parse().expect("locale tags in this file are valid");
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    // Unicode isolation marks would end up inside accessible names.
    bundle.set_use_isolating(false);
    let resource = FluentResource::try_new(source.to_owned()).expect("bundled .ftl files parse");
    bundle.add_resource(resource).expect("no duplicate message ids");
    bundle
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
        let (tag, source) = choose(&preferences);
        I18n { preferred: Arc::new(bundle(tag, source)), fallback: Arc::new(bundle("en", ENGLISH)) }
    }

    /// The BCP 47 tag of the language in use (for date formatting).
    pub fn locale(&self) -> String {
        self.preferred.locales.first().map(|l| l.to_string()).unwrap_or_else(|| "en".into())
    }

    /// The text of message `id`; the id itself if no language has it, so a gap shows, not a crash.
    pub fn t(&self, id: &str) -> String {
        self.format(id, None)
    }

    /// The text of message `id` with its `{ $name }` arguments filled in.
    pub fn t_with(&self, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, value.clone());
        }
        self.format(id, Some(&fluent_args))
    }

    fn format(&self, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        [&self.preferred, &self.fallback]
            .into_iter()
            .find_map(|bundle| {
                let pattern = bundle.get_message(id)?.value()?;
                let mut errors = vec![];
                Some(bundle.format_pattern(pattern, args, &mut errors).into_owned())
            })
            .unwrap_or_else(|| id.to_owned())
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
        let ids = |src: &str| -> Vec<String> {
            src.lines()
                .filter(|l| !l.starts_with('#') && l.contains(" = "))
                .map(|l| l.split(" = ").next().unwrap().to_owned())
                .collect()
        };
        assert_eq!(ids(ENGLISH), ids(CHINESE));
    }
}
