//! The widget's UI strings: `widget/locales/*.ftl`, read by the shared `catalog` crate.

const ENGLISH: &str = include_str!("../locales/en.ftl");
const CHINESE: &str = include_str!("../locales/zh-CN.ftl");

/// The translations the widget renders with; shared through Leptos context.
pub type I18n = catalog::Catalog;

/// Loads the language the browser prefers.
pub fn from_browser() -> I18n {
    let preferences: Vec<String> = web_sys::window()
        .map(|w| w.navigator().languages().iter().filter_map(|v| v.as_string()).collect())
        .unwrap_or_default();
    I18n::pick(&preferences, ENGLISH, CHINESE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chinese_strings_translate_every_english_one_in_the_readers_syntax() {
        catalog::check_translation(ENGLISH, CHINESE).unwrap();
    }

    #[test]
    fn chinese_strings_fill_their_placeables() {
        let i18n = I18n::pick(&["zh-CN".into()], ENGLISH, CHINESE);
        assert_eq!(i18n.t_with("typing", &[("name", "Li".into())]), "Li 正在输入…");
        assert_eq!(i18n.t_with("attendance-waiting", &[("position", 3.to_string())]), "您正在排队，前面第 3 位");
    }
}
