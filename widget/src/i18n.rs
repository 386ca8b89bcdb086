//! The widget's UI strings: `widget/locales/*.ftl`, read by the shared `catalog` crate.

/// English, Simplified Chinese and Arabic (the Arabic awaits a native speaker's review).
const SOURCES: catalog::Sources = catalog::Sources {
    english: include_str!("../locales/en.ftl"),
    chinese: include_str!("../locales/zh-CN.ftl"),
    arabic: include_str!("../locales/ar.ftl"),
};

/// The translations the widget renders with; shared through Leptos context.
pub type I18n = catalog::Catalog;

/// Loads the language the browser prefers.
pub fn from_browser() -> I18n {
    let preferences: Vec<String> = web_sys::window()
        .map(|w| w.navigator().languages().iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default();
    I18n::pick(&preferences, SOURCES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_translation_has_every_english_string_in_the_readers_syntax() {
        catalog::check_translation(SOURCES.english, SOURCES.chinese).unwrap();
        catalog::check_translation(SOURCES.english, SOURCES.arabic).unwrap();
    }

    #[test]
    fn translations_fill_their_placeables() {
        let zh = I18n::pick(&["zh-CN".into()], SOURCES);
        assert_eq!(zh.t_with("typing", &[("name", "Li".into())]), "Li 正在输入…");
        assert_eq!(zh.t_with("attendance-waiting", &[("position", 3.to_string())]), "您排在第 3 位");
        let ar = I18n::pick(&["ar".into()], SOURCES);
        assert_eq!(ar.t_with("attendance-waiting", &[("position", 3.to_string())]), "ترتيبك في قائمة الانتظار: 3");
        assert_eq!(ar.dir(), "rtl");
    }
}
