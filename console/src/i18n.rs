//! The console's UI strings: `console/locales/*.ftl`, read by the shared `catalog` crate, in
//! the browser's language (Simplified Chinese, Arabic or English).

use catalog::Catalog;

const ENGLISH: &str = include_str!("../locales/en.ftl");
const CHINESE: &str = include_str!("../locales/zh-CN.ftl");
const ARABIC: &str = include_str!("../locales/ar.ftl");

thread_local! {
    /// Chosen once from the browser's languages and never changed afterwards.
    static CATALOG: Catalog = {
        let preferences: Vec<String> = web_sys::window()
            .map(|w| w.navigator().languages().iter().filter_map(|v| v.as_string()).collect())
            .unwrap_or_default();
        let language = catalog::preferred_language(&preferences);
        Catalog::of(language, catalog::Sources { english: ENGLISH, chinese: CHINESE, arabic: ARABIC })
    };
}

/// The text of message `id`.
pub fn text(id: &str) -> String {
    CATALOG.with(|c| c.t(id))
}

/// The text of message `id` with its placeables filled in.
pub fn text_with(id: &str, args: &[(&str, String)]) -> String {
    CATALOG.with(|c| c.t_with(id, args))
}

/// The writing direction of the language in use (`rtl` for Arabic).
pub fn dir() -> &'static str {
    CATALOG.with(|c| c.dir())
}

/// The language in use, for dates and times.
pub fn locale() -> String {
    CATALOG.with(|c| c.locale())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chinese_strings_translate_every_english_one_in_the_readers_syntax() {
        catalog::check_translation(ENGLISH, CHINESE).unwrap();
    }

    #[test]
    fn the_arabic_strings_translate_every_english_one_in_the_readers_syntax() {
        catalog::check_translation(ENGLISH, ARABIC).unwrap();
    }
}
