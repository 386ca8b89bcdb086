//! What the bot says, in the shopper's language: English, or Simplified Chinese when the
//! shopper writes in Chinese. Every automatic text lives here, so a new language is one place.

use crate::faq::cjk::is_cjk;

/// A language the bot speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English (the default).
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
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

/// When the team is back: the next opening in the store's zone, if business hours say.
#[derive(Debug, Clone)]
pub struct Back {
    /// The next opening, when closed by the schedule.
    pub next: Option<jiff::Zoned>,
    /// The store's time zone name.
    pub zone: String,
}

const WEEKDAYS_ZH: [&str; 7] = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"];

/// "We are back on Monday at 09:00 (Europe/Paris)." or "We will be back soon."
pub fn back(lang: Lang, back: &Back) -> String {
    match (&back.next, lang) {
        (Some(next), Lang::En) => format!("We are back on {} ({}).", next.strftime("%A at %H:%M"), back.zone),
        (Some(next), Lang::Zh) => {
            let day = WEEKDAYS_ZH[usize::from(next.weekday().to_monday_zero_offset().unsigned_abs())];
            format!("我们将于{day} {}（{}）回来。", next.strftime("%H:%M"), back.zone)
        }
        (None, Lang::En) => "We will be back soon.".to_owned(),
        (None, Lang::Zh) => "我们很快就回来。".to_owned(),
    }
}

/// Nobody is there: when they are back, and the offer to take an email. The greeting opens
/// it only when nothing leads it (after "Sorry that did not help." a "Hi!" reads stitched).
pub fn away(lang: Lang, lead: &str, back_text: &str) -> String {
    match lang {
        Lang::En => {
            let lead = if lead.is_empty() { "Hi! " } else { lead };
            format!(
                "{lead}Nobody from our team is available right now. {back_text} \
                 Leave your email address here and we will get back to you."
            )
        }
        Lang::Zh => {
            let lead = if lead.is_empty() { "您好！" } else { lead };
            format!("{lead}目前没有客服在线。{back_text}请在这里留下您的邮箱，我们会尽快回复您。")
        }
    }
}

/// The email was noted earlier.
pub fn email_noted(lang: Lang, lead: &str, back_text: &str) -> String {
    match lang {
        Lang::En => format!("{lead}We have your email address and will get back to you. {back_text}"),
        Lang::Zh => format!("{lead}我们已记下您的邮箱，会尽快回复您。{back_text}"),
    }
}

/// The email was taken.
pub fn email_thanks(lang: Lang, email: &str) -> String {
    match lang {
        Lang::En => format!("Thank you! We will reply to {email} as soon as we are back."),
        Lang::Zh => format!("谢谢！我们回来后会尽快回复到 {email}。"),
    }
}

/// What the shopper gave does not read as an email.
pub fn email_hint(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "That does not look like an email address. Could you check it? For example: name@example.com",
        Lang::Zh => "这似乎不是有效的邮箱地址，请检查一下。例如：name@example.com",
    }
}

/// No answer found while nobody is there.
pub fn no_answer(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "I could not find an answer to that. Leave your email address here and our team will reply.",
        Lang::Zh => "我没有找到相关答案。请在这里留下您的邮箱，我们的团队会回复您。",
    }
}

/// A person is being brought in; `position` in the queue when waiting there.
pub fn bringing_a_person(lang: Lang, lead: &str, position: Option<u32>) -> String {
    match (lang, position) {
        (Lang::En, Some(n)) => format!("{lead}I am bringing in a person from our team. You are number {n} in line."),
        (Lang::En, None) => format!("{lead}I am bringing in a person from our team; they will reply here in a moment."),
        (Lang::Zh, Some(n)) => format!("{lead}正在为您转接人工客服，您排在第 {n} 位。"),
        (Lang::Zh, None) => format!("{lead}正在为您转接人工客服，请稍候。"),
    }
}

/// Said before bringing a person in after "No, it did not answer my question".
pub fn sorry(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Sorry that did not help. ",
        Lang::Zh => "抱歉没能帮到您。",
    }
}

/// After "Yes, it answered my question".
pub fn glad(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "Glad I could help! Write here anytime if there is anything else.",
        Lang::Zh => "很高兴能帮到您！如有其他问题，随时在这里留言。",
    }
}

/// An FAQ answer with its source.
pub fn faq_answer(lang: Lang, answer: &str, question: &str) -> String {
    match lang {
        Lang::En => format!("{answer}\n\nFrom our help: {question}"),
        Lang::Zh => format!("{answer}\n\n来自帮助中心：{question}"),
    }
}

/// An agent closed the chat.
pub fn closed(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "This chat was closed. Write here anytime to start a new one.",
        Lang::Zh => "本次对话已结束。如有需要，随时在这里留言开始新的对话。",
    }
}

/// The acknowledgement at the first-reply deadline: the shopper was heard, and how long it may
/// take.
pub fn acknowledgement(lang: Lang, queue_position: Option<u32>) -> String {
    match (lang, queue_position) {
        (Lang::En, Some(position)) => format!(
            "Thanks for waiting! Everyone on our team is helping other shoppers right now. \
             You are number {position} in line, and we will reply as soon as we can."
        ),
        (Lang::En, None) => {
            "Thanks for waiting! We have your message, and a member of our team will reply in a moment.".to_owned()
        }
        (Lang::Zh, Some(position)) => {
            format!("感谢您的耐心等待！我们的团队正在帮助其他顾客。您排在第 {position} 位，我们会尽快回复您。")
        }
        (Lang::Zh, None) => "感谢您的耐心等待！我们已收到您的消息，客服马上就会回复您。".to_owned(),
    }
}

/// Articles that may help while the shopper waits, one title per line.
pub fn meanwhile(lang: Lang, titles: &[String]) -> String {
    match lang {
        Lang::En => format!("\n\nMeanwhile, these may help (search them above):\n{}", titles.join("\n")),
        Lang::Zh => format!("\n\n在等待期间，这些文章可能有帮助（可在上方搜索）：\n{}", titles.join("\n")),
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
        assert_eq!(back(Lang::Zh, &back_on), "我们将于星期一 09:00（Asia/Shanghai）回来。");
        assert_eq!(back(Lang::En, &back_on), "We are back on Monday at 09:00 (Asia/Shanghai).");
    }

    #[test]
    fn the_away_message_greets_only_when_nothing_leads_it() {
        let alone = away(Lang::En, "", "We will be back soon.");
        assert!(alone.starts_with("Hi! Nobody from our team"), "{alone}");
        let after_sorry = away(Lang::En, sorry(Lang::En), "We will be back soon.");
        assert!(after_sorry.starts_with("Sorry that did not help. Nobody from our team"), "{after_sorry}");
        assert!(!after_sorry.contains("Hi!"), "{after_sorry}");
        assert!(!away(Lang::Zh, sorry(Lang::Zh), "").contains("您好"));
    }
}
