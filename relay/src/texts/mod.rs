//! What the bot says, in the shopper's language: English, or Simplified Chinese when the
//! shopper writes in Chinese. Every automatic text has a default here (`catalog`) that each
//! store may replace per language (`words`), so the shop speaks in its own words; a new
//! language is one column of the catalogue.

pub mod catalog;
pub mod words;

pub use catalog::Key;
pub use words::{Voice, Words};

use protocol::ReplyTime;

use crate::faq::cjk::is_cjk;

/// A language the bot speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// English (the default).
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// Every language the bot speaks, in the console's order.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    /// Its code in the API and the database: `en`, `zh`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh",
        }
    }

    /// The language of a code from [`Lang::code`].
    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language a text is written in, when it says: Chinese when at least a third of the
    /// letters are CJK, English when it has at least two Latin words; `None` for what reads the
    /// same in any language (an email address, an order number, "ok"). Email addresses and
    /// links are left out, since they are Latin whatever the language.
    pub fn written(text: &str) -> Option<Lang> {
        let words: Vec<&str> = text.split_whitespace().filter(|w| !w.contains('@') && !w.contains('/')).collect();
        let letters: Vec<char> = words.iter().flat_map(|w| w.chars()).filter(|c| c.is_alphabetic()).collect();
        let cjk = letters.iter().filter(|c| is_cjk(**c)).count();
        if cjk > 0 && cjk * 3 >= letters.len() {
            return Some(Lang::Zh);
        }
        let latin_words = words.iter().filter(|w| w.chars().filter(|c| c.is_ascii_alphabetic()).count() >= 2).count();
        (latin_words >= 2).then_some(Lang::En)
    }

    /// The language of a browser language tag (`navigator.language`): Simplified Chinese for
    /// `zh`, `zh-CN`, `zh-SG`, `zh-Hans`; English for anything else the bot does not speak.
    pub fn of_browser(tag: &str) -> Lang {
        let lower = tag.to_ascii_lowercase();
        let traditional = ["tw", "hk", "mo", "hant"].iter().any(|t| lower.split('-').any(|part| part == *t));
        if (lower == "zh" || lower.starts_with("zh-")) && !traditional {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// The language to answer a shopper in: the one their message is written in when it says,
    /// else their browser's (what the widget reported), else English.
    pub fn for_shopper(text: &str, browser: Option<&str>) -> Lang {
        Lang::written(text).or_else(|| browser.map(Lang::of_browser)).unwrap_or(Lang::En)
    }
}

/// The name of the language with code `code` (`en`, `zh`, …), in `lang`; an unknown code is
/// shown as it is.
pub fn language_name(lang: Lang, code: &str) -> String {
    let names: &[(&str, &str, &str)] = &[
        ("en", "English", "英文"),
        ("zh", "Chinese", "中文"),
        ("fr", "French", "法文"),
        ("de", "German", "德文"),
        ("es", "Spanish", "西班牙文"),
        ("ja", "Japanese", "日文"),
    ];
    let base = code.split(['-', '_']).next().unwrap_or(code).to_ascii_lowercase();
    match names.iter().find(|(c, _, _)| *c == base) {
        Some((_, en, zh)) => match lang {
            Lang::En => (*en).to_owned(),
            Lang::Zh => (*zh).to_owned(),
        },
        None => code.to_owned(),
    }
}

/// When the team is back: the next opening in the store's zone, if business hours say.
#[derive(Debug, Clone)]
pub struct Back {
    /// The next opening, when closed by the schedule.
    pub next: Option<jiff::Zoned>,
    /// The store's time zone name.
    pub zone: String,
}

const WEEKDAYS_ZH: [&str; 7] = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"];

/// The value of `{back_at}`: "on Monday at 09:00 (Europe/Paris)", or "soon" when the hours
/// do not say (nobody is online during open hours).
pub fn back_at(lang: Lang, back: &Back) -> String {
    match (&back.next, lang) {
        (Some(next), Lang::En) => format!("on {} ({})", next.strftime("%A at %H:%M"), back.zone),
        (Some(next), Lang::Zh) => {
            let day = WEEKDAYS_ZH[usize::from(next.weekday().to_monday_zero_offset().unsigned_abs())];
            format!("{day} {}（{}）", next.strftime("%H:%M"), back.zone)
        }
        (None, Lang::En) => "soon".to_owned(),
        (None, Lang::Zh) => "稍后".to_owned(),
    }
}

/// The value of `{reply_time}`: the store's typical first reply from the last 14 days ("2
/// minutes"), or "a few minutes" while it has too few conversations to say.
pub fn reply_time(lang: Lang, typical: Option<ReplyTime>) -> String {
    match (lang, typical) {
        (Lang::En, Some(ReplyTime::UnderAMinute)) => "a minute".to_owned(),
        (Lang::En, Some(ReplyTime::Minutes { minutes: 1 })) => "a minute".to_owned(),
        (Lang::En, Some(ReplyTime::Minutes { minutes })) => format!("{minutes} minutes"),
        (Lang::En, Some(ReplyTime::Hours)) => "a few hours".to_owned(),
        (Lang::En, None) => "a few minutes".to_owned(),
        (Lang::Zh, Some(ReplyTime::UnderAMinute)) => "1 分钟".to_owned(),
        (Lang::Zh, Some(ReplyTime::Minutes { minutes })) => format!("{minutes} 分钟"),
        (Lang::Zh, Some(ReplyTime::Hours)) => "几个小时".to_owned(),
        (Lang::Zh, None) => "几分钟".to_owned(),
    }
}

/// A lead ("Sorry that did not help.") and what follows it, as one message.
pub fn after(lang: Lang, lead: &str, text: &str) -> String {
    match (lead.is_empty(), lang) {
        (true, _) => text.to_owned(),
        (false, Lang::En) => format!("{lead} {text}"),
        (false, Lang::Zh) => format!("{lead}{text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shoppers_language_is_followed() {
        assert_eq!(Lang::for_shopper("多久能到货？", None), Lang::Zh);
        assert_eq!(Lang::for_shopper("XL 码有货吗", None), Lang::Zh);
        assert_eq!(Lang::for_shopper("我的邮箱是 li.wei@shop.cn", None), Lang::Zh);
        assert_eq!(Lang::for_shopper("Where is my order?", None), Lang::En);
        assert_eq!(Lang::for_shopper("12345", None), Lang::En);
        // What reads the same in any language follows the browser's language.
        assert_eq!(Lang::for_shopper("li.wei@shop.cn", Some("zh-CN")), Lang::Zh);
        assert_eq!(Lang::for_shopper("12345", Some("zh")), Lang::Zh);
        assert_eq!(Lang::for_shopper("ok", Some("zh-Hans-CN")), Lang::Zh);
        assert_eq!(Lang::for_shopper("li.wei@shop.cn", Some("zh-TW")), Lang::En);
        assert_eq!(Lang::for_shopper("Where is my order?", Some("zh-CN")), Lang::En);
        assert_eq!(Lang::for_shopper("我的订单呢", Some("en-US")), Lang::Zh);
        assert_eq!(Lang::for_shopper("ok", None), Lang::En);
        let monday = jiff::civil::date(2026, 11, 23).at(9, 0, 0, 0).in_tz("Asia/Shanghai").unwrap();
        let back_on = Back { next: Some(monday), zone: "Asia/Shanghai".into() };
        assert_eq!(back_at(Lang::Zh, &back_on), "星期一 09:00（Asia/Shanghai）");
        assert_eq!(back_at(Lang::En, &back_on), "on Monday at 09:00 (Asia/Shanghai)");
    }

    #[test]
    fn a_lead_joins_what_follows_as_each_language_writes() {
        assert_eq!(after(Lang::En, "Sorry.", "Nobody is here."), "Sorry. Nobody is here.");
        assert_eq!(after(Lang::Zh, "抱歉。", "没有人。"), "抱歉。没有人。");
        assert_eq!(after(Lang::En, "", "Nobody is here."), "Nobody is here.");
        assert_eq!(reply_time(Lang::En, Some(ReplyTime::Minutes { minutes: 3 })), "3 minutes");
    }
}
